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
    """The line in front of the API (one per app, used on its event loop)."""

    def __init__(self, *, max_active: int, max_waiting: int, queue_timeout: float) -> None:
        if max_active < 1 or max_waiting < 0 or queue_timeout <= 0:
            raise ValueError("max_active >= 1, max_waiting >= 0 and queue_timeout > 0")
        self.max_active = max_active
        self.max_waiting = max_waiting
        self.queue_timeout = queue_timeout
        self.stats = AdmissionStats()
        self._slots: asyncio.Semaphore | None = None

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

    async def enter(self) -> bool:
        """Take a slot (waiting in line if needed); False when the line is full or the wait too long."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_active)
        slots = self._slots
        if self.stats.active < self.max_active and not slots.locked():
            await slots.acquire()  # free: returns at once
            self.stats.active += 1
            return True
        if self.stats.waiting >= self.max_waiting:
            self.stats.refused += 1
            return False
        self.stats.waiting += 1
        try:
            await asyncio.wait_for(slots.acquire(), self.queue_timeout)
        except TimeoutError:
            self.stats.timed_out += 1
            return False
        finally:
            self.stats.waiting -= 1
        self.stats.active += 1
        return True

    def leave(self) -> None:
        assert self._slots is not None
        self.stats.active -= 1
        self._slots.release()


class AdmissionMiddleware:
    """ASGI middleware applying a :class:`RequestAdmission` to every ``/api/`` HTTP request."""

    def __init__(self, app: ASGIApp, admission: RequestAdmission) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(ADMITTED_PREFIX):
            await self.app(scope, receive, send)
            return
        if not await self.admission.enter():
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
