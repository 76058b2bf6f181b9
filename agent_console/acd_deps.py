"""The ACD of a request: ``AcdDep`` (503 ``acd-unavailable`` without one) and who may act on an agent.

Agents are users: an agent's id in the ACD is the user's username. An agent reads and changes only
their own agent; supervisors (and admins) any agent.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from agent_console.auth.deps import AuthUser
from agent_console.deps import PlatformDep
from routing import decisions as d
from routing.core import RoutingError
from routing.service import RoutingService
from tickets.errors import DomainError, Forbidden, NotFound


class AcdUnavailable(DomainError):
    status_code = 503
    error_id = "acd-unavailable"


class RoutingRefused(DomainError):
    """The ACD refused a command (``details.reason`` is the core's error id: agent-logged-out ...)."""

    status_code = 409
    error_id = "acd-refused"


async def acd_of(platform: PlatformDep) -> RoutingService:
    if platform.acd is None:
        raise AcdUnavailable("this platform runs without the ACD (no AMI link)")
    return platform.acd


AcdDep = Annotated[RoutingService, Depends(acd_of)]


def may_act_on(user: AuthUser, agent_id: str) -> None:
    """403 ``not-your-agent`` unless ``agent_id`` is the user's own agent or the user supervises."""
    if agent_id != user.username and not user.has_role("supervisor"):
        raise Forbidden(
            "agents see and change only their own agent state",
            error_id="not-your-agent",
            details={"agent_id": agent_id},
        )


def routing_error(exc: RoutingError | d.Refused) -> DomainError:
    """The HTTP error of a core refusal: unknown agents and queues are 404, the rest 409."""
    error_id = exc.error_id
    message = exc.message if isinstance(exc, d.Refused) else str(exc)
    if error_id in ("no-such-agent", "no-such-queue"):
        return NotFound(message, error_id=error_id)
    return RoutingRefused(message, details={"reason": error_id})


def agent_snapshot(acd: RoutingService, agent_id: str) -> dict[str, Any]:
    try:
        return acd.agent_snapshot(agent_id).to_dict()
    except RoutingError as exc:
        raise routing_error(exc) from None


def queue_snapshot(acd: RoutingService, name: str) -> dict[str, Any]:
    try:
        return acd.queue_snapshot(name).to_dict()
    except RoutingError as exc:
        raise routing_error(exc) from None
