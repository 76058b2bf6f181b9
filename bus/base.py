"""What every transport shares: typed subscribe, statistics, the async context manager."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Literal, Self, TypeVar, overload

from bus.fanout import Fanout
from bus.messages import Dropped, Policy, SubscriberStats
from bus.subscription import Subscription

M = TypeVar("M")


class BusBase:
    """Subscriptions live in this process whatever the transport; the transport feeds ``_fanout``."""

    def __init__(self) -> None:
        self._fanout = Fanout()

    @property
    def closed(self) -> bool:
        return self._fanout.closed

    @overload
    def subscribe(
        self, name: str, *, policy: Literal[Policy.RELIABLE] = ..., maxsize: int | None = ...
    ) -> Subscription[object]: ...

    @overload
    def subscribe(
        self, name: str, *, policy: Literal[Policy.LOSSY], maxsize: int | None = ...
    ) -> Subscription[object]: ...

    @overload
    def subscribe(
        self, name: str, *types: type[M], policy: Literal[Policy.RELIABLE] = ..., maxsize: int | None = ...
    ) -> Subscription[M]: ...

    @overload
    def subscribe(
        self, name: str, *types: type[M], policy: Literal[Policy.LOSSY], maxsize: int | None = ...
    ) -> Subscription[M | Dropped]: ...

    @overload
    def subscribe(
        self, name: str, *types: type[Any], policy: Policy, maxsize: int | None = ...
    ) -> Subscription[Any]: ...

    def subscribe(
        self, name: str, *types: type[Any], policy: Policy = Policy.RELIABLE, maxsize: int | None = None
    ) -> Subscription[Any]:
        """A new subscription to ``types`` (and their subclasses), or to every message when none is given.

        ``name`` labels the subscriber's statistics (several subscriptions may share one, e.g. every
        websocket of the wallboard). ``maxsize`` bounds its queue (default 10,000 reliable, 1,000
        lossy). It receives what is published from now on, in publish order per publisher.
        """
        return self._fanout.subscribe(name, types, policy, maxsize)

    def publish(self, message: object) -> None:
        """Offer ``message`` to its subscribers; synchronous, never waits (each transport implements it)."""
        raise NotImplementedError

    def stats(self) -> list[SubscriberStats]:
        """Counters per subscriber name and policy, sorted by name."""
        return self._fanout.stats()

    async def start(self) -> None:
        """Connect the transport (nothing to do in-process)."""

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
