"""CRM benchmark: phone lookup and unified record latency, ticket creation throughput, at scale.

    python bench/crm.py [--customers N] [--backend postgresql|sqlite] [--url URL] [--keep]

Builds a fresh database (PostgreSQL: a scratch database with a unique name created through ``--url``,
the server's admin URL, dropped at the end unless ``--keep``; SQLite: a temporary file, or the file
``--url`` names), migrates it with ``callcenter.migrate.upgrade``, bulk-loads N customers with their
phones, e-mails, assets, about three interactions each and one ticket per two customers (PostgreSQL
COPY, SQLite ``executemany`` in large transactions), runs ANALYZE, then measures through the real
services: ``lookup by phone`` and ``the unified record`` for random existing numbers (a new session
per call, as a request would have), and ticket creation committed one by one.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tickets.db import create_engine

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CN_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155",
               "156", "157", "158", "159", "180", "181", "182", "185", "186", "187", "188", "189")
US_AREAS = ("212", "415", "646", "617", "312")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = ("伟", "芳", "娜", "洋", "敏", "静", "丽", "强", "磊", "军", "秀英", "建华", "志强", "海燕",
         "晓东", "婷婷", "欣怡", "子轩", "浩然", "宇航")
ENGLISH = ("James Smith", "Mary Johnson", "John Brown", "Linda Wilson", "David Lee", "Sarah Chan",
           "Emma Taylor", "Oliver Wong")
TIERS = ("standard",) * 13 + ("silver",) * 4 + ("gold",) * 2 + ("vip",)
PRODUCTS = (("空调 Air conditioner", "KFR-35GW"), ("冰箱 Refrigerator", "BCD-470W"),
            ("洗衣机 Washing machine", "XQG100"), ("电视 Television", "65Q9"), ("笔记本电脑 Laptop", "NB14"))
CHANNELS = ("phone",) * 7 + ("web",) * 2 + ("email",)
QUEUES = ("sales", "support", "repairs", "complaints", "vip")
AGENTS = tuple(f"agent{i:02d}" for i in range(1, 41))
DISPOSITIONS = ("resolved", "callback", "info_given", "ticket_created", "transferred")
TICKET_TYPES = (("inquiry", "INQ"), ("repair", "REP"), ("repair", "REP"), ("complaint", "CMP"))
# A contact centre's history is mostly done: 20 % of the tickets open, 80 % resolved or closed.
STATUSES = ("new", "assigned", "in_progress", "pending_customer") + ("resolved",) * 4 + ("closed",) * 12
PRIORITIES = ("low", "normal", "normal", "normal", "high", "urgent")


# ---------------------------------------------------------------------------- deterministic data


def primary_phone(i: int) -> str:
    """Customer ``i``'s primary number, unique for i < 10**7: mostly +86 mobiles, every 10th a US one."""
    if i % 10 == 0:
        return f"+1{US_AREAS[i % 5]}{2_000_000 + (i * 7_654_321) % 8_000_000:07d}"
    return f"+86{CN_PREFIXES[i % len(CN_PREFIXES)]}{(i * 73_939_133) % 100_000_000:08d}"


def landline(i: int) -> str:
    return f"+8610{5 + i % 2}{(i * 3_141_593) % 10_000_000:07d}"


def display_name(i: int) -> str:
    if i % 10 == 0:
        return ENGLISH[(i // 10) % len(ENGLISH)]
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)]


@dataclass
class Counts:
    customers: int = 0
    contact_points: int = 0
    assets: int = 0
    interactions: int = 0
    tickets: int = 0
    ticket_interactions: int = 0


class Clock:
    """A pool of pre-formatted timestamps, so formatting does not dominate the load."""

    def __init__(self, rng: random.Random, backend: str, size: int = 50_000):
        suffix = "+00" if backend == "postgresql" else ""
        self.times = [NOW - timedelta(seconds=rng.randrange(730 * 86400)) for _ in range(size)]
        self.times.sort()
        self.text = [t.strftime("%Y-%m-%d %H:%M:%S.%f") + suffix for t in self.times]
        self.size = size

    def at(self, k: int) -> str:
        return self.text[k % self.size]

    def later(self, k: int, seconds: int) -> str:
        t = self.times[k % self.size] + timedelta(seconds=seconds)
        return t.strftime("%Y-%m-%d %H:%M:%S.%f") + ("+00" if self.text[0].endswith("+00") else "")


