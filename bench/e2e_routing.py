"""End-to-end routing benchmark on the bundled PBX: our ACD against app_queue, same simulated agents,
same run.

    python bench/e2e_routing.py [--calls 40] [--agents 6] [--rates 8,16,32,48,64] [--rate-seconds 4]

Latency (``--calls`` sequential calls each, one agent always free): from a call being ready for an
agent to the agent's phone ringing (``DialBegin`` to ``Local/<ext>@agent-phones``).

- ours: ``routing.service.RoutingService`` (memory store) with ``AmiCallControl`` on one AMI link;
  ready = ``call_entered()`` called for a caller already waiting (``Local/s@sim-hold``); the offer
  is an ``Originate`` of the agent phone. The clock stops when this process receives the
  ``DialBegin`` event, so ours includes the event's delivery.
- app_queue: queue ``cc-bench`` (config/asterisk/queues.conf.j2, the same agents added with
  ``QueueAdd``); ready = ``QueueCallerJoin`` received, ringing = ``DialBegin`` received (both carry
  the event delivery, which cancels out).

Sustained rate (``--rates``, each for ``--rate-seconds``): callers arrive at the rate; a connected
call ends at once (the caller is hung up on answer, for both). A rate is sustained when every call
reached a phone and the wait (ready → DialBegin) of the last third of the calls is at most twice
the first third's plus 250 ms; ``*_max_cps`` is the highest sustained rate (0: none).

Estimated wait (``--est-calls``, 0 to skip): ``--est-agents`` of the phones serve queue ``est``;
callers arrive at ``--est-rate`` per second, faster than the agents serve them (each call talks
``--est-talk`` seconds on average, uniform between half and one and a half times it, ended by this
process), so callers queue behind busy agents. Per call: the estimate the engine gives for the
caller's position at entry (``RoutingCore.estimated_wait``, what the holding dialplan announces: k
× AHT ÷ agents, the AHT learned from the calls handled so far) against the measured wait from
``call_entered()`` to the ``CallAnswered`` message. Calls that entered before any call was handled
(their estimate uses the configured default AHT) are counted apart, not compared.

Prints one JSON line. Figures depend on the machine's load (Asterisk shares it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ivr import pbx_settings, shared_pbx  # noqa: E402
from routing import messages as m  # noqa: E402
from routing.ami_control import AmiCallControl  # noqa: E402
from routing.config import parse  # noqa: E402
from routing.core import RoutingCore  # noqa: E402
from routing.domain import CallAttributes, CallStatus  # noqa: E402
from routing.engine import Engine  # noqa: E402
from routing.events import CallEnded, LogIn  # noqa: E402
from routing.service import RoutingService  # noqa: E402
from routing.store import MemoryStore  # noqa: E402
from telephony.ami import AmiClient, Message  # noqa: E402
from telephony.channels import agent_extension  # noqa: E402
from telephony.control import ApplicationTarget, db_put, originate  # noqa: E402
from telephony.control.send import send  # noqa: E402

BENCH_QUEUE = "cc-bench"
log = logging.getLogger("bench.e2e_routing")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Watch:
    """AMI facts by arrival time (this process's monotonic clock)."""

    dial_begin: dict[str, list[tuple[float, str]]] = field(default_factory=dict)  # ext → (t, caller channel)
    joined: dict[str, float] = field(default_factory=dict)  # caller channel → QueueCallerJoin
    connected: list[Callable[[Message], None]] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def on_dial(self, event: Message) -> None:
        ext = agent_extension(event.get("DestChannel", ""))
        if ext is not None:
            self.dial_begin.setdefault(ext, []).append((time.monotonic(), event.get("Channel", "")))
            self.wake.set()

    def on_join(self, event: Message) -> None:
        if event.get("Queue") == BENCH_QUEUE:
            self.joined[event.get("Channel", "")] = time.monotonic()
            self.wake.set()

    def on_connect(self, event: Message) -> None:
        for handler in list(self.connected):
            handler(event)

    async def until(self, probe: Callable[[], bool], within: float) -> bool:
        deadline = time.monotonic() + within
        while not probe():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 0.05)):
                    await self.wake.wait()
        return True


async def place_caller(ami: AmiClient, app: str, data: str) -> str:
    number = "139" + str(secrets.randbelow(10**8)).zfill(8)
    placed = await originate(ami, "Local/s@sim-hold", ApplicationTarget(app, data), caller_id_number=number,
                             variables={"SIM_HOLD": "60"})
    return placed.channel


