"""API load benchmark: the real server (``callcenter serve`` in a subprocess) under many agents.

    python bench/api_load.py [--backend sqlite|postgresql] [--clients 200] [--think 2.0]
                             [--duration 60] [--saturation-duration 30] [--customers 1000]

A fresh database (SQLite: a temporary file; PostgreSQL: a scratch database made through ``--url``,
the server's admin URL, dropped afterwards unless ``--keep``) gets ``--customers`` customers with a
phone each and one agent user per client. ``callcenter serve --no-ami --no-agi`` serves it on a free
port; every client logs in through ``/api/auth/token`` and then works a mix of screen pops
(``GET /api/record/by-phone/{phone}``), ticket lists (``?assignee=me``), ticket creations (assigned
to themselves), transitions of their own tickets (with the version they read) and comments.

Phase 1, agents at work: each client pauses a think time (``--think`` × uniform 0.5–1.5) between
requests, for ``--duration`` seconds. Phase 2, saturation: the same clients with no pause for
``--saturation-duration`` seconds (a client answered 503 waits its ``Retry-After``, as a client
should), to find the highest rate served. Afterwards the database is checked: every 2xx write is
there (``lost_writes``), every ticket's status audit chain is unbroken (``broken_audit_chains``).

Prints one JSON line: ``bench, backend, clients, think_s, requests, errors_5xx, lost_writes,
broken_audit_chains, screenpop_p50_ms, screenpop_p99_ms, write_p99_ms, writes_per_s, max_rps,
saturation_5xx`` (5xx other than 503 in phase 2) and more.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import httpx  # noqa: E402
import uvloop  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.crm import percentile, scratch_database  # noqa: E402
from callcenter.migrate import upgrade  # noqa: E402
from tickets.customers.schemas import CustomerCreate  # noqa: E402
from tickets.customers.service import create_customer  # noqa: E402
from tickets.db import create_engine, session_factory, unit_of_work  # noqa: E402
from tickets.models import Ticket, TicketChange, TicketComment  # noqa: E402
from tickets.users.models import User  # noqa: E402
from tickets.users.passwords import Passwords  # noqa: E402

PASSWORD = "bench-password-123"
SECRET = "bench-secret-key-0123456789abcdef0123456789"
MIX = (("screenpop", 35), ("list", 25), ("create", 15), ("transition", 15), ("comment", 10))
WRITES = {"create", "transition", "comment"}


@dataclass
class Phase:
    name: str
    started: float = 0.0
    ended: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    screenpops: list[tuple[float, float]] = field(default_factory=list)  # (seconds into the phase, ms)
    codes: Counter[int] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    writes_ok: int = 0

    @property
    def seconds(self) -> float:
        return max(self.ended - self.started, 1e-9)


@dataclass
class Ledger:
    """What the server acknowledged with a 2xx: checked against the database afterwards."""

    tickets: set[int] = field(default_factory=set)
    comments: set[int] = field(default_factory=set)
    transitions: Counter[int] = field(default_factory=Counter)  # ticket id -> 2xx transitions


@dataclass
class Reply:
    """A response, read whole: status, headers and the JSON body."""

    status_code: int
    headers: dict[str, str]
    body: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class Client:
    """The load generator's HTTP client: aiohttp, whose per-request cost is a fraction of httpx's,
    so that on a small machine the clients take less of the CPU the server needs."""

    def __init__(self, base: str, *, connections: int) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, limit_per_host=connections),
            timeout=aiohttp.ClientTimeout(total=120),
        )

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                      json_body: Any = None, params: dict[str, str | int] | None = None) -> Reply:
        async with self.session.request(method, self.base + path, headers=headers, json=json_body,
                                        params=params) as response:
            body = await response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, body)

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, *, json: Any = None, **kwargs: Any) -> Reply:
        return await self.request("POST", path, json_body=json, **kwargs)

    async def close(self) -> None:
        await self.session.close()


TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)


@dataclass
class Agent:
    username: str
    token: str = ""
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> last seen state


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def seed(url: str, *, customers: int, clients: int) -> tuple[list[str], list[int], list[str]]:
    """Customers with one phone each and one agent per client; returns (phones, customer ids, users)."""
    upgrade(url)
    engine = create_engine(url)
    phones = [f"+86139{i:08d}" for i in range(customers)]
    usernames = [f"bench{i:04d}" for i in range(clients)]
    password_hash = Passwords().hash(PASSWORD)  # one real argon2 hash, shared: setup stays quick
    try:
        with unit_of_work(session_factory(engine)) as session:
            ids = [create_customer(session, data=CustomerCreate(display_name=f"压测 客户 {i}",
                                                                phones=[phone])).id
                   for i, phone in enumerate(phones)]
            session.add_all(User(username=name, display_name=name, role="agent",
                                 password_hash=password_hash, active=True) for name in usernames)
    finally:
        engine.dispose()
    return phones, ids, usernames


@contextlib.contextmanager
def server(url: str, port: int, data_dir: str) -> Iterator[str]:
    """``callcenter serve`` on ``url``: the real server, without Asterisk."""
    env = {**os.environ, "CC_DATABASE_URL": url, "CC_API__SECRET_KEY": SECRET, "CC_DATA_DIR": data_dir,
           "CC_ENVIRONMENT": "test"}
    log = Path(data_dir) / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "callcenter", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--no-ami", "--no-agi"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not become ready in 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Load:
    def __init__(self, client: Client, phones: list[str], customer_ids: list[int],
                 ledger: Ledger, rng: random.Random) -> None:
        self.client = client
        self.phones = phones
        self.customer_ids = customer_ids
        self.ledger = ledger
        self.rng = rng
        self.ops = tuple(op for op, _weight in MIX)
        self.weights = tuple(weight for _op, weight in MIX)

    async def login(self, agent: Agent) -> None:
        for _attempt in range(50):
            r = await self.client.post("/api/auth/token", json={"username": agent.username,
                                                               "password": PASSWORD})
            if r.status_code == 200:
                agent.token = r.json()["access_token"]
                return
            await asyncio.sleep(float(r.headers.get("retry-after", "0.5")))
        raise RuntimeError(f"{agent.username} could not log in: {r.status_code} {r.text[:200]}")

    async def step(self, agent: Agent, phase: Phase) -> float:
        """One request; returns the seconds to wait before the next (Retry-After on 503)."""
        op = self.rng.choices(self.ops, self.weights)[0]
        if op in ("transition", "comment") and not agent.tickets:
            op = "create"
        headers = {"Authorization": f"Bearer {agent.token}"}
        started = time.perf_counter()
        response = await self._send(op, agent, headers)
        elapsed_ms = (time.perf_counter() - started) * 1000
        phase.codes[response.status_code] += 1
        phase.latencies[op].append(elapsed_ms)
        if op == "screenpop":
            phase.screenpops.append((started - phase.started, elapsed_ms))
        if response.is_success:
            self._note(op, agent, response)
            if op in WRITES:
                phase.writes_ok += 1
        elif response.status_code == 409 and op == "transition":
            current = response.json().get("details", {}).get("current")
            if current:  # the state now (its allowed moves are fetched again on the next 2xx)
                agent.tickets[current["id"]] = {**agent.tickets.get(current["id"], {}), **current}
        if response.status_code == 503:
            return float(response.headers.get("retry-after", "1"))
        return 0.0

    async def _send(self, op: str, agent: Agent, headers: dict[str, str]) -> Reply:
        if op == "screenpop":
            phone = self.rng.choice(self.phones)
            return await self.client.get(f"/api/record/by-phone/{phone}", headers=headers)
        if op == "list":
            params: dict[str, str | int] = {"assignee": "me", "limit": 20}
            return await self.client.get("/api/tickets", params=params, headers=headers)
        if op == "create":
            return await self.client.post("/api/tickets", headers=headers, json={
                "type": "inquiry", "customer_id": self.rng.choice(self.customer_ids),
                "subject": "压测 load test", "assignee": agent.username})
        ticket = agent.tickets[self.rng.choice(list(agent.tickets))]
        if op == "comment":
            return await self.client.post(f"/api/tickets/{ticket['id']}/comments", headers=headers,
                                          json={"body": "客户来电 customer called"})
        moves = [m for m in ticket["allowed_transitions"] if m != "closed"] or ["in_progress"]
        return await self.client.post(f"/api/tickets/{ticket['id']}/transitions", headers=headers,
                                      json={"to": self.rng.choice(moves), "version": ticket.get("version")})

    def _note(self, op: str, agent: Agent, response: Reply) -> None:
        body = response.json()
        if op == "create":
            self.ledger.tickets.add(body["id"])
            agent.tickets[body["id"]] = body
        elif op == "transition":
            self.ledger.transitions[body["id"]] += 1
            agent.tickets[body["id"]] = body
        elif op == "comment":
            self.ledger.comments.add(body["id"])
            # a first response is written on the ticket: its version moved, unknown to this agent
            agent.tickets[body["ticket_id"]].pop("version", None)

    async def run(self, agents: list[Agent], phase: Phase, *, seconds: float, think: float) -> None:
        stop = time.perf_counter() + seconds

        async def work(agent: Agent) -> None:
            await asyncio.sleep(self.rng.uniform(0, think))  # agents do not all start in the same ms
            while time.perf_counter() < stop:
                try:
                    wait = await self.step(agent, phase)
                except TRANSPORT_ERRORS as exc:  # no answer at all (a reset, a closed keep-alive)
                    phase.transport_errors[type(exc).__name__] += 1
                    wait = 1.0
                pause = max(wait, think * self.rng.uniform(0.5, 1.5))
                await asyncio.sleep(min(pause, max(0.0, stop - time.perf_counter())))

        phase.started = time.perf_counter()
        await asyncio.gather(*(work(agent) for agent in agents))
        phase.ended = time.perf_counter()


def windows_p99(samples: list[tuple[float, float]], width: float) -> list[float]:
    by_window: dict[int, list[float]] = defaultdict(list)
    for at, ms in samples:
        by_window[int(at // width)].append(ms)
    return [round(percentile(by_window[w], 99), 1) for w in sorted(by_window)]


def check(url: str, ledger: Ledger) -> tuple[int, int]:
    """(lost writes, broken audit chains) as the database tells."""
    engine = create_engine(url)
    try:
        with unit_of_work(session_factory(engine), read_only=True) as session:
            tickets = set(session.scalars(select(Ticket.id).where(Ticket.id.in_(ledger.tickets))))
            comments = set(session.scalars(
                select(TicketComment.id).where(TicketComment.id.in_(ledger.comments))))
            chains: dict[int, list[tuple[str | None, str | None]]] = defaultdict(list)
            rows = session.execute(
                select(TicketChange.ticket_id, TicketChange.old_value, TicketChange.new_value)
                .where(TicketChange.ticket_id.in_(ledger.tickets), TicketChange.field == "status")
                .order_by(TicketChange.ticket_id, TicketChange.id)
            )
            for ticket_id, old, new in rows:
                chains[ticket_id].append((old, new))
    finally:
        engine.dispose()
    lost = len(ledger.tickets - tickets) + len(ledger.comments - comments)
    lost += sum(max(0, n - len(chains.get(ticket_id, []))) for ticket_id, n in ledger.transitions.items())
    broken = sum(
        1 for chain in chains.values()
        if chain[0][0] != "assigned" or any(a[1] != b[0] for a, b in itertools.pairwise(chain))
    )
    return lost, broken


def summary(phase: Phase, *, writes: bool = True) -> dict[str, Any]:
    served = sum(n for code, n in phase.codes.items() if 200 <= code < 300)
    return {
        "requests": sum(phase.codes.values()),
        "served_rps": round(served / phase.seconds, 1),
        "codes": {str(k): v for k, v in sorted(phase.codes.items())},
        "transport_errors": dict(phase.transport_errors),
        **({"writes_per_s": round(phase.writes_ok / phase.seconds, 1)} if writes else {}),
    }


async def drive(base: str, args: argparse.Namespace, phones: list[str], customer_ids: list[int],
                usernames: list[str]) -> tuple[Phase, Phase, Ledger]:
    ledger = Ledger()
    client = Client(base, connections=args.clients)
    try:
        load = Load(client, phones, customer_ids, ledger, random.Random(args.seed))
        agents = [Agent(name) for name in usernames]
        for start in range(0, len(agents), 16):  # logins (argon2) in rounds of the admitted requests
            await asyncio.gather(*(load.login(agent) for agent in agents[start:start + 16]))
        work, saturation = Phase("agents at work"), Phase("saturation")
        await load.run(agents, work, seconds=args.duration, think=args.think)
        await load.run(agents, saturation, seconds=args.saturation_duration, think=0.0)
    finally:
        await client.close()
    return work, saturation, ledger


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="PostgreSQL admin URL (a scratch database is made) or a SQLite URL")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--think", type=float, default=2.0, help="seconds between an agent's requests")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of phase 1")
    parser.add_argument("--saturation-duration", type=float, default=30.0, help="seconds of phase 2")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL scratch database")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    with scratch_database(args.backend, args.url, args.keep) as url, \
            tempfile.TemporaryDirectory(prefix="cc-api-load-") as data_dir:
        phones, customer_ids, usernames = seed(url, customers=args.customers, clients=args.clients)
        with server(url, free_port(), data_dir) as base:
            work, saturation, ledger = uvloop.run(drive(base, args, phones, customer_ids, usernames))
        lost, broken = check(url, ledger)
    writes = [ms for op in WRITES for ms in work.latencies.get(op, [])]
    result: dict[str, Any] = {
        "bench": "api_load",
        "backend": args.backend,
        "clients": args.clients,
        "think_s": args.think,
        "duration_s": args.duration,
        "requests": sum(work.codes.values()),
        "errors_5xx": sum(n for code, n in work.codes.items() if code >= 500),
        "lost_writes": lost,
        "broken_audit_chains": broken,
        "screenpop_p50_ms": round(percentile(work.latencies["screenpop"], 50), 2),
        "screenpop_p99_ms": round(percentile(work.latencies["screenpop"], 99), 2),
        # p99 of each 10 s of phase 1: a warm-up at the start, or one stall, shows as one window
        "screenpop_p99_ms_by_10s": windows_p99(work.screenpops, 10.0),
        "write_p99_ms": round(percentile(writes, 99), 2),
        "writes_per_s": round(work.writes_ok / work.seconds, 1),
        "max_rps": summary(saturation)["served_rps"],
        "saturation_5xx": sum(n for code, n in saturation.codes.items() if code >= 500 and code != 503),
        "saturation_503": saturation.codes.get(503, 0),
        "phase1": summary(work),
        "phase2": summary(saturation),
        "tickets_created": len(ledger.tickets),
        "python": platform.python_version(),
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


if __name__ == "__main__":
    main()
