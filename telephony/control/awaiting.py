"""Wait for an AMI event that answers an action (OriginateResponse, ChanSpyStart, ...).

Subscribe *before* sending the action (the event may arrive right after the reply), then
``await watch.wait(predicate, timeout)``; events seen before the predicate was known are kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType

from telephony.ami import Message, Subscription
from telephony.control.port import AmiPort


class EventWatch:
    """``async with EventWatch(ami, "OriginateResponse") as watch: ...; await watch.wait(...)``."""

    def __init__(self, ami: AmiPort, event: str, *, keep: int = 1000) -> None:
        self._ami = ami
        self._event = event
        self._keep = keep
        self._seen: list[Message] = []
        self._changed = asyncio.Event()
        self._subscription: Subscription | None = None

    def _on_event(self, msg: Message) -> None:
        self._seen.append(msg)
        if len(self._seen) > self._keep:
            del self._seen[0]
        self._changed.set()

    async def __aenter__(self) -> EventWatch:
        self._subscription = self._ami.subscribe(self._event, self._on_event)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None

    async def wait(self, predicate: Callable[[Message], bool], timeout: float) -> Message | None:  # noqa: ASYNC109
        """The first event (seen so far or arriving within ``timeout`` s) matching ``predicate``;
        ``None`` when none came in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        checked = 0
        while True:
            for msg in self._seen[checked:]:
                if predicate(msg):
                    return msg
            checked = len(self._seen)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            self._changed.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                return None
