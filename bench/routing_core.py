"""ACD decision latency: the pure core in-process, and the engine with the Redis store on loopback.

    python bench/routing_core.py [--agents 2000] [--queues 100] [--skills 30] [--waiting 5000]
                                 [--samples 20000] [--redis-url redis://127.0.0.1:6379/0] [--no-redis]

Builds a contact centre of N agents (3–6 skills each, proficiency 1–10, serving 5 queues they are
skilled for), Q queues (1–2 required skills, some with escalation steps and weights, mixed
strategies), logs everyone in, gives every agent a call and leaves W calls waiting. Then measures
one ``handle(event, now)`` at a time over a steady mix that keeps W waiting: a call ends (the agent
is free and is offered the best call of their queues: the expensive decision), the new offer is
answered, a new call enters (it waits: no agent is free). Timers that fall due between two events
(escalation steps) are handled as the service's timer loop does it: a ``Tick`` at each deadline,
measured as decisions of their own. Latency is per handled input; ``p99_by_input_us`` splits it by
input, ``cpu_us_per_input`` is the measured loop's CPU time per input (robust on a loaded
machine), ``gc_collections`` the collector's runs per generation while measuring.

The collector is set up as in the ``callcenter serve`` process that runs the ACD
(``callcenter.gc_tuning.tune`` after loading: what startup built is frozen); the ``gc_unfrozen_*``
figures are the same run with nothing frozen.

``memory_engine_*``: the same mix through ``routing.engine.Engine`` on the in-process
``MemoryStore``, as the platform runs the ACD by default (the core plus the engine's reservations).
The Redis figures run the same mix through the engine on ``RedisStore``: each
decision's queue moves, releases and reservations are one Lua script, one round trip. The
``redis_global_*`` figures are the same with the engine as one of several instances (the global
queue order: each queued call's entry carries a descriptor, and each offer first reads the heads
of the agent's queues, one more round trip). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from callcenter import gc_tuning
from routing.core import RoutingCore
from routing.decisions import OfferCall
from routing.domain import (
    AgentProfile,
    CallAttributes,
    CallStatus,
    EscalationStep,
    Membership,
    PriorityRules,
    QueueConfig,
    RoutingConfig,
    SkillLevel,
    Strategy,
    StrategyName,
)
from routing.engine import Engine
from routing.events import CallEnded, CallEntered, Input, LogIn, OfferAnswered, Tick
from routing.store import MemoryStore, StateStore

T0 = 1_800_000_000.0
STRATEGIES = [
    Strategy(((StrategyName.LONGEST_IDLE, 1.0),)),
    Strategy(((StrategyName.BEST_PROFICIENCY, 1.0),)),
    Strategy(((StrategyName.FEWEST_CALLS, 1.0),)),
    Strategy(((StrategyName.LONGEST_IDLE, 1.0), (StrategyName.BEST_PROFICIENCY, 2.0))),
]
TIERS = [None] * 8 + ["gold", "vip"]


def build(agents: int, queues: int, skills: int, seed: int) -> tuple[RoutingConfig, list[str]]:
    rng = random.Random(seed)
    names = [f"s{i:02d}" for i in range(skills)]
    queue_configs = []
    for i in range(queues):
        required = rng.sample(names, rng.choice((1, 1, 2)))
        steps = (EscalationStep(after=60, lower_proficiency=2),) if i % 3 == 0 else ()
        queue_configs.append(QueueConfig(
            name=f"q{i:03d}", skills=tuple(SkillLevel(s, rng.randint(1, 5)) for s in required),
            weight=float(i % 4), strategy=STRATEGIES[i % len(STRATEGIES)], escalation=steps,
            announce_interval=0, max_wait=1e9, wrapup_seconds=0, ring_timeout=1e6,
        ))
    by_skill: dict[str, list[str]] = {}
    for q in queue_configs:
        for req in q.skills:
            by_skill.setdefault(req.skill, []).append(q.name)
    profiles = []
    for i in range(agents):
        own = rng.sample(names, rng.randint(3, 6))
        levels = tuple(SkillLevel(s, rng.randint(3, 10)) for s in own)
        served = sorted({q for s in own for q in by_skill.get(s, [])})
        rng.shuffle(served)
        served = served[:5] or [queue_configs[i % queues].name]
        profiles.append(AgentProfile(
            agent_id=f"agent{i:04d}", extension=f"{10000 + i}", skills=levels,
            queues=tuple(Membership(q, 1 + (j % 2)) for j, q in enumerate(served)),
        ))
    config = RoutingConfig(queues=tuple(queue_configs), agents=tuple(profiles),
                           priority=PriorityRules(tiers=(("vip", 30), ("gold", 15))))
    served_queues = sorted({ms.queue for p in profiles for ms in p.queues})
    return config, served_queues


class Workload:
    """Drives a core (or an engine) to W waiting calls, then yields the steady event mix."""

    def __init__(self, config: RoutingConfig, served: list[str], seed: int) -> None:
        self.rng = random.Random(seed)
        self.served = served
        self.now = T0
        self.n = 0
        self.connected: list[str] = []

    def new_call(self) -> CallEntered:
        self.n += 1
        self.now += 0.001
        return CallEntered(CallAttributes(
            call_id=f"call{self.n}", queue=self.rng.choice(self.served), tier=self.rng.choice(TIERS),
            caller_number=f"138{self.n:08d}",
        ))


def answers(decisions: list[Any]) -> list[OfferAnswered]:
    return [OfferAnswered(x.call_id, x.agent_id) for x in decisions if isinstance(x, OfferCall)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def settle_gc(as_serve: bool) -> None:
    """``as_serve``: the collector as the ``callcenter serve`` process that runs the ACD sets it once
    started (``callcenter.gc_tuning.tune``: what is alive then is frozen out of the collections;
    ``RoutingService.start`` freezes again), here after loading the configuration and logging the
    agents in, before any call. Else nothing frozen. CPython's thresholds either way (as serve)."""
    if as_serve:
        gc_tuning.tune()
    else:
        gc.collect()
        gc.unfreeze()


