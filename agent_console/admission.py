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

    Two lines share the bound of waiting requests: ``urgent`` requests (the screen pop: an agent's
    phone is ringing) are handed a freed slot before the others; each line is first come, first
    served. A freed slot passes straight to the next waiter, so a newcomer never overtakes the line.
    """

    def __init__(self, *, max_active: int, max_waiting: int, queue_timeout: float) -> None:
        if max_active < 1 or max_waiting < 0 or queue_timeout <= 0:
            raise ValueError("max_active >= 1, max_waiting >= 0 and queue_timeout > 0")
        self.max_active = max_active
        self.max_waiting = max_waiting
        self.queue_timeout = queue_timeout
        self.stats = AdmissionStats()
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @classmethod
    def from_settings(cls, api: ApiSettings) -> RequestAdmission:
        return cls(
            max_active=api.max_active_requests,
            max_waiting=api.max_waiting_requests,
            queue_timeout=api.queue_timeout_seconds,
        )

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(min(self.queue_timeout, 5.0)))

    async def enter(self, *, urgent: bool = False) -> bool:
        """Take a slot (waiting in line if needed); False when the line is full or the wait too long."""
        if self.stats.active < self.max_active and self.stats.waiting == 0:
            self.stats.active += 1
            return True
        if self.stats.waiting >= self.max_waiting:
            self.stats.refused += 1
            return False
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append(turn)
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
                self.leave()  # the slot it was just given goes to the next one
            raise
        finally:
            self._forget(turn)
        return True  # the slot was handed over by ``leave``: ``active`` already counts it

    def leave(self) -> None:
        for line in (self._urgent, self._normal):
            while line:
                turn = line.popleft()
                if not turn.done():
                    self.stats.waiting -= 1
                    turn.set_result(None)  # the slot passes on: active stays the same
                    return
        self.stats.active -= 1

    @staticmethod
    def _handed(turn: asyncio.Future[None]) -> bool:
        return turn.done() and not turn.cancelled()

    def _forget(self, turn: asyncio.Future[None]) -> None:
        """A waiter that gave up leaves the line (one handed a slot was taken off it by ``leave``,
        which skips, without counting, a given-up turn it meets first)."""
        if self._handed(turn):
            return
        turn.cancel()
        self.stats.waiting -= 1
        for line in (self._urgent, self._normal):
            if turn in line:
                line.remove(turn)
                return


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
            self.admission.leave()


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
