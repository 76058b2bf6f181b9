"""One subscriber's bounded queue: messages in publish order, gaps marked where they happened.

The publisher side (``offer``, ``gap``) is synchronous and never waits: a full queue records a gap
instead of growing. A gap is one marker at the tail of the queue, merged with the next drops while
the queue stays full, so memory stays bounded by ``maxsize`` messages plus markers between them.
The reader meets the gap exactly where it happened: every message before it is delivered, then a
reliable reader gets ``SubscriberOverflow`` and a lossy one a ``Dropped(count)`` marker, then the
messages that came after it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, TypeVar, cast

from bus.errors import SubscriberOverflow, SubscriptionClosed
from bus.messages import Dropped, Policy

T = TypeVar("T")


@dataclass(slots=True)
class Counters:
    """Running totals of one subscriber name and policy (shared by its subscriptions)."""

    delivered: int = 0
    dropped: int = 0
    overflows: int = 0


class _Gap:
    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count


class Subscription(Generic[T]):
    """Read with ``await sub.get()`` or ``async for message in sub``; ``sub.close()`` when done.

    One task reads a subscription. ``async for`` ends when the subscription is closed, or when the
    bus is closed and the queue is drained; ``get()`` then raises ``SubscriptionClosed``. For a
    reliable subscription ``SubscriberOverflow`` leaves the loop; enter it again after the resync.
    """

    def __init__(
        self,
        name: str,
        policy: Policy,
        types: frozenset[type] | None,
        maxsize: int,
        counters: Counters,
        on_close: Callable[[Subscription[T]], None],
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"bus subscriber {name!r}: maxsize must be at least 1, not {maxsize}")
        self.name = name
        self.policy = policy
        self.types = types
        """The message types this subscription receives (subclasses included); None for all."""
        self.maxsize = maxsize
        self._counters = counters
        self._on_close = on_close
        self._items: deque[object] = deque()
        self._queued = 0
        self._ended = False
        self._closed = False
        self._waiter: asyncio.Future[None] | None = None

    @property
    def queued(self) -> int:
        """Messages waiting in the queue (gap markers not counted)."""
        return self._queued

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ publisher side (sync)

    def offer(self, message: object) -> None:
        """Queue ``message``, or record it as missed when the queue is full. Never waits."""
        if self._ended:
            return
        if self._queued >= self.maxsize:
            self.gap(1)
            return
        self._items.append(message)
        self._queued += 1
        self._wake()

    def gap(self, count: int) -> None:
        """Record ``count`` messages this subscriber will never receive, at the current tail."""
        if self._ended or count <= 0:
            return
        tail = self._items[-1] if self._items else None
        if isinstance(tail, _Gap):
            tail.count += count
        else:
            self._items.append(_Gap(count))
            self._counters.overflows += 1
        self._counters.dropped += count
        self._wake()

    def finish(self) -> None:
        """The bus is closing: deliver what is queued, then end."""
        self._ended = True
        self._wake()

    # ------------------------------------------------------------------ subscriber side

    async def get(self) -> T:
        """The next message (a lossy subscription may return ``Dropped``).

        Raises ``SubscriberOverflow`` at a gap of a reliable subscription, ``SubscriptionClosed``
        once the subscription is closed or the closed bus's messages are drained.
        """
        while not self._items:
            if self._ended:
                raise SubscriptionClosed(f"bus subscription {self.name!r} is closed")
            if self._waiter is not None:
                raise RuntimeError(f"bus subscription {self.name!r} is already being read by another task")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._take()

    def get_nowait(self) -> T:
        """Like ``get()`` without waiting: raises ``asyncio.QueueEmpty`` when nothing is queued."""
        if not self._items:
            if self._ended:
                raise SubscriptionClosed(f"bus subscription {self.name!r} is closed")
            raise asyncio.QueueEmpty
        return self._take()

    def _take(self) -> T:
        item = self._items.popleft()
        if isinstance(item, _Gap):
            if self.policy is Policy.RELIABLE:
                raise SubscriberOverflow(self.name, item.count)
            return cast(T, Dropped(item.count))
        self._queued -= 1
        self._counters.delivered += 1
        return cast(T, item)

    def close(self) -> None:
        """Stop receiving: what is queued is discarded, a waiting ``get()`` raises ``SubscriptionClosed``."""
        if self._closed:
            return
        self._closed = True
        self._ended = True
        self._items.clear()
        self._queued = 0
        self._wake()
        self._on_close(self)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T:
        try:
            return await self.get()
        except SubscriptionClosed:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Subscription[T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Subscription {self.name!r} {self.policy} queued={self._queued}/{self.maxsize}>"
