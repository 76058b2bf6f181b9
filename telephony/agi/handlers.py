"""Handler type and the built-in handlers for requests no route claims."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telephony.agi.session import AgiSession

logger = logging.getLogger("telephony.agi")

AgiHandler = Callable[[AgiSession], Awaitable[None]]
"""A route handler: runs one call's session; the server closes the session when it returns."""

FALLBACK_VARIABLE = "CC_FALLBACK"
FALLBACK_REASON_VARIABLE = "CC_FALLBACK_REASON"


async def request_fallback(session: AgiSession, reason: str) -> None:
    """Set ``CC_FALLBACK=1`` and ``CC_FALLBACK_REASON`` so the dialplan, once AGI returns, can
    route the call without the IVR (both commands still work after a hang-up)."""
    await session.set_variable(FALLBACK_VARIABLE, "1")
    await session.set_variable(FALLBACK_REASON_VARIABLE, reason)


async def fallback_handler(session: AgiSession) -> None:
    """Default for unknown scripts: log, ask the dialplan to fall back, return."""
    logger.warning(
        "no AGI route for script %r (channel %s): dialplan fallback requested",
        session.env.script,
        session.env.channel,
    )
    await request_fallback(session, "no-route")


async def hangup_handler(session: AgiSession) -> None:
    """Alternative default for unknown scripts: log and hang up."""
    logger.warning(
        "no AGI route for script %r (channel %s): hanging up", session.env.script, session.env.channel
    )
    await session.hangup()