async def hang_up(ami: AmiClient, *channels: str) -> None:
    for channel in channels:
        with contextlib.suppress(Exception):
            await ami.send_action("Hangup", {"Channel": channel})


class Ours:
    def __init__(self, ami: AmiClient, watch: Watch, extensions: list[str]) -> None:
        document = {"queues": {"q": {"ring_timeout": 10, "wrapup_seconds": 0, "max_wait": 600,
                                     "announce_interval": 0}},
                    "agents": {f"b{n}": {"extension": ext, "queues": ["q"]}
                               for n, ext in enumerate(extensions)}}
        self.ami, self.watch = ami, watch
        self.channels: dict[str, str] = {}
        self.callers: dict[str, str] = {}  # call id → ;1 leg
        self.control = AmiCallControl(ami, caller_channel=self.channels.get, heartbeat_family="cc-bench")
        engine = Engine(RoutingCore(parse(document)), MemoryStore())
        self.service = RoutingService(engine, control=self.control, publish=self.on_message)
        self.answered: set[str] = set()
        self.agents = [f"b{n}" for n in range(len(extensions))]

    def on_message(self, message: object) -> None:
        if isinstance(message, m.CallAnswered):
            self.answered.add(message.call_id)
            asyncio.get_running_loop().create_task(self._end(message.call_id))
        self.watch.wake.set()

    async def _end(self, call_id: str) -> None:
        await hang_up(self.ami, self.callers.get(call_id, ""), self.channels.get(call_id, ""))
        await self.service.submit(CallEnded(call_id))

    async def one(self, n: int) -> float | None:
        """Place a waiting caller, enter it; seconds from ready to the offered phone's DialBegin."""
        call_id = f"bench-{n}-{secrets.token_hex(3)}"
        leg = await place_caller(self.ami, "Wait", "60")
        self.callers[call_id] = leg
        self.channels[call_id] = leg.replace(";1", ";2")
        before = {ext: len(v) for ext, v in self.watch.dial_begin.items()}
        t0 = time.monotonic()
        decisions = await self.service.call_entered(CallAttributes(call_id=call_id, queue="q"))
        offer = next((d for d in decisions if type(d).__name__ == "OfferCall"), None)
        ext = getattr(offer, "extension", None)
        if ext is None:  # no free agent now: the offer comes later
            if not await self.watch.until(lambda: self.service.core.calls.get(call_id) is None
                                          or self.service.core.calls[call_id].agent_id is not None, 30):
                return None
            call = self.service.core.calls.get(call_id)
            if call is None or call.agent_id is None:
                return None
            ext = self.service.core.agents[call.agent_id].profile.extension
        seen = before.get(ext, 0)
        if not await self.watch.until(lambda: len(self.watch.dial_begin.get(ext, ())) > seen, 30):
            return None
        return self.watch.dial_begin[ext][seen][0] - t0


