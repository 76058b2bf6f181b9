"""The bus across processes: one Redis stream carries every message; each process fans it out locally.

Publishing stays synchronous: ``publish`` encodes the message (a bad one fails at once, in the
publisher), stamps it with this bus's publisher id and next sequence number and appends it to a
bounded outbound buffer; a writer task drains the buffer into the stream with pipelined ``XADD``
(``MAXLEN ~ maxlen``). A reader task follows the stream from its position with a blocking ``XREAD``,
decodes each entry once and offers it to this process's subscriptions as ``InProcessBus`` does.

Gaps are found by sequence number, whatever caused them: a publisher's buffer overflowing while
Redis was down, entries trimmed before a slow reader got to them, a Redis restart that lost unread
entries. A jump in a publisher's sequence is a gap of that many messages, signalled to every local
subscription (``SubscriberOverflow`` for reliable ones, ``Dropped`` for lossy ones) before the
message after it. A sequence already seen is a duplicate (a batch re-sent after a failed write) and
is skipped. See docs/bus.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from bus.base import BusBase
from bus.codec import Codec
from bus.errors import BusClosed, DecodeError

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
YIELD_EVERY = 20
"""Entries the reader fans out before letting other tasks run (the AMI reader, the subscribers)."""
KNOWN_PUBLISHERS = 4096
"""Publishers whose last sequence number a reader remembers (least recently heard forgotten first)."""


@dataclass(frozen=True, slots=True)
class RedisStats:
    """The transport's own counters (``Bus.stats()`` has the subscribers')."""

    connected: bool
    outbound_queued: int
    outbound_dropped: int
    """Messages this process published that never reached Redis (buffer full while it was down)."""
    written: int
    received: int
    gaps: int
    missed: int
    """Messages of other publishers (or this one) the reader found missing, in ``gaps`` gaps."""
    duplicates: int
    skipped_unknown: int
    skipped_malformed: int


@dataclass(frozen=True, slots=True)
class _Outbound:
    seq: int
    name: str
    payload: str


class RedisBus(BusBase):
    """``InProcessBus``'s interface over a Redis stream shared by every process on ``stream``.

    ``await bus.start()`` (or ``async with``) before use, ``await bus.close()`` at the end.
    Every process needs the same ``Codec`` registrations for the types it subscribes to.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        codec: Codec,
        stream: str = "callcenter:bus",
        maxlen: int = 100_000,
        outbound_limit: int = 10_000,
        batch: int = 500,
        block_ms: int = 1_000,
        flush_timeout: float = 2.0,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        super().__init__()
        if outbound_limit < 1 or batch < 1 or maxlen < 1:
            raise ValueError("outbound_limit, batch and maxlen must be at least 1")
        self.codec = codec
        self.stream = stream
        self.maxlen = maxlen
        self.outbound_limit = outbound_limit
        self.batch = batch
        self.block_ms = block_ms
        self.flush_timeout = flush_timeout
        self.retry_delays = retry_delays
        self.publisher = uuid.uuid4().hex[:16]
        self._redis: Redis = Redis.from_url(
            url, protocol=2, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2.0,
            socket_timeout=block_ms / 1000 + 5.0,
        )
        self._seq = 0
        self._outbound: deque[_Outbound] = deque()
        self._in_flight = 0
        self._wake_writer = asyncio.Event()
        self._flushed = asyncio.Event()
        self._position: bytes | None = None
        self._positioned = asyncio.Event()
        """Set once the reader knows where it starts: the writer waits for it, so that this bus's
        own subscribers see its first messages even when it started while Redis was down."""
        self._seqs: OrderedDict[str, int] = OrderedDict({self.publisher: 0})
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._stopping = False
        self._connected = False
        self._down_since: float | None = None
        self._unknown_logged: set[str] = set()
        self._counts = dict.fromkeys(
            ("outbound_dropped", "written", "received", "gaps", "missed", "duplicates",
             "skipped_unknown", "skipped_malformed"), 0)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Find the stream's end (messages from now on are delivered) and start the writer and reader.

        Redis being down is no error here: both tasks retry, and the reader starts at the stream's
        end as of its first successful connection.
        """
        if self._tasks:
            return
        if self._closing:
            raise BusClosed("cannot start a closed bus")
        with contextlib.suppress(RedisError, OSError):
            self._position = await self._tail()
            self._positioned.set()
            self._up()
        self._tasks = [
            asyncio.create_task(self._write_loop(), name=f"bus-writer:{self.stream}"),
            asyncio.create_task(self._read_loop(), name=f"bus-reader:{self.stream}"),
        ]

    async def close(self) -> None:
        """Refuse new publishes, write the buffer out (up to ``flush_timeout``), stop, drain subscribers."""
        if self._closing:
            return
        self._closing = True
        if self._outbound and self._tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flushed.wait(), self.flush_timeout)
        if self._outbound:
            log.warning("bus %s closed with %d message(s) not written to Redis",
                        self.stream, len(self._outbound))
        self._stopping = True
        for task in self._tasks:
            await _stop(task)
        self._fanout.finish()
        await self._redis.aclose()

    @property
    def closed(self) -> bool:
        """True from the moment ``close()`` starts (publishes are refused while the buffer flushes)."""
        return self._closing

    # ------------------------------------------------------------------ publishing

    def publish(self, message: object) -> None:
        """Queue ``message`` for Redis and return. Never waits.

        Raises ``TypeError`` (not a frozen dataclass), ``CodecError`` (unregistered type, a field
        that does not match its hint) or ``BusClosed``. When the buffer is full (Redis down), the
        oldest message not being written is dropped and counted; readers see the gap by sequence.
        """
        if self._closing:
            raise BusClosed(f"cannot publish {type(message).__qualname__}: the bus is closed")
        self._fanout.check(message)
        name, payload = self.codec.encode(message)
        self._seq += 1
        if len(self._outbound) >= self.outbound_limit:
            if self._in_flight < len(self._outbound):
                del self._outbound[self._in_flight]
            else:  # the whole buffer is being written: the new message is the one to go
                self._counts["outbound_dropped"] += 1
                return
            self._counts["outbound_dropped"] += 1
        self._outbound.append(_Outbound(self._seq, name, payload))
        self._flushed.clear()
        self._wake_writer.set()

    async def _write_loop(self) -> None:
        failures = 0
        await self._positioned.wait()
        while True:
            if not self._outbound:
                self._flushed.set()
                self._wake_writer.clear()
                await self._wake_writer.wait()
                continue
            self._in_flight = min(self.batch, len(self._outbound))
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for i in range(self._in_flight):
                        entry = self._outbound[i]
                        pipe.xadd(self.stream,
                                  {"p": self.publisher, "s": entry.seq, "t": entry.name, "d": entry.payload},
                                  maxlen=self.maxlen, approximate=True)
                    await pipe.execute()
            except (RedisError, OSError) as exc:
                self._in_flight = 0
                failures += 1
                self._down(exc, "writing")
                await asyncio.sleep(self.retry_delays[min(failures, len(self.retry_delays)) - 1])
                continue
            failures = 0
            self._up()
            for _ in range(self._in_flight):
                self._outbound.popleft()
            self._counts["written"] += self._in_flight
            self._in_flight = 0

    # ------------------------------------------------------------------ reading

    async def _tail(self) -> bytes:
        last: Any = await self._redis.xrevrange(self.stream, count=1)
        return bytes(last[0][0]) if last else b"0-0"

    async def _read_loop(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                if self._position is None:
                    self._position = await self._tail()
                    self._positioned.set()
                reply: Any = await self._redis.xread({self.stream: self._position}, count=self.batch,
                                                block=self.block_ms)
            except (RedisError, OSError) as exc:
                failures += 1
                self._down(exc, "reading")
                await asyncio.sleep(self.retry_delays[min(failures, len(self.retry_delays)) - 1])
                continue
            failures = 0
            self._up()
            for _key, entries in reply:  # RESP2: [[stream, [(id, fields), ...]]]
                for i, (entry_id, fields) in enumerate(entries, 1):
                    self._position = bytes(entry_id)
                    self._receive(fields)
                    if i % YIELD_EVERY == 0:  # a batch times many subscribers: let the loop breathe
                        await asyncio.sleep(0)

    def _receive(self, fields: dict[Any, Any]) -> None:
        try:
            publisher = fields[b"p"].decode()
            seq = int(fields[b"s"])
            name = fields[b"t"].decode()
            payload = fields[b"d"]
        except (KeyError, ValueError, AttributeError, UnicodeDecodeError):
            self._counts["skipped_malformed"] += 1
            log.warning("bus %s: skipped an entry without publisher, sequence, type and data: %.200r",
                        self.stream, fields)
            return
        last = self._seqs.get(publisher)
        if last is not None:
            if seq <= last:
                self._counts["duplicates"] += 1
                return
            if seq > last + 1:
                self._counts["gaps"] += 1
                self._counts["missed"] += seq - last - 1
                log.warning("bus %s: %d message(s) of publisher %s are missing; subscribers are told",
                            self.stream, seq - last - 1, publisher)
                self._fanout.gap(seq - last - 1)
            self._seqs.move_to_end(publisher)
        self._seqs[publisher] = seq
        if len(self._seqs) > KNOWN_PUBLISHERS:
            self._seqs.popitem(last=False)
        self._counts["received"] += 1
        cls = self.codec.type_of(name)
        if cls is None:
            self._counts["skipped_unknown"] += 1
            if name not in self._unknown_logged:
                self._unknown_logged.add(name)
                log.warning("bus %s: skipping messages of unregistered type %r", self.stream, name)
            return
        if not self._fanout.wants(cls):
            return  # nobody here listens: not worth decoding
        try:
            message = self.codec.decode(name, payload)
        except DecodeError as exc:
            self._counts["skipped_malformed"] += 1
            log.warning("bus %s: skipped a malformed message: %s", self.stream, exc)
            return
        self._fanout.deliver(message)

    # ------------------------------------------------------------------ state

    def _down(self, exc: BaseException, doing: str) -> None:
        if self._connected or self._down_since is None:
            log.warning("bus %s: Redis failed while %s (%s); retrying, %d message(s) buffered",
                        self.stream, doing, exc, len(self._outbound))
            self._down_since = time.monotonic()
        self._connected = False

    def _up(self) -> None:
        if not self._connected and self._down_since is not None:
            log.info("bus %s: Redis reachable again after %.1f s",
                     self.stream, time.monotonic() - self._down_since)
            self._down_since = None
        self._connected = True

    def transport_stats(self) -> RedisStats:
        return RedisStats(connected=self._connected, outbound_queued=len(self._outbound), **self._counts)


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` until it ends: redis-py can swallow one cancellation (while connecting)."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.05)
    if not task.cancelled() and task.exception() is not None:
        log.error("bus task %s failed", task.get_name(), exc_info=task.exception())
