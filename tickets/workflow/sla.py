"""The SLA clock: due time from the rules matrix, paused while a ticket waits on the customer.

Hours are calendar hours. While a ticket is ``pending_customer`` its clock stands still: the
pause start is kept in ``sla_paused_at`` and on leaving the status the due time moves later by the
pause's length (see :func:`tickets.workflow.domain.transition`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tickets.workflow.domain import TicketState
from tickets.workflow.rules import Sla
from tickets.workflow.vocab import OPEN_STATUSES, Priority, Status, TicketType, Tier


def sla_hours(sla: Sla, *, ticket_type: TicketType, priority: Priority, tier: Tier) -> float:
    return sla.hours_for(ticket_type, priority, tier)


def sla_due(
    sla: Sla, *, start: datetime, ticket_type: TicketType, priority: Priority, tier: Tier
) -> datetime:
    """When a ticket opened at ``start`` must be resolved."""
    return start + timedelta(hours=sla_hours(sla, ticket_type=ticket_type, priority=priority, tier=tier))


def effective_due(state: TicketState, *, now: datetime) -> datetime | None:
    """The due time as it stands at ``now``, counting a pause in progress."""
    if state.sla_due_at is None:
        return None
    if state.status is Status.PENDING_CUSTOMER and state.sla_paused_at is not None:
        return state.sla_due_at + max(now - state.sla_paused_at, timedelta(0))
    return state.sla_due_at


def is_overdue(state: TicketState, *, now: datetime) -> bool:
    """An open ticket whose clock runs and whose due time has passed."""
    if state.status not in OPEN_STATUSES or state.status is Status.PENDING_CUSTOMER:
        return False
    return state.sla_due_at is not None and state.sla_due_at <= now