class EstimatePhase:
    """Callers queueing behind busy agents: the engine's estimate at entry against the wait measured."""

    def __init__(self, ami: AmiClient, extensions: list[str], talk: float, seed: int = 12) -> None:
        document = {"queues": {"est": {"ring_timeout": 10, "wrapup_seconds": 0, "max_wait": 600,
                                       "announce_interval": 0, "default_handle_seconds": 180}},
                    "agents": {f"e{n}": {"extension": ext, "queues": ["est"]}
                               for n, ext in enumerate(extensions)}}
        self.ami, self.talk = ami, talk
        self.random = random.Random(seed)
        self.channels: dict[str, str] = {}
        self.callers: dict[str, str] = {}
        control = AmiCallControl(ami, caller_channel=self.channels.get, heartbeat_family="cc-bench")
        self.service = RoutingService(Engine(RoutingCore(parse(document)), MemoryStore()), control=control,
                                      publish=self.on_message)
        self.agents = [f"e{n}" for n in range(len(extensions))]
        self.entered: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self.estimate: dict[str, tuple[float, bool]] = {}  # call → (estimate at entry, AHT learned)
        self.done = asyncio.Event()
        self.expected = 0

    def on_message(self, message: object) -> None:
        if isinstance(message, m.CallAnswered) and message.call_id in self.entered:
            self.answered[message.call_id] = time.monotonic()
            talk = self.talk * (0.5 + self.random.random())
            asyncio.get_running_loop().create_task(self._end(message.call_id, talk))

    async def _end(self, call_id: str, talk: float) -> None:
        await asyncio.sleep(talk)
        await hang_up(self.ami, self.callers.get(call_id, ""), self.channels.get(call_id, ""))
        await self.service.submit(CallEnded(call_id))
        if len(self.answered) >= self.expected:
            self.done.set()

    async def one(self, n: int) -> None:
        call_id = f"est-{n}-{secrets.token_hex(3)}"
        leg = await place_caller(self.ami, "Wait", "120")
        self.callers[call_id] = leg
        self.channels[call_id] = leg.replace(";1", ";2")
        learned = self.service.core.counters["est"].aht is not None
        self.entered[call_id] = time.monotonic()
        await self.service.call_entered(CallAttributes(call_id=call_id, queue="est"))
        call = self.service.core.calls.get(call_id)
        waiting = call is not None and call.status is CallStatus.WAITING
        estimate = self.service.core.estimated_wait(call) if call is not None and waiting else 0.0
        self.estimate[call_id] = (estimate or 0.0, learned)

    async def run(self, calls: int, rate: float) -> dict[str, object]:
        self.expected = calls
        async with self.service:
            for agent in self.agents:
                await self.service.submit(LogIn(agent))
            start = time.monotonic()
            tasks = []
            for n in range(calls):
                delay = start + n / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(self.one(n)))
            await asyncio.gather(*tasks)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(60 + calls * self.talk * 2):
                    await self.done.wait()
        pairs = [(self.estimate[c][0], self.answered[c] - self.entered[c]) for c in self.answered
                 if self.estimate[c][1]]
        queued = [(est, real) for est, real in pairs if est > 0]
        errors = [est - real for est, real in pairs]
        ratios = [est / real for est, real in queued if real > 0]

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        def mean(values: list[float]) -> float | None:
            return statistics.fmean(values) if values else None

        return {
            "est_wait_calls": len(pairs), "est_wait_queued_calls": len(queued),
            "est_wait_default_aht_calls": sum(1 for c in self.answered if not self.estimate[c][1]),
            "est_wait_unanswered": calls - len(self.answered),
            "est_wait_agents": len(self.agents), "est_wait_rate_cps": rate, "est_wait_talk_s": self.talk,
            "measured_wait_mean_s": rounded(mean([r for _, r in pairs])),
            "measured_wait_max_s": rounded(max((r for _, r in pairs), default=None)),
            "est_wait_mean_s": rounded(mean([e for e, _ in pairs])),
            "est_wait_mean_abs_error_s": rounded(mean([abs(x) for x in errors])),
            "est_wait_p50_error_s": rounded(percentile(errors, 0.5) if errors else None),
            "est_wait_p90_abs_error_s": rounded(percentile([abs(x) for x in errors], 0.9) if errors
                                                else None),
            "est_wait_ratio_p50": rounded(percentile(ratios, 0.5) if ratios else None),
        }


class AppQueue:
    def __init__(self, ami: AmiClient, watch: Watch, extensions: list[str]) -> None:
        self.ami, self.watch, self.extensions = ami, watch, extensions
        watch.connected.append(self.on_connect)

    def on_connect(self, event: Message) -> None:
        if event.get("Queue") == BENCH_QUEUE:
            asyncio.get_running_loop().create_task(hang_up(self.ami, event.get("Channel", "")))

    async def members(self, add: bool) -> None:
        for ext in self.extensions:
            interface = f"Local/{ext}@agent-phones"
            headers = {"Queue": BENCH_QUEUE, "Interface": interface}
            if add:
                headers |= {"StateInterface": interface, "MemberName": f"Bench {ext}"}
            with contextlib.suppress(Exception):
                await send(self.ami, "QueueAdd" if add else "QueueRemove", headers)

    async def one(self, n: int) -> float | None:
        leg = await place_caller(self.ami, "Queue", f"{BENCH_QUEUE},c")
        if not await self.watch.until(lambda: leg in self.watch.joined, 30):
            return None
        t0 = self.watch.joined[leg]

        def rung() -> float | None:
            hits = [t for v in self.watch.dial_begin.values() for t, ch in v if ch == leg and t >= t0]
            return min(hits) if hits else None

        if not await self.watch.until(lambda: rung() is not None, 30):
            return None
        t1 = rung()
        return None if t1 is None else t1 - t0


