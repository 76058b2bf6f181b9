"""Authenticating websockets: the bearer token comes as ``?token=`` or in ``Sec-WebSocket-Protocol``.

Browsers cannot set headers on a websocket, so a client either appends ``?token=<jwt>`` or offers the
subprotocols ``["bearer", "<jwt>"]``; in the latter case the server must accept with ``"bearer"``::

    @app.websocket("/ws/agent")
    async def agent(websocket: WebSocket, user: WebSocketUser) -> None:
        await websocket.accept(subprotocol=accepted_subprotocol(websocket))

A refused connection is closed before the handshake completes with code 1008 (policy violation),
which clients see as HTTP 403. An accepted one stays open only while its token stays valid: run the
conversation inside ``async with guarded(websocket, user):`` and the connection is closed with 1008
when the user is deactivated or given another role (at once when it happens through this app's
``/api/users``, within ``api.websocket_recheck_seconds`` otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, WebSocket, WebSocketException, status
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from agent_console.auth.deps import AuthUser, user_for_token
from agent_console.deps import platform_of

log = logging.getLogger(__name__)

SUBPROTOCOL = "bearer"


def _offered_subprotocols(websocket: WebSocket) -> list[str]:
    header = websocket.headers.get("sec-websocket-protocol", "")
    return [part.strip() for part in header.split(",") if part.strip()]


def websocket_token(websocket: WebSocket) -> str | None:
    offered = _offered_subprotocols(websocket)
    if SUBPROTOCOL in offered:
        rest = offered[offered.index(SUBPROTOCOL) + 1 :]
        if rest:
            return rest[0]
    return websocket.query_params.get("token") or None


def accepted_subprotocol(websocket: WebSocket) -> str | None:
    """``"bearer"`` when the token came as a subprotocol (the handshake must echo it), else None."""
    return SUBPROTOCOL if SUBPROTOCOL in _offered_subprotocols(websocket) else None


async def websocket_user(websocket: WebSocket) -> AuthUser:
    """The dependency: the user of the token, or the connection refused with code 1008."""
    token = websocket_token(websocket)
    if not token:
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, "not authenticated")
    try:
        return await run_in_threadpool(user_for_token, websocket, token)
    except HTTPException as exc:
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, str(exc.detail)) from exc


WebSocketUser = Annotated[AuthUser, Depends(websocket_user)]


class OpenSockets:
    """The app's authenticated websockets by user id, so a change to a user (deactivated, new role)
    re-checks their open connections at once; each connection also re-checks on its own every
    ``api.websocket_recheck_seconds`` (a change made by another process, a token that expired)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_user: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def add(self, user_id: int, waker: tuple[asyncio.AbstractEventLoop, asyncio.Event]) -> None:
        with self._lock:
            self._by_user.setdefault(user_id, set()).add(waker)

    def remove(self, user_id: int, waker: tuple[asyncio.AbstractEventLoop, asyncio.Event]) -> None:
        with self._lock:
            wakers = self._by_user.get(user_id, set())
            wakers.discard(waker)
            if not wakers:
                self._by_user.pop(user_id, None)

    def user_changed(self, user_id: int) -> None:
        """Called (from any thread) after a user's active state or role changed."""
        with self._lock:
            wakers = list(self._by_user.get(user_id, ()))
        for loop, event in wakers:
            loop.call_soon_threadsafe(event.set)

    def count(self, user_id: int) -> int:
        with self._lock:
            return len(self._by_user.get(user_id, ()))


def open_sockets(conn: HTTPConnection) -> OpenSockets:
    sockets: OpenSockets = conn.app.state.open_sockets
    return sockets


@contextlib.asynccontextmanager
async def guarded(websocket: WebSocket, user: AuthUser) -> AsyncIterator[None]:
    """While the block runs, the connection is closed (1008) as soon as its token stops being valid:
    the user deactivated, given another role, a new password, or the token expired."""
    token = websocket_token(websocket) or ""
    sockets = open_sockets(websocket)
    interval = platform_of(websocket).settings.api.websocket_recheck_seconds
    waker = (asyncio.get_running_loop(), asyncio.Event())
    sockets.add(user.id, waker)

    async def watch() -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waker[1].wait(), interval)
            waker[1].clear()
            try:
                await run_in_threadpool(user_for_token, websocket, token)
            except HTTPException as exc:
                log.info("closing the websocket of %s: %s", user.username, exc.detail)
                with contextlib.suppress(RuntimeError):  # already closed by the other side
                    await websocket.close(status.WS_1008_POLICY_VIOLATION, str(exc.detail)[:120])
                return

    watcher = asyncio.create_task(watch(), name=f"ws-guard-{user.username}")
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        sockets.remove(user.id, waker)
