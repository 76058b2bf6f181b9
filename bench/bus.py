"""Event bus benchmark: one publisher, many subscribers, in-process and over Redis, same run.

    python bench/bus.py [--subscribers 500] [--messages 2000] [--latency-messages 500]
                        [--latency-rate 200] [--redis-url URL]

For each transport (``InProcessBus``; ``RedisBus`` with the publisher and the subscribers on two
buses sharing a scratch stream, as two processes would, deleted at the end):

1. Throughput: every subscriber (reliable, a queue large enough to hold the run) reads in a task of
   its own; the publisher publishes ``--messages`` messages in bursts of 100, yielding to the loop
   between bursts; timed until every subscriber has every message. ``*_msgs_per_s`` = messages /
   seconds; ``*_deliveries_per_s`` = that times the subscribers.
2. Latency: ``--latency-messages`` messages published at one steady rate for both transports
   (``--latency-rate``, default 200 messages/s, 100,000 deliveries/s to 500 subscribers); each
   carries its publish time (``time.perf_counter``, one process) and each subscriber records the
   delay to its ``get()`` returning it: ``*_p50_ms``, ``*_p99_ms`` over every delivery.

Every subscriber must get every message in order (checked; a lost or reordered message fails the
run). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The repository first: this file is bench/bus.py, and its own folder must not shadow the bus package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis.asyncio import Redis

from bus import BusBase, Codec, InProcessBus, Subscription
from bus.redis_stream import RedisBus

BURST = 100


@dataclass(frozen=True, slots=True)
class Tick:
    phase: int
    n: int
    sent: float


CODEC = Codec()
CODEC.register(Tick, name="bench.Tick")


class Probe:
    """Subscriber tasks that check order and record delivery delays of the latency phase."""

    def __init__(self, subs: list[Subscription[Tick]], expected: dict[int, int]) -> None:
        self.expected = expected
        self.pending = {phase: len(subs) for phase in expected}
        self.done = {phase: asyncio.Event() for phase in expected}
        self.delays: list[float] = []
        self.tasks = [asyncio.create_task(self._read(sub)) for sub in subs]

    async def _read(self, sub: Subscription[Tick]) -> None:
        delays = self.delays
        clock = time.perf_counter
        nxt = dict.fromkeys(self.expected, 0)
        async for tick in sub:
            if tick.phase == 2:
                delays.append(clock() - tick.sent)
            if tick.n != nxt[tick.phase]:
                raise AssertionError(
                    f"{sub.name}: got #{tick.n} of phase {tick.phase}, expected #{nxt[tick.phase]}")
            nxt[tick.phase] += 1
            if nxt[tick.phase] == self.expected[tick.phase]:
                self.pending[tick.phase] -= 1
                if not self.pending[tick.phase]:
                    self.done[tick.phase].set()

    async def wait(self, phase: int, within: float) -> None:
        waiter = asyncio.create_task(self.done[phase].wait())
        finished, _ = await asyncio.wait([waiter, *self.tasks], timeout=within,
                                         return_when=asyncio.FIRST_COMPLETED)
        for task in finished:
            if task is not waiter and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        if waiter not in finished:
            waiter.cancel()
            raise TimeoutError(f"phase {phase}: {self.pending[phase]} subscriber(s) still waiting")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(pub: Any, sub_bus: BusBase, args: argparse.Namespace) -> dict[str, float]:
    subscribers, messages, latency_messages = args.subscribers, args.messages, args.latency_messages
    subs = [sub_bus.subscribe(f"bench{i}", Tick, maxsize=messages + latency_messages + 10)
            for i in range(subscribers)]
    probe = Probe(subs, {1: messages, 2: latency_messages})
    await asyncio.sleep(0)
    started = time.perf_counter()
    for n in range(messages):
        pub.publish(Tick(1, n, time.perf_counter()))
        if n % BURST == BURST - 1:
            await asyncio.sleep(0)
    await probe.wait(1, args.timeout)
    elapsed = time.perf_counter() - started
    rate = messages / elapsed

    paced = args.latency_rate
    t0 = time.perf_counter()
    for n in range(latency_messages):
        due = t0 + n / paced
        now = time.perf_counter()
        await asyncio.sleep(max(0.0, due - now))
        pub.publish(Tick(2, n, time.perf_counter()))
    await probe.wait(2, args.timeout)
    for sub in subs:
        sub.close()
    await asyncio.gather(*probe.tasks)
    return {
        "msgs_per_s": round(rate, 1),
        "deliveries_per_s": round(rate * subscribers, 1),
        "p50_ms": round(statistics.median(probe.delays) * 1000, 3),
        "p99_ms": round(percentile(probe.delays, 0.99) * 1000, 3),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"bench": "bus", "subscribers": args.subscribers, "messages": args.messages,
                              "latency_messages": args.latency_messages, "latency_rate": args.latency_rate}
    bus = InProcessBus()
    figures = await measure(bus, bus, args)
    await bus.close()
    result.update({f"inproc_{k}": v for k, v in figures.items()})

    stream = f"bench:bus:{uuid.uuid4().hex}"
    total = args.messages + args.latency_messages
    pub = RedisBus(args.redis_url, codec=CODEC, stream=stream, outbound_limit=total + 10, maxlen=total + 10)
    sub = RedisBus(args.redis_url, codec=CODEC, stream=stream)
    try:
        await pub.start()
        await sub.start()
        figures = await measure(pub, sub, args)
        stats = sub.transport_stats()
        if stats.gaps or stats.skipped_malformed or stats.skipped_unknown:
            raise AssertionError(f"the Redis reader lost or skipped messages: {stats}")
    finally:
        await pub.close()
        await sub.close()
        client = Redis.from_url(args.redis_url)
        await client.delete(stream)
        await client.aclose()
    result.update({f"redis_{k}": v for k, v in figures.items()})
    result["python"] = platform.python_version()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--messages", type=int, default=2000, help="throughput phase")
    parser.add_argument("--latency-messages", type=int, default=500, help="paced latency phase")
    parser.add_argument("--latency-rate", type=float, default=200.0, help="messages/s in the latency phase")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per phase before failing")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
