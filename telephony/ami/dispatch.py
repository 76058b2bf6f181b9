"""Event subscribers keyed by exact name or fnmatch pattern (``Queue*``, ``*``).

Handlers may be plain functions (called inline, in arrival order) or return an awaitable (run
as a task). An exception in a handler is logged with the event name and never stops dispatch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from inspect import isawaitable

from .message import Message

log = logging.getLogger(__name__)

EventHandler = Callable[[Message], Awaitable[None] | None]
_WILDCARD = frozenset("*?[")


@dataclass(frozen=True, slots=True, eq=False)
class Subscription:
    """Returned by ``subscribe``; call ``cancel()`` to stop receiving events."""

    pattern: str
    handler: EventHandler
    _dispatcher: EventDispatcher = field(repr=False)

    def cancel(self) -> None:
        self._dispatcher.unsubscribe(self)


class EventDispatcher:
    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self._routes: dict[str, tuple[EventHandler, ...]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def subscribe(self, pattern: str, handler: EventHandler) -> Subscription:
        """Call ``handler`` for every event whose name equals or fnmatches ``pattern``."""
        sub = Subscription(pattern, handler, self)
        self._subs.append(sub)
        self._routes.clear()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            self._routes.clear()

    def handlers_for(self, name: str) -> tuple[EventHandler, ...]:
        routes = self._routes.get(name)
        if routes is None:
            routes = tuple(
                s.handler
                for s in self._subs
                if s.pattern == name or (_WILDCARD.intersection(s.pattern) and fnmatchcase(name, s.pattern))
            )
            self._routes[name] = routes
        return routes

    def dispatch(self, event: Message) -> None:
        name = event.get("Event", "")
        routes = self._routes.get(name)
        if routes is None:
            routes = self.handlers_for(name)
        for handler in routes:
            try:
                outcome = handler(event)
            except Exception:
                log.exception("AMI event handler %r failed on %s", handler, name)
                continue
            if outcome is not None and isawaitable(outcome):
                self._spawn(outcome, name)

    def _spawn(self, awaitable: Awaitable[None], name: str) -> None:
        async def run() -> None:
            try:
                await awaitable
            except Exception:
                log.exception("AMI async event handler failed on %s", name)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for async handlers started so far (used on close and in tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
