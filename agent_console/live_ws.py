"""``/ws/agent`` and ``/ws/wallboard``: the ACD's bus messages, live, as JSON objects with a ``type``.

Each socket subscribes to the platform's bus *lossy* (a slow browser never holds back the ACD) before
it takes its first snapshot, so nothing falls between the two (a message the snapshot already
reflects may follow it: clients apply messages idempotently). Where the bus dropped messages for
the socket, it sends ``{"type": "dropped", "count": n}`` and then a fresh snapshot.

- ``/ws/agent`` (any logged-in user): first the agent's ``agent_snapshot``, then their own
  ``agent_state_changed``, ``call_offered`` (caller, customer, tier, intent) followed by its
  ``screen_pop`` (the caller's unified record: ``agent_console.screen_pop``), ``offer_missed``,
  ``call_answered``.
- ``/ws/wallboard`` (supervisors): first a ``wallboard_snapshot`` (statistics, every queue's
  snapshot, every agent's snapshot), then every ACD message: ``queue_snapshot`` and ``statistics``
  as queues change, ``agent_state_changed`` (each followed by that agent's ``agent_snapshot`` now),
  ``call_queued``, ``call_offered``, ``call_answered``, ``call_abandoned``, ``call_overflowed``,
  ``offer_missed``.

Without an ACD on the platform the first message is ``{"type": "acd_unavailable"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, get_args

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, WebSocketException, status
from starlette.websockets import WebSocketState

from agent_console.auth.deps import AuthUser
from agent_console.auth.websocket import WebSocketUser, accepted_subprotocol, guarded
from agent_console.deps import platform_of
from agent_console.screen_pop import screen_pop
from bus import LOSSY, Dropped, Subscription
from routing import messages as m
from routing.service import RoutingService

router = APIRouter()

LOSSY_MAXSIZE = 1000
"""Messages queued for one socket before the bus drops (and the socket resyncs from a snapshot)."""

AGENT_MESSAGES: tuple[type, ...] = (m.AgentStateChanged, m.CallOffered, m.OfferMissed, m.CallAnswered)
WALLBOARD_MESSAGES: tuple[type, ...] = get_args(m.BusMessage)

Snapshot = Callable[[], list[dict[str, Any]]]
FollowUp = Callable[[object], Awaitable[dict[str, Any] | None]]
UNAVAILABLE = {"type": "acd_unavailable"}
GONE = (WebSocketDisconnect, RuntimeError, OSError)
"""How a socket that went away shows: a disconnect, a send after close, uvicorn's ClientDisconnected."""


def agent_snapshot(acd: RoutingService | None, agent_id: str) -> list[dict[str, Any]]:
    if acd is None:
        return [UNAVAILABLE]
    if agent_id not in acd.core.agents:
        return [{"type": "not_an_agent", "agent_id": agent_id}]
    return [acd.agent_snapshot(agent_id).to_dict()]


def wallboard_snapshot(acd: RoutingService | None) -> list[dict[str, Any]]:
    if acd is None:
        return [UNAVAILABLE]
    statistics = acd.statistics()
    return [{
        "type": "wallboard_snapshot",
        "at": statistics.at,
        "statistics": statistics.to_dict(),
        "queues": [acd.queue_snapshot(name).to_dict() for name in sorted(acd.core.queues)],
        "agents": [acd.agent_snapshot(agent_id).to_dict() for agent_id in sorted(acd.core.agents)],
    }]


@router.websocket("/ws/agent")
async def ws_agent(websocket: WebSocket, user: WebSocketUser) -> None:
    platform = platform_of(websocket)

    def mine(message: object) -> bool:
        return getattr(message, "agent_id", None) == user.username

    async def pop(message: object) -> dict[str, Any] | None:
        if isinstance(message, m.CallOffered):
            return await screen_pop(platform.sessions, message)
        return None

    await _serve(websocket, user, "ws-agent", AGENT_MESSAGES, mine,
                 lambda: agent_snapshot(platform.acd, user.username), pop)


@router.websocket("/ws/wallboard")
async def ws_wallboard(websocket: WebSocket, user: WebSocketUser) -> None:
    if not user.has_role("supervisor"):
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, "the wallboard needs the supervisor role")
    platform = platform_of(websocket)

    async def agent_now(message: object) -> dict[str, Any] | None:
        acd = platform.acd
        if not isinstance(message, m.AgentStateChanged) or acd is None:
            return None
        if message.agent_id not in acd.core.agents:  # removed since
            return None
        return acd.agent_snapshot(message.agent_id).to_dict()

    await _serve(websocket, user, "ws-wallboard", WALLBOARD_MESSAGES, lambda _message: True,
                 lambda: wallboard_snapshot(platform.acd), agent_now)


async def _serve(websocket: WebSocket, user: AuthUser, name: str, types: tuple[type, ...],
                 keep: Callable[[object], bool], snapshot: Snapshot, follow: FollowUp | None = None) -> None:
    await websocket.accept(subprotocol=accepted_subprotocol(websocket))
    subscription: Subscription[Any] = platform_of(websocket).bus.subscribe(
        name, *types, policy=LOSSY, maxsize=LOSSY_MAXSIZE)
    try:
        async with guarded(websocket, user):  # closed (1008) when the user is deactivated or demoted
            tasks = [asyncio.create_task(_forward(websocket, subscription, keep, snapshot, follow)),
                     asyncio.create_task(_drain(websocket))]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError, *GONE):
                        await task
    finally:
        subscription.close()
    if websocket.application_state is WebSocketState.CONNECTED:  # not closed by the guard
        with contextlib.suppress(*GONE):  # the client may be gone already
            await websocket.close()


async def _forward(websocket: WebSocket, subscription: Subscription[Any],
                   keep: Callable[[object], bool], snapshot: Snapshot, follow: FollowUp | None) -> None:
    """The snapshot, then each message kept (and what ``follow`` adds after it); after a gap, its
    size and a fresh snapshot."""
    with contextlib.suppress(*GONE):
        for message in snapshot():
            await websocket.send_json(message)
        async for item in subscription:
            if isinstance(item, Dropped):
                await websocket.send_json({"type": "dropped", "count": item.count})
                for message in snapshot():
                    await websocket.send_json(message)
            elif keep(item):
                await websocket.send_json(item.to_dict())
                extra = None if follow is None else await follow(item)
                if extra is not None:
                    await websocket.send_json(extra)


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, to learn when it goes away."""
    with contextlib.suppress(*GONE):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
