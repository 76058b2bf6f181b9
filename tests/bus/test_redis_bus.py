"""What only the Redis transport does: the wire, gaps found by sequence, Redis going away and back."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bus import LOSSY, Dropped, SubscriberOverflow, UnknownMessageType
from bus.redis_stream import RedisBus
from tests.bus.conftest import REDIS_URL, eventually
from tests.bus.messages import CODEC, Caller, CallStarted

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]
ALICE = Caller("+8613800138000", "张三丰")


def started(n: int) -> CallStarted:
    return CallStarted(call_id=f"c{n}", n=n, caller=ALICE)


@pytest.fixture
async def raw(stream_key: str) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    """XADD an entry by hand, as a foreign or broken publisher would."""
    client = Redis.from_url(REDIS_URL)

    async def xadd(**fields: str | int) -> None:
        await client.xadd(stream_key, fields)  # type: ignore[arg-type]

    yield xadd
    await client.aclose()


def wire(n: int, *, seq: int | None = None, publisher: str = "other") -> dict[str, str | int]:
    name, payload = CODEC.encode(started(n))
    return {"p": publisher, "s": n if seq is None else seq, "t": name, "d": payload}


async def test_unregistered_types_and_malformed_entries_are_logged_and_skipped(
    redis_bus_factory: Callable[..., RedisBus], raw: Callable[..., Awaitable[None]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = redis_bus_factory()
    await bus.start()
    sub = bus.subscribe("recorder")
    caplog.set_level(logging.WARNING, logger="bus.redis_stream")
    await raw(**wire(1))
    await raw(p="other", s=2, t="routing.messages.FromTheFuture", d='{"x":1}')
    await raw(p="other", s=3, t=CODEC.name_of(CallStarted), d='{"call_id":"c3"}')  # fields missing
    await raw(p="other", s=4, t=CODEC.name_of(CallStarted), d="not json")
    await raw(junk="no publisher, sequence or type")
    await raw(**wire(5))
    assert [await sub.get(), await sub.get()] == [started(1), started(5)]
    t = bus.transport_stats()
    assert (t.skipped_unknown, t.skipped_malformed, t.gaps) == (1, 3, 0)
    logged = caplog.text
    assert "unregistered type 'routing.messages.FromTheFuture'" in logged
    assert "CallStarted: missing field 'n'" in logged and "payload is not JSON" in logged


async def test_a_jump_in_a_publishers_sequence_is_a_gap_every_subscriber_is_told_of_in_place(
    redis_bus_factory: Callable[..., RedisBus], raw: Callable[..., Awaitable[None]],
) -> None:
    bus = redis_bus_factory()
    await bus.start()
    acd = bus.subscribe("acd", CallStarted)
    ui = bus.subscribe("wallboard", policy=LOSSY)
    for n in (1, 2, 6, 7):  # 3, 4 and 5 never reached the stream
        await raw(**wire(n))
    assert [(await acd.get()).n, (await acd.get()).n] == [1, 2]
    with pytest.raises(SubscriberOverflow) as gap:
        await acd.get()
    assert gap.value.missed == 3
    assert [(await acd.get()).n, (await acd.get()).n] == [6, 7]
    assert [await ui.get() for _ in range(5)] == [started(1), started(2), Dropped(3), started(6), started(7)]
    t = bus.transport_stats()
    assert (t.gaps, t.missed, t.received) == (1, 3, 4)


async def test_entries_trimmed_before_a_reader_got_to_them_are_a_gap(
    redis_bus_factory: Callable[..., RedisBus], stream_key: str,
) -> None:
    bus = redis_bus_factory()
    await bus.start()
    acd = bus.subscribe("acd", CallStarted)
    client = SyncRedis.from_url(REDIS_URL)
    client.xadd(stream_key, wire(1))  # type: ignore[arg-type]
    assert (await acd.get()).n == 1  # the reader knows this publisher now
    # A synchronous client holds the event loop, so the reader falls behind while the stream is
    # written and trimmed (as MAXLEN does to a reader more than maxlen entries behind).
    for n in range(2, 11):
        client.xadd(stream_key, wire(n))  # type: ignore[arg-type]
    client.xtrim(stream_key, maxlen=2, approximate=False)
    client.close()
    seen: list[int] = []
    while not seen or seen[-1] != 10:
        try:
            seen.append((await asyncio.wait_for(acd.get(), 10)).n)
        except SubscriberOverflow as overflow:
            seen.append(-overflow.missed)
    # The reader's blocked XREAD may have been served #2 (or more) before the trim: then the gap
    # is smaller, but it is always told, exactly sized, right before #9.
    (missed,) = [-n for n in seen if n < 0]
    assert 1 <= missed <= 7
    assert seen == [*range(2, 9 - missed), -missed, 9, 10]


async def test_an_entry_written_twice_after_a_failed_write_is_delivered_once(
    redis_bus_factory: Callable[..., RedisBus], raw: Callable[..., Awaitable[None]],
) -> None:
    bus = redis_bus_factory()
    await bus.start()
    sub = bus.subscribe("recorder", CallStarted)
    for n in (1, 2, 1, 2, 3):
        await raw(**wire(n))
    assert [(await sub.get()).n for _ in range(3)] == [1, 2, 3]
    await eventually(lambda: bus.transport_stats().duplicates == 2, what="two duplicates skipped")
    assert sub.queued == 0


async def test_publishing_an_unregistered_type_fails_in_the_publisher(
    redis_bus_factory: Callable[..., RedisBus],
) -> None:
    bus = redis_bus_factory()
    await bus.start()
    with pytest.raises(UnknownMessageType):
        bus.publish(ALICE)
    assert bus.transport_stats().outbound_queued == 0


async def test_close_writes_out_what_was_published(
    redis_bus_factory: Callable[..., RedisBus], stream_key: str,
) -> None:
    bus = redis_bus_factory()
    await bus.start()
    for n in range(1, 1001):
        bus.publish(started(n))
    await bus.close()
    client = Redis.from_url(REDIS_URL)
    assert await client.xlen(stream_key) == 1000
    await client.aclose()


async def test_messages_published_by_another_process_arrive_in_order(
    redis_bus_factory: Callable[..., RedisBus], stream_key: str,
) -> None:
    bus = redis_bus_factory()
    await bus.start()
    sub = bus.subscribe("console-hub", CallStarted)
    script = textwrap.dedent(f"""
        import asyncio
        from bus.redis_stream import RedisBus
        from tests.bus.messages import CODEC, CallStarted, Caller

        async def main() -> None:
            async with RedisBus({REDIS_URL!r}, codec=CODEC, stream={stream_key!r}) as bus:
                for n in range(200):
                    bus.publish(CallStarted(f"c{{n}}", n, Caller("+8613800138000", "张三丰")))

        asyncio.run(main())
    """)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, cwd=ROOT)
    assert await asyncio.wait_for(proc.wait(), 60) == 0
    assert [await sub.get() for _ in range(200)] == [started(n) for n in range(200)]


# ---------------------------------------------------------------------------------- Redis going away


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """A redis-server of this test alone (no persistence), so it can be stopped and started again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    async def ready(self) -> None:
        client = Redis.from_url(self.url)

        async def ping() -> bool:
            try:
                return bool(await client.ping())
            except (RedisError, OSError):
                return False

        for _ in range(500):
            if await ping():
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("private redis-server did not start")
        await client.aclose()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_while_redis_is_down_publish_returns_at_once_the_buffer_stays_bounded_and_the_gap_is_told(
    private_redis: PrivateRedis, redis_bus_factory: Callable[..., RedisBus],
) -> None:
    await private_redis.ready()
    delays = (0.02, 0.05, 0.1)
    pub = redis_bus_factory(url=private_redis.url, outbound_limit=5, retry_delays=delays, block_ms=100)
    sub_bus = redis_bus_factory(url=private_redis.url, retry_delays=delays, block_ms=100)
    await pub.start()
    await sub_bus.start()
    acd = sub_bus.subscribe("acd", CallStarted)
    pub.publish(started(1))
    assert (await acd.get()).n == 1
    await eventually(lambda: pub.transport_stats().outbound_queued == 0, what="the writer done with #1")

    private_redis.stop()
    for n in range(2, 12):  # ten messages into a buffer of five
        pub.publish(started(n))
    t = pub.transport_stats()
    assert (t.outbound_queued, t.outbound_dropped) == (5, 5)  # the oldest went: 2..6
    await eventually(lambda: not pub.transport_stats().connected, what="the writer seeing Redis down")
    await eventually(lambda: not sub_bus.transport_stats().connected, what="the reader seeing Redis down")

    private_redis.start()
    with pytest.raises(SubscriberOverflow) as gap:
        await asyncio.wait_for(acd.get(), 30)
    assert gap.value.missed == 5
    assert [(await acd.get()).n for _ in range(5)] == [7, 8, 9, 10, 11]
    assert pub.transport_stats().connected and sub_bus.transport_stats().connected
    assert (sub_bus.transport_stats().gaps, sub_bus.transport_stats().missed) == (1, 5)


async def test_a_bus_started_while_redis_is_down_connects_when_it_comes_up(
    private_redis: PrivateRedis, redis_bus_factory: Callable[..., RedisBus],
) -> None:
    private_redis.stop()
    delays = (0.02, 0.05)
    bus = redis_bus_factory(url=private_redis.url, retry_delays=delays, block_ms=100)
    await asyncio.wait_for(bus.start(), 10)
    sub = bus.subscribe("recorder", CallStarted)
    bus.publish(started(1))
    assert not bus.transport_stats().connected
    private_redis.start()
    assert (await asyncio.wait_for(sub.get(), 30)).n == 1
    assert bus.transport_stats().connected
