"""Follow-up call tasks N days after a repair or complaint is resolved."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from tickets.models import FollowUpTask, Ticket
from tickets.ticketing import audit
from tickets.ticketing.notifier import FOLLOW_UP_DUE, DbNotifier, Note, Notifier
from tickets.workflow.rules import WorkflowRules
from tickets.workflow.vocab import Status

_DONE = (Status.RESOLVED.value, Status.CLOSED.value)


def create_follow_ups(session: Session, *, now: datetime, rules: WorkflowRules,
                      notifier: Notifier | None = None, batch_size: int = 500) -> list[FollowUpTask]:
    """One follow-up call task per ticket resolved at least ``days_after_resolved`` ago.

    Idempotent: a ticket that already has a task created since it was (last) resolved gets none, so a
    reopened and resolved-again ticket is followed up again. The task goes to the ticket's assignee.
    """
    notifier = notifier or DbNotifier()
    created: list[FollowUpTask] = []
    for rule in rules.follow_up:
        cutoff = now - timedelta(days=rule.days_after_resolved)
        oldest = cutoff - timedelta(days=rule.max_age_days)
        has_task = exists().where(FollowUpTask.ticket_id == Ticket.id,
                                  FollowUpTask.created_at >= Ticket.resolved_at)
        stmt = (
            select(Ticket)
            .where(Ticket.type == rule.type.value, Ticket.status.in_(_DONE),
                   Ticket.resolved_at <= cutoff, Ticket.resolved_at > oldest, ~has_task)
            .order_by(Ticket.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        while True:
            batch = list(session.scalars(stmt))
            if not batch:
                break
            for ticket in batch:
                assert ticket.resolved_at is not None
                task = FollowUpTask(
                    ticket_id=ticket.id, customer_id=ticket.customer_id, kind=rule.kind,
                    due_at=ticket.resolved_at + timedelta(days=rule.days_after_resolved),
                    status="pending", assignee=ticket.assignee, created_at=now,
                )
                session.add(task)
                session.flush()
                audit.record(session, ticket, actor="system", at=now, field="follow_up", old=None,
                             new={"task": task.id, "status": "pending", "due_at": task.due_at.isoformat()})
                if ticket.assignee:
                    notifier.send(session, Note(
                        recipient=ticket.assignee, kind=FOLLOW_UP_DUE, ticket_id=ticket.id, created_at=now,
                        message=f"Follow-up call due for {ticket.number}: {ticket.subject}",
                    ))
                created.append(task)
            session.flush()
    return created
