"""Bounded admission: at most N API requests run at once, M more wait, the rest get 503 at once.

A burst of requests never piles up on the database pool or the thread pool (where it would hang and
end in 500s): ``max_active`` requests are served, up to ``max_waiting`` wait in line (each at most
``queue_timeout`` seconds), and any request beyond that is answered ``503 busy`` with ``Retry-After``
straight away. Health, metrics and websockets are not counted (a busy API stays observable).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from config.settings import ApiSettings

ADMITTED_PREFIX = "/api/"


@dataclass
class AdmissionStats:
    active: int = 0
    waiting: int = 0
    refused: int = 0
    timed_out: int = 0


class RequestAdmission:
    """The line in front of the API (one per app, used on its event loop).

    At most ``max_active`` requests run at once, plus ``urgent_reserved`` slots that only ``urgent``
    requests (the screen pop: an agent's phone is ringing) may take, so a burst of writes waiting
    for the database's disk never keeps a screen pop waiting; and when slots free up, waiting
    urgent requests get them first. Both lines share the bound of waiting requests and are each first
    come, first served: a freed slot passes straight to the next waiter, so a newcomer never
    overtakes the line.
    """

    def __init__(
        self, *, max_active: int, max_waiting: int, queue_timeout: float, urgent_reserved: int = 0
    ) -> None:
        if max_active < 1 or max_waiting < 0 or queue_timeout <= 0 or urgent_reserved < 0:
            raise ValueError("max_active >= 1, max_waiting >= 0, queue_timeout > 0, urgent_reserved >= 0")
        self.max_active = max_active
        self.max_waiting = max_waiting
        self.queue_timeout = queue_timeout
        self.urgent_reserved = urgent_reserved
        self.stats = AdmissionStats()
        self._lines: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}
        self._active: dict[bool, int] = {True: 0, False: 0}

    @classmethod
    def from_settings(cls, api: ApiSettings) -> RequestAdmission:
        return cls(
            max_active=api.max_active_requests,
            max_waiting=api.max_waiting_requests,
            queue_timeout=api.queue_timeout_seconds,
            urgent_reserved=api.urgent_reserved_requests,
        )

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(min(self.queue_timeout, 5.0)))

    def _room(self, urgent: bool) -> bool:
        if self.stats.active >= self.max_active + self.urgent_reserved:
            return False
        return urgent or self._active[False] < self.max_active

    def _take(self, urgent: bool) -> None:
        self._active[urgent] += 1
        self.stats.active += 1

    async def enter(self, *, urgent: bool = False) -> bool:
        """Take a slot (waiting in line if needed); False when the line is full or the wait too long."""
        line = self._lines[urgent]
        if not line and self._room(urgent):
            self._take(urgent)
            return True
        if self.stats.waiting >= self.max_waiting:
            self.stats.refused += 1
            return False
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        line.append(turn)
        self.stats.waiting += 1
        try:
            async with asyncio.timeout(self.queue_timeout):
                await turn
        except TimeoutError:
            if not self._handed(turn):
                self.stats.timed_out += 1
                return False
        except asyncio.CancelledError:  # the client went away while waiting
            if self._handed(turn):
                self.leave(urgent=urgent)  # the slot it was just given goes to the next one
            raise
        finally:
            self._forget(turn, line)
        return True  # the slot was handed over by ``leave``, which counted it

    def leave(self, *, urgent: bool = False) -> None:
        """Give back a slot taken with ``enter(urgent=urgent)``; waiters get the room it makes."""
        self._active[urgent] -= 1
        self.stats.active -= 1
        for kind in (True, False):
            line = self._lines[kind]
            while line and self._room(kind):
                turn = line.popleft()
                if not turn.done():  # (a turn given up is skipped; its waiter counts itself out)
                    self.stats.waiting -= 1
                    self._take(kind)
                    turn.set_result(None)

    @staticmethod
    def _handed(turn: asyncio.Future[None]) -> bool:
        return turn.done() and not turn.cancelled()

    def _forget(self, turn: asyncio.Future[None], line: deque[asyncio.Future[None]]) -> None:
        """A waiter that gave up leaves the line (one handed a slot was taken off it by ``leave``)."""
        if self._handed(turn):
            return
        turn.cancel()
        self.stats.waiting -= 1
        if turn in line:
            line.remove(turn)


class AdmissionMiddleware:
    """ASGI middleware applying a :class:`RequestAdmission` to every ``/api/`` HTTP request."""

    def __init__(self, app: ASGIApp, admission: RequestAdmission, urgent_paths: Sequence[str] = ()) -> None:
        self.app = app
        self.admission = admission
        self.urgent_paths = tuple(urgent_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(ADMITTED_PREFIX):
            await self.app(scope, receive, send)
            return
        urgent = bool(self.urgent_paths) and str(scope["path"]).startswith(self.urgent_paths)
        if not await self.admission.enter(urgent=urgent):
            await _busy(send, self.admission.retry_after)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.admission.leave(urgent=urgent)


async def _busy(send: Send, retry_after: int) -> None:
    body = json.dumps({
        "error_id": "busy",
        "message": "the server is busy; retry shortly",
        "details": {"retry_after": retry_after},
    }).encode()
    await send({
        "type": "http.response.start",
        "status": 503,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after).encode()),
        ],
    })
    await send({"type": "http.response.body", "body": body})