TABLES: dict[str, tuple[str, ...]] = {
    "customers": ("id", "display_name", "company", "tier", "value_score", "preferred_language", "tags",
                  "created_at", "updated_at"),
    "contact_points": ("id", "customer_id", "kind", "value", "label", "is_primary", "created_at"),
    "assets": ("id", "customer_id", "product", "model", "serial_number", "purchase_date", "warranty_end",
               "address", "created_at"),
    "interactions": ("id", "customer_id", "channel", "direction", "address", "external_id", "subject",
                     "started_at", "answered_at", "ended_at", "queue", "agent", "wait_seconds",
                     "talk_seconds", "disposition", "created_at"),
    "tickets": ("id", "number", "type", "status", "priority", "customer_id", "subject", "category",
                "channel", "assignee", "team", "sla_due_at", "escalation_level", "reopened_count",
                "created_by", "created_at", "updated_at", "asset_id", "severity"),
    "ticket_interactions": ("ticket_id", "interaction_id"),
}


class Generator:
    """Rows of every table for customers [start, stop), ids derived from the customer number."""

    def __init__(self, backend: str, seed: int):
        from tickets.workflow.assignment import route_for
        from tickets.workflow.rules import load_rules
        from tickets.workflow.vocab import TicketType

        rules = load_rules()
        self.routes: dict[str, tuple[str | None, tuple[str, ...]]] = {}
        for ttype in ("inquiry", "repair", "complaint"):
            route = route_for(rules, ticket_type=TicketType(ttype), category=None)
            self.routes[ttype] = (route.team, tuple(route.members) or AGENTS) if route else (None, AGENTS)
        self.rng = random.Random(seed)
        self.clock = Clock(self.rng, backend)
        booleans: tuple[Any, Any] = ("t", "f") if backend == "postgresql" else (1, 0)
        self.true, self.false = booleans
        self.counts = Counts()
        self.cp_id = self.asset_id = self.interaction_id = self.ticket_id = 0
        self.links: list[tuple[int, int]] = []

    def batch(self, start: int, stop: int) -> dict[str, list[tuple[Any, ...]]]:
        rng, clock = self.rng, self.clock
        out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
        customers, cps, assets = out["customers"], out["contact_points"], out["assets"]
        interactions, tickets, links = out["interactions"], out["tickets"], out["ticket_interactions"]
        for i in range(start, stop):
            created = clock.at(i * 13)
            lang = "en" if i % 10 == 0 else "zh"
            customers.append((i, display_name(i), None, TIERS[i % len(TIERS)], round(rng.random() * 100, 2),
                              lang, "[]", created, created))
            phone = primary_phone(i)
            self.cp_id += 1
            cps.append((self.cp_id, i, "phone", phone, "mobile", self.true, created))
            if i % 5 == 1:
                self.cp_id += 1
                cps.append((self.cp_id, i, "phone", landline(i), "home", self.false, created))
            if i % 5 != 2:
                self.cp_id += 1
                cps.append((self.cp_id, i, "email", f"user{i}@example.com", None, self.true, created))
            first_asset = None
            if i % 5 < 3:
                product, model = PRODUCTS[i % len(PRODUCTS)]
                bought = date(2022, 1, 1) + timedelta(days=(i * 37) % 1400)
                self.asset_id += 1
                first_asset = self.asset_id
                assets.append((self.asset_id, i, product, model, f"SN{i:010d}", bought.isoformat(),
                               (bought + timedelta(days=730)).isoformat(), None, created))
            n_interactions = 2 + (i % 3)  # 2, 3 or 4: three on average
            last_interaction = 0
            for k in range(n_interactions):
                self.interaction_id += 1
                iid = self.interaction_id
                channel = CHANNELS[(i + k) % len(CHANNELS)]
                started_k = iid * 7 + k
                started = clock.at(started_k)
                wait, talk = rng.randrange(120), rng.randrange(30, 900)
                address = {"phone": phone, "email": f"user{i}@example.com"}.get(channel)
                interactions.append((
                    iid, i, channel, "inbound", address, f"bench-{iid}", None, started,
                    clock.later(started_k, wait) if channel == "phone" else None,
                    clock.later(started_k, wait + talk) if channel == "phone" else None,
                    QUEUES[iid % len(QUEUES)] if channel == "phone" else None, AGENTS[iid % len(AGENTS)],
                    wait if channel == "phone" else None, talk if channel == "phone" else None,
                    DISPOSITIONS[iid % len(DISPOSITIONS)], started,
                ))
                last_interaction = iid
            if i % 2 == 0:
                self.ticket_id += 1
                tid = self.ticket_id
                ttype, prefix = TICKET_TYPES[rng.randrange(len(TICKET_TYPES))]
                team, members = self.routes[ttype]
                status = STATUSES[rng.randrange(len(STATUSES))]
                created_t = clock.at(tid * 11)
                tickets.append((
                    tid, f"{prefix}-{tid:06d}", ttype, status, PRIORITIES[rng.randrange(len(PRIORITIES))], i,
                    f"Bench {ttype} {tid}", None, "phone",
                    None if status == "new" else members[rng.randrange(len(members))], team,
                    clock.later(tid * 11, 86400), 0, 0, "bench", created_t, created_t,
                    first_asset if ttype == "repair" else None, "medium" if ttype == "complaint" else None,
                ))
                links.append((tid, last_interaction))
        for name, rows in out.items():
            setattr(self.counts, name, getattr(self.counts, name) + len(rows))
        return out