class Timings:
    """Latency per handled input (µs), by input type, and the collector's runs while measuring."""

    def __init__(self) -> None:
        self.by_kind: dict[str, list[float]] = {}
        self.collections = [0, 0, 0]
        self._cpu_started = 0

    def add(self, kind: str, start_ns: int) -> None:
        self.by_kind.setdefault(kind, []).append((time.perf_counter_ns() - start_ns) / 1000)

    def __enter__(self) -> Timings:
        gc.callbacks.append(self._on_gc)
        self._cpu_started = time.thread_time_ns()
        return self

    def __exit__(self, *exc: object) -> None:
        self._cpu_started = time.thread_time_ns() - self._cpu_started  # the measured loop's CPU time
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.collections[info["generation"]] += 1

    def summary(self, key: str) -> dict[str, Any]:
        values = [v for vs in self.by_kind.values() for v in vs]
        by_kind = {kind: round(percentile(vs, 0.99), 2) for kind, vs in sorted(self.by_kind.items())}
        cpu = self._cpu_started / 1000 / max(1, len(values))  # including the bench's own loop
        return {f"{key}p50_us": round(percentile(values, 0.5), 2),
                f"{key}p99_us": round(percentile(values, 0.99), 2), f"{key}samples": len(values),
                f"{key}ticks": len(self.by_kind.get("Tick", [])), f"{key}p99_by_input_us": by_kind,
                f"{key}cpu_us_per_input": round(cpu, 2), f"{key}gc_collections": list(self.collections)}


