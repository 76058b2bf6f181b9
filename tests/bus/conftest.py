"""The contract fixture: every contract test runs on the in-process bus and on Redis.

For Redis the publisher and the subscriber are two buses on one per-test stream (as two processes
would be); in-process they are one bus.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from bus import BusBase, InProcessBus
from bus.redis_stream import RedisBus
from tests.bus.messages import CODEC

REDIS_URL = "redis://127.0.0.1:6379/0"


async def eventually(condition: Callable[[], bool], within: float = 10.0, what: str = "condition") -> None:
    """Poll ``condition`` until true, failing after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


@dataclass
class Buses:
    transport: str
    pub: InProcessBus | RedisBus
    sub: BusBase

    def delivered_all(self, name: str, count: int) -> Callable[[], bool]:
        """True once ``count`` messages reached subscriber ``name`` (queued, delivered or dropped)."""
        def check() -> bool:
            return any(s.name == name and s.queued + s.delivered + s.dropped >= count
                       for s in self.sub.stats())
        return check


@pytest.fixture
def stream_key() -> str:
    return f"test:bus:{uuid.uuid4().hex}"


@pytest.fixture
async def redis_bus_factory(stream_key: str) -> AsyncIterator[Callable[..., RedisBus]]:
    made: list[RedisBus] = []

    def make(**options: object) -> RedisBus:
        options.setdefault("url", REDIS_URL)
        bus = RedisBus(codec=CODEC, stream=stream_key, **options)  # type: ignore[arg-type]
        made.append(bus)
        return bus

    yield make
    for bus in made:
        await bus.close()
    client = Redis.from_url(REDIS_URL)
    await client.delete(stream_key)
    await client.aclose()


@pytest.fixture(params=["inproc", pytest.param("redis", marks=pytest.mark.redis)])
async def buses(
    request: pytest.FixtureRequest, redis_bus_factory: Callable[..., RedisBus]
) -> AsyncIterator[Buses]:
    if request.param == "inproc":
        bus = InProcessBus()
        yield Buses("inproc", bus, bus)
        await bus.close()
        return
    pub, sub = redis_bus_factory(), redis_bus_factory()
    await pub.start()
    await sub.start()
    yield Buses("redis", pub, sub)