# ---------------------------------------------------------------------------- loading


def _pg_line(row: tuple[Any, ...]) -> str:
    return "\t".join(["\\N" if v is None else str(v) for v in row])


def load_postgresql(engine: Engine, gen: Generator, customers: int, chunk: int) -> None:
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        with conn.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            for start in range(1, customers + 1, chunk):
                batch = gen.batch(start, min(start + chunk, customers + 1))
                for table, rows in batch.items():
                    if not rows:
                        continue
                    cols = ", ".join(TABLES[table])
                    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        copy.write("\n".join(map(_pg_line, rows)) + "\n")
                conn.commit()
            for table in ("customers", "contact_points", "assets", "interactions", "tickets"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        conn.commit()
    finally:
        raw.close()


def load_sqlite(engine: Engine, gen: Generator, customers: int, chunk: int) -> None:
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-200000")
        for start in range(1, customers + 1, chunk):
            batch = gen.batch(start, min(start + chunk, customers + 1))
            conn.execute("BEGIN")
            for table, rows in batch.items():
                if rows:
                    cols = TABLES[table]
                    marks = ", ".join("?" * len(cols))
                    conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)
            conn.execute("COMMIT")
        conn.execute("PRAGMA synchronous=NORMAL")
    finally:
        raw.close()


def analyze(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()


# ---------------------------------------------------------------------------- measuring


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def timed(
    factory: sessionmaker[Session], calls: Iterable[Any], fn: Callable[[Session, Any], Any]
) -> list[float]:
    """Milliseconds per call, each in a session of its own (as one HTTP request would have)."""
    out: list[float] = []
    for arg in calls:
        t0 = time.perf_counter()
        with factory() as session:
            result = fn(session, arg)
            if result is None:
                raise RuntimeError(f"no result for {arg!r}")
        out.append((time.perf_counter() - t0) * 1000)
    return out


def measure(engine: Engine, args: argparse.Namespace) -> dict[str, Any]:
    """Lookup and record latency for random existing numbers, then ticket creation throughput."""
    from tickets.actors import Actor
    from tickets.customers.service import find_by_phone
    from tickets.db import session_factory
    from tickets.record.service import record_by_phone
    from tickets.ticketing.schemas import TicketCreate
    from tickets.ticketing.service import create_ticket
    from tickets.workflow.rules import load_rules

    factory = session_factory(engine)
    rng = random.Random(args.seed + 1)

    def sample(n: int) -> list[tuple[int, str]]:
        ids = [rng.randint(1, args.customers) for _ in range(n)]
        return [(i, primary_phone(i)) for i in ids]

    def lookup(session: Session, arg: tuple[int, str]) -> Any:
        found = find_by_phone(session, phone=arg[1])
        if not found or found[0].id != arg[0]:
            raise RuntimeError(f"lookup of {arg[1]} returned {found!r}, expected customer {arg[0]}")
        return found

    def record(session: Session, arg: tuple[int, str]) -> Any:
        rec = record_by_phone(session, phone=arg[1])
        if rec.customer.id != arg[0] or not rec.interactions:
            raise RuntimeError(f"record of {arg[1]} is customer {rec.customer.id}, expected {arg[0]}")
        return rec

    warm = min(200, args.samples)
    timed(factory, sample(warm), lookup)
    lookup_ms = timed(factory, sample(args.samples), lookup)
    timed(factory, sample(warm), record)
    record_ms = timed(factory, sample(args.samples), record)

    rules = load_rules()
    actor = Actor("bench", "agent")
    kinds = ("inquiry", "repair", "complaint")
    t0 = time.perf_counter()
    for k in range(args.tickets):
        kind = kinds[k % 3]
        data = TicketCreate.model_validate({
            "type": kind, "customer_id": rng.randint(1, args.customers), "subject": f"bench ticket {k}",
            "channel": "phone", **({"severity": "medium"} if kind == "complaint" else {}),
        })
        with factory() as session:
            create_ticket(session, actor=actor, data=data, rules=rules)
            session.commit()
    create_seconds = time.perf_counter() - t0

    def ms(values: list[float], q: float) -> float:
        return round(percentile(values, q), 3)

    return {
        "lookup_p50_ms": ms(lookup_ms, 50), "lookup_p99_ms": ms(lookup_ms, 99),
        "lookup_max_ms": ms(lookup_ms, 100),
        "record_p50_ms": ms(record_ms, 50), "record_p99_ms": ms(record_ms, 99),
        "record_max_ms": ms(record_ms, 100),
        "ticket_create_per_s": round(args.tickets / create_seconds, 1),
        "samples": args.samples, "tickets_created": args.tickets,
    }


# ---------------------------------------------------------------------------- databases


@contextlib.contextmanager
def scratch_database(backend: str, url: str | None, keep: bool) -> Iterator[str]:
    if backend == "sqlite":
        if url:
            yield url
            return
        with tempfile.TemporaryDirectory(prefix="cc-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'crm.db'}"
        return
    admin_url = url or os.environ.get("CC_TEST_POSTGRES_URL", DEFAULT_PG_ADMIN_URL)
    name = f"cc_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept database {name}", file=sys.stderr)
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---------------------------------------------------------------------------- main


def build(url: str, backend: str, customers: int, seed: int, chunk: int) -> tuple[Engine, Generator, float]:
    from callcenter.migrate import upgrade

    upgrade(url)
    engine = create_engine(url)
    gen = Generator(backend, seed)
    t0 = time.perf_counter()
    if backend == "postgresql":
        load_postgresql(engine, gen, customers, chunk)
    else:
        load_sqlite(engine, gen, customers, chunk)
    return engine, gen, time.perf_counter() - t0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--url", help="PostgreSQL: the server's admin URL the scratch database is created "
                        "through; SQLite: the database URL to use instead of a temporary file")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL scratch database")
    parser.add_argument("--samples", type=int, default=2000, help="timed lookups and records")
    parser.add_argument("--tickets", type=int, default=500, help="tickets created for the throughput")
    parser.add_argument("--chunk", type=int, default=20_000, help="customers per load transaction")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--load-only", action="store_true", help="load and analyze, measure nothing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.customers < 1:
        raise SystemExit("--customers must be at least 1")
    result: dict[str, Any] = {"bench": "crm", "backend": args.backend, "customers": args.customers}
    with scratch_database(args.backend, args.url, args.keep) as url:
        engine, gen, load_seconds = build(url, args.backend, args.customers, args.seed, args.chunk)
        try:
            t0 = time.perf_counter()
            analyze(engine)
            result["load_seconds"] = round(load_seconds, 2)
            result["analyze_seconds"] = round(time.perf_counter() - t0, 2)
            result["rows"] = vars(gen.counts)
            result["load_rows_per_s"] = round(sum(vars(gen.counts).values()) / load_seconds)
            if not args.load_only:
                result.update(measure(engine, args))
        finally:
            engine.dispose()
    result["python"] = platform.python_version()
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


if __name__ == "__main__":
    main()
