"""``GET /api/ivr/analytics`` (supervisors): per IVR flow and node, over the recorded IVR paths.

The figures come from ``ivr.analytics.IvrAnalytics.report``: per flow the calls, outcomes and
self-service completions; per node times entered, options taken, timeouts, invalid input, repeats
and hang-ups. Without the IVR running in this process (no FastAGI server) the same report is read
from the customer record's journeys.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from agent_console.auth.deps import require_role
from agent_console.deps import PlatformDep
from callcenter.adapters.ivr_record import RecordPorts
from ivr.analytics import IvrAnalytics
from tickets.errors import DomainError

router = APIRouter(prefix="/ivr", tags=["ivr"])

DEFAULT_PERIOD = timedelta(days=1)


class InvalidPeriod(DomainError):
    status_code = 422
    error_id = "invalid-period"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@router.get("/analytics", dependencies=[Depends(require_role("supervisor"))])
async def ivr_analytics(
    platform: PlatformDep,
    flow: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """``since``/``until``: ISO 8601 (UTC when no offset is given); default the last 24 hours."""
    end = _aware(until) if until is not None else datetime.now(UTC)
    start = _aware(since) if since is not None else end - DEFAULT_PERIOD
    if start >= end:
        raise InvalidPeriod("'since' must be before 'until'",
                            details={"since": start.isoformat(), "until": end.isoformat()})
    analytics = (platform.ivr.analytics if platform.ivr is not None
                 else IvrAnalytics(RecordPorts(platform.sessions, platform.workflow_rules)))
    flows = await analytics.report(flow, start, end)
    return {"since": start.isoformat(), "until": end.isoformat(), "flow": flow, "flows": flows}