def run_core(config: RoutingConfig, served: list[str], waiting: int, samples: int, seed: int,
             gc_as_serve: bool = True, key: str = "") -> dict[str, Any]:
    core = RoutingCore(config)
    work = Workload(config, served, seed)
    for profile in config.agents:
        core.handle(LogIn(profile.agent_id), work.now)
    settle_gc(gc_as_serve)  # where the service freezes: after loading, before the calls

    def feed(event: Input) -> list[Any]:
        out = core.handle(event, work.now)
        for answer in answers(out):
            core.handle(answer, work.now)
        core.queue_changes.clear()  # the engine takes them after every step
        return out

    while _waiting(core) < waiting:
        feed(work.new_call())
    gc.collect()
    with Timings() as timings:
        for _ in range(samples // 3):
            for event in _steady(core, work):
                # the timers that fell due since the last event, one Tick at each deadline, as the
                # service's timer loop submits them
                while (deadline := core.next_deadline()) is not None and deadline <= work.now:
                    start = time.perf_counter_ns()
                    core.handle(Tick(), deadline)
                    timings.add("Tick", start)
                    core.queue_changes.clear()
                start = time.perf_counter_ns()
                out = core.handle(event, work.now)
                timings.add(type(event).__name__, start)
                for answer in answers(out):
                    start = time.perf_counter_ns()
                    core.handle(answer, work.now)
                    timings.add("OfferAnswered", start)
                    work.connected.append(answer.call_id)
                core.queue_changes.clear()
    return {**timings.summary(key), f"{key}waiting": _waiting(core)}


def _waiting(core: RoutingCore) -> int:
    return sum(len(entries) for entries in core.waiting.values())


def _steady(core: RoutingCore, work: Workload) -> list[Input]:
    """One round: a connected call ends (its agent takes the next call), a new call enters."""
    if not work.connected:
        work.connected = [c.call_id for c in core.calls.values() if c.status is CallStatus.CONNECTED]
    work.now += 0.01
    connected = work.connected
    i = work.rng.randrange(len(connected))
    connected[i], connected[-1] = connected[-1], connected[i]
    return [CallEnded(connected.pop()), work.new_call()]


async def run_engine(config: RoutingConfig, served: list[str], waiting: int, samples: int, seed: int,
                     url: str | None, global_order: bool = False) -> dict[str, Any]:
    """The engine on the Redis store at ``url``, or (``None``) on the in-process ``MemoryStore`` as the
    platform runs it by default."""
    from routing.redis_store import RedisStore

    prefix = f"cc:bench:routing:{uuid.uuid4().hex[:8]}:"
    redis = RedisStore.from_url(url, prefix=prefix) if url is not None else None
    store: StateStore = redis if redis is not None else MemoryStore()
    engine = Engine(RoutingCore(config), store, instance="bench-1" if global_order else None)
    work = Workload(config, served, seed)
    key = ("redis_global_" if global_order else "redis_") if url is not None else "memory_engine_"
    try:
        await engine.refresh()
        for profile in config.agents:
            await engine.handle(LogIn(profile.agent_id), work.now)
        settle_gc(True)
        while _waiting(engine.core) < waiting:
            out = await engine.handle(work.new_call(), work.now)
            for answer in answers(out):
                await engine.handle(answer, work.now)
        gc.collect()
        with Timings() as timings:
            for _ in range(samples // 3):
                for event in _steady(engine.core, work):
                    while (deadline := engine.core.next_deadline()) is not None and deadline <= work.now:
                        start = time.perf_counter_ns()
                        await engine.handle(Tick(), deadline)
                        timings.add("Tick", start)
                    start = time.perf_counter_ns()
                    out = await engine.handle(event, work.now)
                    timings.add(type(event).__name__, start)
                    for answer in answers(out):
                        start = time.perf_counter_ns()
                        await engine.handle(answer, work.now)
                        timings.add("OfferAnswered", start)
                        work.connected.append(answer.call_id)
        summary = timings.summary(key)
        return {k: v for k, v in summary.items() if k != f"{key}ticks"}
    finally:
        if redis is not None:
            keys = [key async for key in redis._r.scan_iter(match=f"{prefix}*", count=1000)]
            for i in range(0, len(keys), 1000):
                await redis._r.delete(*keys[i:i + 1000])
            await redis.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--queues", type=int, default=100)
    parser.add_argument("--skills", type=int, default=30)
    parser.add_argument("--waiting", type=int, default=5000)
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--redis-samples", type=int, default=6000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    config, served = build(args.agents, args.queues, args.skills, args.seed)
    started = time.perf_counter()
    result: dict[str, Any] = {"bench": "routing_core", "agents": args.agents, "queues": args.queues,
                              "skills": args.skills}
    result.update(run_core(config, served, args.waiting, args.samples, args.seed))
    unfrozen = run_core(config, served, args.waiting, args.samples, args.seed, gc_as_serve=False)
    result.update({"gc_unfrozen_p50_us": unfrozen["p50_us"], "gc_unfrozen_p99_us": unfrozen["p99_us"],
                   "gc_unfrozen_gc_collections": unfrozen["gc_collections"]})
    engine = asyncio.run(run_engine(config, served, args.waiting, args.samples, args.seed, None))
    result.update(engine)
    if args.no_redis:
        result.update({"redis_p50_us": None, "redis_p99_us": None})
    else:
        result.update(asyncio.run(run_engine(config, served, args.waiting, args.redis_samples, args.seed,
                                             args.redis_url)))
        result.update(asyncio.run(run_engine(config, served, args.waiting, args.redis_samples, args.seed,
                                             args.redis_url, global_order=True)))
    result.update({"goal_p99_us": 100, "goal_redis_p99_us": 2000, "python": platform.python_version(),
                   "seconds": round(time.perf_counter() - started, 1)})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
