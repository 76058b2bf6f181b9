"""``/api/calls``: the calls live now (from the call tracker) and the calls' history (interactions).

- ``GET /api/calls/live``: each live call with its caller, the parties talking now and every leg so
  far (who talked to whom, from when). Supervisors see every call, an agent the calls their
  extension is in. A restricted caller ID is shown without its number. 503 ``telephony-unavailable``
  when the platform has no AMI link.
- ``GET /api/calls/history``: phone interactions of the customer record, newest first, filtered by
  ``since``/``until`` (start time), ``agent`` and ``queue``, paginated (``limit``, ``offset``).
  Every logged-in user reads every interaction (docs/api.md, authorization policy).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from agent_console.auth.deps import AuthUser, CurrentUser
from agent_console.deps import PlatformDep
from telephony.channels import agent_extension
from telephony.tracker import CallLeg, CallView, Party
from tickets.deps import SessionDep
from tickets.errors import DomainError
from tickets.interactions.schemas import InteractionPublic
from tickets.models import Interaction
from tickets.pagination import MAX_LIMIT, Page

router = APIRouter(prefix="/calls", tags=["calls"])


class TelephonyUnavailable(DomainError):
    status_code = 503
    error_id = "telephony-unavailable"


def party_view(party: Party) -> dict[str, Any]:
    return {
        "channel": party.channel,
        "number": "" if party.restricted else party.number,
        "name": party.name,
        "restricted": party.restricted,
        "agent_extension": agent_extension(party.channel),
    }


def leg_view(leg: CallLeg) -> dict[str, Any]:
    return {"a": party_view(leg.a), "b": party_view(leg.b), "start": leg.start, "end": leg.end}


def call_view(call: CallView) -> dict[str, Any]:
    return {
        "call_id": call.call_id,
        "caller": party_view(call.caller),
        "dialed": call.dialed,
        "answered": call.answered,
        "answered_by": None if call.answered_by is None else party_view(call.answered_by),
        "started_at": call.started_at,
        "parties": [party_view(p) for p in call.parties],
        "channels": [party_view(p) for p in call.channels],
        "legs": [leg_view(leg) for leg in call.legs],
        "merged_calls": list(call.merged_calls),
    }


def _takes_part(call: CallView, user: AuthUser) -> bool:
    if user.extension is None:
        return False
    legs = [party for leg in call.legs for party in (leg.a, leg.b)]
    return any(agent_extension(p.channel) == user.extension for p in (*call.channels, *legs))


@router.get("/live")
async def live_calls(platform: PlatformDep, user: CurrentUser) -> list[dict[str, Any]]:
    if platform.telephony is None:
        raise TelephonyUnavailable("this platform runs without an AMI link: no live calls")
    calls = sorted(platform.telephony.tracker.live_calls.values(),
                   key=lambda c: (c.started_at or 0.0, c.call_id))
    if not user.has_role("supervisor"):
        calls = [call for call in calls if _takes_part(call, user)]
    return [call_view(call) for call in calls]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@router.get("/history", response_model=Page[InteractionPublic])
def call_history(
    session: SessionDep,
    since: datetime | None = None,
    until: datetime | None = None,
    agent: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    queue: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[InteractionPublic]:
    """Phone interactions started in [since, until), newest first."""
    where = [Interaction.channel == "phone"]
    if since is not None:
        where.append(Interaction.started_at >= _aware(since))
    if until is not None:
        where.append(Interaction.started_at < _aware(until))
    if agent is not None:
        where.append(Interaction.agent == agent)
    if queue is not None:
        where.append(Interaction.queue == queue)
    total = session.scalar(select(func.count()).select_from(Interaction).where(*where)) or 0
    rows = session.scalars(
        select(Interaction).where(*where)
        .order_by(Interaction.started_at.desc(), Interaction.id.desc())
        .limit(limit).offset(offset)
    )
    return Page[InteractionPublic](
        items=[InteractionPublic.model_validate(row) for row in rows], total=total, limit=limit, offset=offset
    )
