"""Authenticating websockets: the bearer token comes as ``?token=`` or in ``Sec-WebSocket-Protocol``.

Browsers cannot set headers on a websocket, so a client either appends ``?token=<jwt>`` or offers the
subprotocols ``["bearer", "<jwt>"]``; in the latter case the server must accept with ``"bearer"``::

    @app.websocket("/ws/agent")
    async def agent(websocket: WebSocket, user: WebSocketUser) -> None:
        await websocket.accept(subprotocol=accepted_subprotocol(websocket))

A refused connection is closed before the handshake completes with code 1008 (policy violation),
which clients see as HTTP 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, WebSocket, WebSocketException, status
from starlette.concurrency import run_in_threadpool

from agent_console.auth.deps import AuthUser, user_for_token

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
