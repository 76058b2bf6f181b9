"""``/ws/ping``: an authenticated websocket that answers each message with a pong (a connectivity check)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from agent_console.auth.websocket import WebSocketUser, accepted_subprotocol, guarded

router = APIRouter()


@router.websocket("/ws/ping")
async def ws_ping(websocket: WebSocket, user: WebSocketUser) -> None:
    await websocket.accept(subprotocol=accepted_subprotocol(websocket))
    await websocket.send_json({"type": "hello", "username": user.username, "role": user.role})
    async with guarded(websocket, user):  # closed (1008) when the user is deactivated or demoted
        try:
            while True:
                message = await websocket.receive_text()
                await websocket.send_json({"type": "pong", "echo": message[:1000]})
        except (WebSocketDisconnect, RuntimeError):  # RuntimeError: closed by the guard meanwhile
            return
