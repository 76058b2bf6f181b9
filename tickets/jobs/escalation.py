"""SLA escalation: mark breached tickets and notify each escalation step's people once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from tickets.models import Ticket
from tickets.ticketing import audit
from tickets.ticketing.notifier import SLA_BREACH, DbNotifier, Note, Notifier
from tickets.workflow.escalation import reached_steps, recipients
from tickets.workflow.rules import WorkflowRules
from tickets.workflow.vocab import OPEN_STATUSES, Status

SYSTEM = "system"
_CLOCK_RUNNING = tuple(s.value for s in OPEN_STATUSES if s is not Status.PENDING_CUSTOMER)


@dataclass(frozen=True)
class Escalated:
    ticket_id: int
    number: str
    level: int
    breached_at: datetime
    notified: tuple[str, ...]


def escalate_overdue(session: Session, *, now: datetime, rules: WorkflowRules,
                     notifier: Notifier | None = None, batch_size: int = 500) -> list[Escalated]:
    """Mark open tickets past their SLA (``sla_breached_at`` = the due time), raise their escalation
    level to the highest step reached and notify that step's people.

    Idempotent: a ticket already at a step is not notified for it again. Tickets waiting on the
    customer are skipped (their clock is paused). Rows are locked with SKIP LOCKED on PostgreSQL, so
    two runners never escalate the same ticket twice.
    """
    notifier = notifier or DbNotifier()
    steps = rules.escalation.steps
    pending: list[ColumnElement[bool]] = [Ticket.sla_breached_at.is_(None)]
    pending += [and_(Ticket.escalation_level == s.level - 1,
                     Ticket.sla_due_at <= now - timedelta(hours=s.after_hours)) for s in steps]
    stmt = (
        select(Ticket)
        .where(Ticket.status.in_(_CLOCK_RUNNING), Ticket.sla_due_at <= now, or_(*pending))
        .order_by(Ticket.sla_due_at, Ticket.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )
    done: list[Escalated] = []
    seen: set[int] = set()
    while True:
        batch = [t for t in session.scalars(stmt) if t.id not in seen]
        if not batch:
            return done
        for ticket in batch:
            seen.add(ticket.id)
            escalated = _escalate(session, ticket, now=now, rules=rules, notifier=notifier)
            if escalated is not None:
                done.append(escalated)
        session.flush()


def _escalate(session: Session, ticket: Ticket, *, now: datetime, rules: WorkflowRules,
              notifier: Notifier) -> Escalated | None:
    due = ticket.sla_due_at
    assert due is not None
    breached_at = ticket.sla_breached_at or due
    reached = reached_steps(rules.escalation.steps, sla_due_at=due, now=now, level=ticket.escalation_level)
    values: dict[str, object] = {"sla_breached_at": breached_at}
    if reached:
        values["escalation_level"] = reached[-1].level
    changed = audit.set_fields(session, ticket, values, actor=SYSTEM, at=now)
    if not changed:
        return None
    notified: list[str] = []
    for step in reached:
        for name in recipients(rules, step, team=ticket.team, assignee=ticket.assignee):
            if name not in notified:
                notified.append(name)
    level = ticket.escalation_level
    for name in notified:
        notifier.send(session, Note(
            recipient=name, kind=SLA_BREACH, ticket_id=ticket.id, created_at=now,
            message=(f"{ticket.number} breached its SLA (due {due:%Y-%m-%d %H:%M} UTC), escalation level "
                     f"{level}: {ticket.subject} [{ticket.priority}, assignee {ticket.assignee or '-'}]"),
        ))
    return Escalated(ticket.id, ticket.number, level, breached_at, tuple(notified))
