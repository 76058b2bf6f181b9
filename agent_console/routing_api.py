"""``/api/acd``: queues with their real-time statistics, agents and their states, state changes.

Reads come from the running ACD's core (``RoutingService.queue_snapshot``, ``agent_snapshot``,
``statistics``); state changes are commands submitted to it (``LogIn``, ``Pause`` ...), answered with
the agent's snapshot after the change. Run-time configuration changes go through
``RoutingService.change`` (validated as a whole, stored, audited). An agent sees and changes only
their own agent (``/acd/agents/me/...``); supervisors any agent and the queues' configuration.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field

from agent_console.acd_deps import (
    AcdDep,
    agent_snapshot,
    may_act_on,
    queue_snapshot,
    routing_error,
)
from agent_console.auth.deps import AuthUser, CurrentUser, SupervisorUser, require_role
from routing import decisions as d
from routing.config import RoutingConfigError
from routing.domain import QueueConfig
from routing.events import EndWrapUp, Input, LogIn, LogOut, Pause, Unpause
from routing.service import RoutingService
from tickets.errors import DomainError

router = APIRouter(prefix="/acd", tags=["acd"])



class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("break", min_length=1, max_length=32, pattern=r"^[\w\-]+( [\w\-]+)*$")


class InvalidRoutingChange(DomainError):
    status_code = 422
    error_id = "invalid-routing-config"


def _queue_view(config: QueueConfig, snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": config.name,
        "service_level_seconds": config.service_level_seconds,
        "max_wait": config.max_wait,
        "priority": config.priority,
        "weight": config.weight,
        "stats": snapshot["stats"],
        "waiting_calls": snapshot["waiting_calls"],
        "at": snapshot["at"],
    }


@router.get("/queues")
async def list_queues(acd: AcdDep) -> dict[str, Any]:
    """Every queue with its statistics and waiting calls, and the totals over all queues."""
    statistics = acd.statistics().to_dict()
    queues = [_queue_view(config, queue_snapshot(acd, config.name))
              for config in sorted(acd.queues(), key=lambda q: q.name)]
    return {"at": statistics["at"], "total": statistics["total"], "queues": queues}


@router.get("/queues/{name}")
async def get_queue(name: str, acd: AcdDep) -> dict[str, Any]:
    snapshot = queue_snapshot(acd, name)
    return _queue_view(acd.core.queues[name], snapshot)


@router.put("/queues/{name}", dependencies=[Depends(require_role("supervisor"))])
async def change_queue(
    name: str, acd: AcdDep, user: SupervisorUser, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Add a queue or replace its entry (as in config/routing.yaml) at run time; stored and audited."""
    await _change(acd, "queue", name, body, user)
    return await get_queue(name, acd)


@router.get("/agents")
async def list_agents(acd: AcdDep, user: CurrentUser) -> list[dict[str, Any]]:
    """Every agent's state (supervisors); an agent gets their own only."""
    ids = sorted(acd.core.agents) if user.has_role("supervisor") else (
        [user.username] if user.username in acd.core.agents else [])
    return [agent_snapshot(acd, agent_id) for agent_id in ids]


@router.get("/agents/me")
async def my_agent(acd: AcdDep, user: CurrentUser) -> dict[str, Any]:
    return agent_snapshot(acd, user.username)


@router.get("/agents/{agent_id}")
async def get_agent(agent_id: str, acd: AcdDep, user: CurrentUser) -> dict[str, Any]:
    may_act_on(user, agent_id)
    return agent_snapshot(acd, agent_id)


@router.put("/agents/{agent_id}/profile", dependencies=[Depends(require_role("supervisor"))])
async def change_agent(
    agent_id: str, acd: AcdDep, user: SupervisorUser, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Add an agent or replace their entry (skills, teams, languages, queues) at run time."""
    await _change(acd, "agent", agent_id, body, user)
    return agent_snapshot(acd, agent_id)


async def _change(acd: RoutingService, kind: str, name: str, body: dict[str, Any], user: AuthUser) -> None:
    try:
        await acd.change(kind, name, body, user.username)
    except RoutingConfigError as exc:
        raise InvalidRoutingChange("invalid routing configuration: " + "; ".join(exc.problems),
                                   details={"problems": exc.problems}) from None


async def _command(acd: RoutingService, command: Input, agent_id: str) -> dict[str, Any]:
    decisions = await acd.submit(command)
    for decision in decisions:
        if isinstance(decision, d.Refused) and decision.input == type(command).__name__:
            raise routing_error(decision)
    return agent_snapshot(acd, agent_id)


def _target(user: AuthUser, agent_id: str) -> str:
    target = user.username if agent_id == "me" else agent_id
    may_act_on(user, target)
    return target


@router.post("/agents/{agent_id}/login")
async def log_in(agent_id: str, acd: AcdDep, user: CurrentUser) -> dict[str, Any]:
    """``me`` for the agent themselves; another agent's id needs a supervisor."""
    target = _target(user, agent_id)
    return await _command(acd, LogIn(target), target)


@router.post("/agents/{agent_id}/logout")
async def log_out(agent_id: str, acd: AcdDep, user: CurrentUser) -> dict[str, Any]:
    """During a call the logout takes effect after its wrap-up."""
    target = _target(user, agent_id)
    return await _command(acd, LogOut(target), target)


@router.post("/agents/{agent_id}/pause")
async def pause(
    agent_id: str, acd: AcdDep, user: CurrentUser, body: PauseBody | None = None
) -> dict[str, Any]:
    """Pause with a reason (default ``break``); during a call it takes effect after its wrap-up."""
    target = _target(user, agent_id)
    return await _command(acd, Pause(target, (body or PauseBody()).reason), target)


@router.post("/agents/{agent_id}/unpause")
async def unpause(agent_id: str, acd: AcdDep, user: CurrentUser) -> dict[str, Any]:
    target = _target(user, agent_id)
    return await _command(acd, Unpause(target), target)


@router.post("/agents/{agent_id}/end-wrapup")
async def end_wrap_up(agent_id: str, acd: AcdDep, user: CurrentUser) -> dict[str, Any]:
    target = _target(user, agent_id)
    return await _command(acd, EndWrapUp(target), target)
