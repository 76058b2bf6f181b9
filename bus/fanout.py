"""Local fan-out shared by both transports: subscriptions by message type, delivery, statistics."""

from __future__ import annotations

import dataclasses
from typing import Any

from bus.errors import BusClosed
from bus.messages import Policy, SubscriberStats
from bus.subscription import Counters, Subscription

DEFAULT_MAXSIZE = {Policy.RELIABLE: 10_000, Policy.LOSSY: 1_000}


class Fanout:
    """The subscriptions of one process and the routing of each message type to them."""

    def __init__(self) -> None:
        self._subscriptions: dict[Subscription[Any], None] = {}  # ordered set: subscribe order
        self._routes: dict[type, tuple[Subscription[Any], ...]] = {}
        self._counters: dict[tuple[str, Policy], Counters] = {}
        self._live: dict[tuple[str, Policy], int] = {}
        self._checked: set[type] = set()
        self.closed = False

    def check(self, message: object) -> None:
        """Refuse what is not a frozen dataclass instance (a message must not change after publish)."""
        cls = type(message)
        if cls in self._checked:
            return
        params = getattr(cls, "__dataclass_params__", None)
        if params is None or not params.frozen:
            raise TypeError(f"bus messages are frozen dataclass instances, not {cls.__qualname__}")
        self._checked.add(cls)

    def subscribe(
        self, name: str, types: tuple[type, ...], policy: Policy, maxsize: int | None
    ) -> Subscription[Any]:
        if self.closed:
            raise BusClosed(f"cannot subscribe {name!r}: the bus is closed")
        if not isinstance(name, str) or not name:
            raise ValueError("a bus subscriber needs a name (it labels its metrics)")
        policy = Policy(policy)
        for t in types:
            if not isinstance(t, type):
                raise TypeError(f"bus subscriber {name!r}: subscribe to message classes, not {t!r}")
        key = (name, policy)
        counters = self._counters.setdefault(key, Counters())
        sub: Subscription[Any] = Subscription(
            name, policy, frozenset(types) if types else None,
            DEFAULT_MAXSIZE[policy] if maxsize is None else maxsize, counters, self._unsubscribe,
        )
        self._subscriptions[sub] = None
        self._live[key] = self._live.get(key, 0) + 1
        self._routes.clear()
        return sub

    def _unsubscribe(self, sub: Subscription[Any]) -> None:
        if sub in self._subscriptions:
            del self._subscriptions[sub]
            self._live[(sub.name, sub.policy)] -= 1
            self._routes.clear()

    def _route(self, cls: type) -> tuple[Subscription[Any], ...]:
        route = self._routes.get(cls)
        if route is None:
            route = tuple(
                sub for sub in self._subscriptions
                if sub.types is None or any(issubclass(cls, t) for t in sub.types)
            )
            self._routes[cls] = route
        return route

    def wants(self, cls: type) -> bool:
        """Whether any subscription would receive a message of ``cls``."""
        return bool(self._route(cls))

    def deliver(self, message: object) -> None:
        """Offer ``message`` to every subscription of its type. Synchronous, never waits."""
        for sub in self._route(type(message)):
            sub.offer(message)

    def gap(self, count: int) -> None:
        """The transport lost ``count`` messages of unknown types: every subscription is told."""
        for sub in tuple(self._subscriptions):
            sub.gap(count)

    def finish(self) -> None:
        """Close: no new subscriptions; each subscription delivers what it holds, then ends."""
        self.closed = True
        for sub in tuple(self._subscriptions):
            sub.finish()

    def stats(self) -> list[SubscriberStats]:
        queued: dict[tuple[str, Policy], int] = {}
        for sub in self._subscriptions:
            key = (sub.name, sub.policy)
            queued[key] = queued.get(key, 0) + sub.queued
        return [
            SubscriberStats(
                name=name, policy=policy, subscriptions=self._live.get((name, policy), 0),
                queued=queued.get((name, policy), 0), **dataclasses.asdict(counters),
            )
            for (name, policy), counters in sorted(self._counters.items())
        ]