OneCall = Callable[[int], Coroutine[Any, Any, float | None]]


async def sequential(one: OneCall, calls: int, settle: Callable[[], Awaitable[None]]) -> list[float]:
    samples = []
    for n in range(calls):
        value = await one(n)
        if value is not None:
            samples.append(value)
        await settle()
    return samples


async def sustained(one: OneCall, rate: float, seconds: float) -> bool:
    count = max(3, int(rate * seconds))
    start = time.monotonic()
    tasks: list[asyncio.Task[float | None]] = []
    for n in range(count):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(10_000 + n)))
    waits = await asyncio.gather(*tasks, return_exceptions=True)
    if any(not isinstance(w, float) for w in waits):
        return False
    values = [w for w in waits if isinstance(w, float)]
    third = max(1, len(values) // 3)
    return statistics.fmean(values[-third:]) <= 2 * statistics.fmean(values[:third]) + 0.25


async def run(args: argparse.Namespace) -> dict[str, object]:
    settings = pbx_settings()
    result: dict[str, object] = {"bench": "e2e_routing", "calls": args.calls, "agents": args.agents}
    with shared_pbx(settings):
        ami = AmiClient(settings.ami)
        watch = Watch()
        ami.subscribe("DialBegin", watch.on_dial)
        ami.subscribe("QueueCallerJoin", watch.on_join)
        ami.subscribe("AgentConnect", watch.on_connect)
        ami.start()
        try:
            await ami.wait_connected(timeout=30)
            extensions = [str(90000 + secrets.randbelow(9000)) for _ in range(args.agents)]
            for ext in extensions:  # answer at once, talk briefly
                await db_put(ami, "simphone", f"{ext}/ring", "0")
                await db_put(ami, "simphone", f"{ext}/talk", "1")
            ours, app = Ours(ami, watch, extensions), AppQueue(ami, watch, extensions)

            async def idle() -> None:  # every phone back to idle before the next call
                await watch.until(lambda: False, 0.3)

            async with ours.service:
                for agent in ours.agents:
                    await ours.service.submit(LogIn(agent))
                ours_ms = [1000 * v for v in await sequential(ours.one, args.calls, idle)]
                ours_cps = 0.0
                for rate in args.rates:
                    if not await sustained(ours.one, rate, args.rate_seconds):
                        break
                    ours_cps = rate
                    await idle()
            await app.members(True)
            try:
                app_ms = [1000 * v for v in await sequential(app.one, args.calls, idle)]
                app_cps = 0.0
                for rate in args.rates:
                    if not await sustained(app.one, rate, args.rate_seconds):
                        break
                    app_cps = rate
                    await idle()
            finally:
                await app.members(False)
            if args.est_calls > 0:
                estimating = extensions[:args.est_agents]
                for ext in estimating:  # this process ends each call after its talk time
                    await db_put(ami, "simphone", f"{ext}/ring", "0.2")
                    await db_put(ami, "simphone", f"{ext}/talk", "300")
                await idle()
                phase = EstimatePhase(ami, estimating, args.est_talk)
                result |= await phase.run(args.est_calls, args.est_rate)
        finally:
            await ami.close()
    result |= {
        "ours_p50_ms": round(percentile(ours_ms, 0.5), 2), "ours_p99_ms": round(percentile(ours_ms, 0.99), 2),
        "app_queue_p50_ms": round(percentile(app_ms, 0.5), 2),
        "app_queue_p99_ms": round(percentile(app_ms, 0.99), 2),
        "ratio_p50": round(percentile(ours_ms, 0.5) / percentile(app_ms, 0.5), 3) if app_ms else None,
        "ours_max_cps": ours_cps, "app_queue_max_cps": app_cps,
        "ours_samples": len(ours_ms), "app_queue_samples": len(app_ms),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--agents", type=int, default=6)
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",") if x],
                        default=[8.0, 16.0, 32.0, 48.0, 64.0])
    parser.add_argument("--rate-seconds", type=float, default=4.0)
    parser.add_argument("--est-calls", type=int, default=30)
    parser.add_argument("--est-agents", type=int, default=3)
    parser.add_argument("--est-talk", type=float, default=1.5)
    parser.add_argument("--est-rate", type=float, default=2.5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
