"""Follow-up call tasks after a resolved repair or complaint: list, complete, cancel on reopen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tickets.actors import Actor
from tickets.errors import Conflict, InvalidInput, NotFound
from tickets.models import FollowUpTask, Interaction, Ticket, TicketComment, utcnow
from tickets.ticketing import audit
from tickets.ticketing.policy import check_follow_up
from tickets.ticketing.schemas import FollowUpComplete, FollowUpPublic


def list_follow_ups(session: Session, *, status: str | None = "pending", due_before: datetime | None = None,
                    assignee: str | None = None, customer_id: int | None = None, ticket_id: int | None = None,
                    limit: int = 50, offset: int = 0) -> tuple[list[FollowUpTask], int]:
    """Tasks matching every given filter, soonest due first, and their total."""
    stmt = select(FollowUpTask)
    if status is not None:
        stmt = stmt.where(FollowUpTask.status == status)
    if due_before is not None:
        stmt = stmt.where(FollowUpTask.due_at <= due_before)
    if assignee is not None:
        stmt = stmt.where(FollowUpTask.assignee == assignee)
    if customer_id is not None:
        stmt = stmt.where(FollowUpTask.customer_id == customer_id)
    if ticket_id is not None:
        stmt = stmt.where(FollowUpTask.ticket_id == ticket_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(FollowUpTask.due_at, FollowUpTask.id).limit(limit).offset(offset))
    return list(rows), int(total)


def _public(task: FollowUpTask) -> dict[str, Any]:
    return FollowUpPublic.model_validate(task).model_dump(mode="json")


def get_follow_up(session: Session, *, task_id: int, for_update: bool = False) -> FollowUpTask:
    stmt = select(FollowUpTask).where(FollowUpTask.id == task_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    task = session.scalars(stmt).first()
    if task is None:
        raise NotFound(f"no follow-up task {task_id}", error_id="no-such-follow-up",
                       details={"follow_up": task_id})
    return task


def complete_follow_up(session: Session, *, actor: Actor, task_id: int, data: FollowUpComplete,
                       now: datetime | None = None) -> FollowUpTask:
    """Record the call's outcome and the customer's satisfaction.

    The satisfaction is kept on the task, noted on the ticket (an internal comment and an audit row)
    and, when the follow-up call is given as ``interaction_id``, stored as that call's survey score
    and the call is linked to the ticket.
    """
    now = now or utcnow()
    task = get_follow_up(session, task_id=task_id, for_update=True)
    if data.version is not None and data.version != task.version:
        raise Conflict(f"follow-up task {task_id} changed since version {data.version}",
                       error_id="version-conflict",
                       details={"expected_version": data.version, "version": task.version,
                                "current": _public(task)})
    if task.status != "pending":
        raise Conflict(f"follow-up task {task_id} is already {task.status}", error_id="follow-up-closed",
                       details={"status": task.status, "current": _public(task)})
    check_follow_up(actor, task_id=task.id, assignee=task.assignee)
    interaction = None
    if data.interaction_id is not None:
        interaction = session.get(Interaction, data.interaction_id)
        if interaction is None or (interaction.customer_id not in (None, task.customer_id)):
            raise InvalidInput(f"interaction {data.interaction_id} is not a contact with this customer",
                               details={"field": "interaction_id"})
    task.status = data.status
    task.outcome = data.outcome
    task.satisfaction = data.satisfaction
    task.notes = data.notes
    task.completed_at = now
    task.assignee = task.assignee or actor.username
    if interaction is not None and data.satisfaction is not None:
        interaction.survey_score = data.satisfaction
    ticket = session.get(Ticket, task.ticket_id) if task.ticket_id is not None else None
    if ticket is not None:
        score = f", satisfaction {data.satisfaction}/5" if data.satisfaction is not None else ""
        session.add(TicketComment(ticket_id=ticket.id, author=actor.username, internal=True, created_at=now,
                                  body=f"Follow-up call {data.status}: {data.outcome}{score}"))
        audit.record(session, ticket, actor=actor.username, at=now, field="follow_up", old=None,
                     new={"task": task.id, "status": data.status, "satisfaction": data.satisfaction})
        if interaction is not None and interaction not in ticket.interactions:
            ticket.interactions.append(interaction)
    session.flush()
    return task


def cancel_open_follow_ups(session: Session, *, ticket: Ticket, now: datetime, reason: str) -> int:
    """Cancel the ticket's pending follow-ups (a reopened ticket is not followed up yet)."""
    tasks = session.scalars(select(FollowUpTask).where(FollowUpTask.ticket_id == ticket.id,
                                                       FollowUpTask.status == "pending"))
    count = 0
    for task in tasks:
        task.status = "cancelled"
        task.notes = reason
        task.completed_at = now
        count += 1
    return count
