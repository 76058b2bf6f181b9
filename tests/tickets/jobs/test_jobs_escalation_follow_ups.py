"""SLA escalation and follow-up creation jobs against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.tickets.ticketing.crm_data import T0, make_customer
from tickets.actors import Actor
from tickets.jobs import create_follow_ups, escalate_overdue
from tickets.models import FollowUpTask, Notification, Ticket
from tickets.ticketing import service
from tickets.ticketing.schemas import TicketCreate
from tickets.workflow.rules import load_rules, parse_rules
from tickets.workflow.vocab import Status

RULES = load_rules()
AGENT = Actor("agent_wang", "supervisor")  # moves tickets of any assignee (authorization is tested elsewhere)


def open_ticket(session: Session, **fields: object) -> Ticket:
    customer = make_customer(session)
    data = TicketCreate.model_validate({"customer_id": customer.id, "subject": "x", **fields})
    return service.create_ticket(session, actor=AGENT, data=data, rules=RULES, now=T0)


def only(results, *tickets):
    """The job results about ``tickets`` (other tests may have committed tickets to the same database)."""
    ids = {t.id for t in tickets}
    return [r for r in results if r.ticket_id in ids]


def due_at(ticket: Ticket) -> datetime:
    assert ticket.sla_due_at is not None
    return ticket.sla_due_at


def notes(session: Session, ticket: Ticket, kind: str = "sla_breach") -> list[tuple[str, str]]:
    rows = session.scalars(
        select(Notification)
        .where(Notification.ticket_id == ticket.id, Notification.kind == kind)
        .order_by(Notification.id)
    )
    return [(n.recipient, n.message) for n in rows]


def test_breach_escalates_level_by_level_and_notifies_once(db_session):
    ticket = open_ticket(db_session, type="repair")  # repairs team, sup_chen, 72 h
    due = due_at(ticket)
    assert only(escalate_overdue(db_session, now=due - timedelta(seconds=1), rules=RULES), ticket) == []
    [first] = only(escalate_overdue(db_session, now=due + timedelta(minutes=5), rules=RULES), ticket)
    assert (first.number, first.level, first.breached_at) == (ticket.number, 1, due)
    assert first.notified == (ticket.assignee, "sup_chen")
    assert (ticket.escalation_level, ticket.sla_breached_at) == (1, due)
    assert only(escalate_overdue(db_session, now=due + timedelta(hours=1), rules=RULES), ticket) == []
    [second] = only(escalate_overdue(db_session, now=due + timedelta(hours=8), rules=RULES), ticket)
    assert (second.level, second.notified) == (2, ("sup_chen", "admin"))
    assert only(escalate_overdue(db_session, now=due + timedelta(days=30), rules=RULES), ticket) == []
    recipients = [r for r, _ in notes(db_session, ticket)]
    assert recipients == [ticket.assignee, "sup_chen", "sup_chen", "admin"]
    assert f"{ticket.number} breached its SLA" in notes(db_session, ticket)[0][1]
    audit = [
        (c.field, c.actor, c.new_value)
        for c in service.ticket_history(db_session, ref=ticket.id)
        if c.actor == "system"
    ]
    assert ("escalation_level", "system", "2") in audit
    assert ("sla_breached_at", "system", due.isoformat()) in audit


def test_late_first_run_reaches_every_step_at_once_notifying_each_person_once(db_session):
    ticket = open_ticket(db_session, type="inquiry", assignee="agent_liu")
    late = due_at(ticket) + timedelta(days=2)
    [done] = only(escalate_overdue(db_session, now=late, rules=RULES), ticket)
    assert done.level == 2 and done.notified == ("agent_liu", "sup_li", "admin")
    assert len(notes(db_session, ticket)) == 3


def test_paused_resolved_and_unbreached_tickets_are_left_alone(db_session):
    waiting = open_ticket(db_session, type="inquiry", assignee="agent_liu")
    service.transition_ticket(
        db_session, actor=AGENT, ref=waiting.id, to=Status.IN_PROGRESS, rules=RULES, now=T0
    )
    service.transition_ticket(
        db_session, actor=AGENT, ref=waiting.id, to=Status.PENDING_CUSTOMER, rules=RULES, now=T0
    )
    done = open_ticket(db_session, type="inquiry")
    service.transition_ticket(db_session, actor=AGENT, ref=done.id, to=Status.RESOLVED, rules=RULES, now=T0)
    later = T0 + timedelta(days=10)
    escalated = {e.ticket_id for e in escalate_overdue(db_session, now=later, rules=RULES)}
    assert waiting.id not in escalated and done.id not in escalated
    assert waiting.escalation_level == 0 and waiting.sla_breached_at is None


def test_breach_is_marked_before_the_first_step_is_due_and_notified_only_at_the_step(db_session):
    raw = RULES.model_dump(mode="json")
    raw["escalation"]["steps"] = [{"level": 1, "after_hours": 2, "notify": ["supervisor"]}]
    rules = parse_rules(raw)
    ticket = open_ticket(db_session, type="inquiry", assignee="agent_liu")
    [marked] = only(
        escalate_overdue(db_session, now=due_at(ticket) + timedelta(hours=1), rules=rules), ticket
    )
    assert (marked.level, marked.notified) == (0, ())
    assert ticket.sla_breached_at == ticket.sla_due_at and notes(db_session, ticket) == []
    [stepped] = only(
        escalate_overdue(db_session, now=due_at(ticket) + timedelta(hours=2), rules=rules), ticket
    )
    assert (stepped.level, stepped.notified) == (1, ("sup_li",))


def test_follow_up_created_once_after_the_configured_days(db_session):
    repair = open_ticket(db_session, type="repair")
    inquiry = open_ticket(db_session, type="inquiry")
    resolved_at = T0 + timedelta(hours=5)
    for t in (repair, inquiry):
        service.transition_ticket(
            db_session, actor=AGENT, ref=t.id, to=Status.RESOLVED, rules=RULES, now=resolved_at
        )
    mine = (repair, inquiry)
    assert (
        only(create_follow_ups(db_session, now=resolved_at + timedelta(days=2, hours=23), rules=RULES), *mine)
        == []
    )
    run_at = resolved_at + timedelta(days=3)
    [task] = only(create_follow_ups(db_session, now=run_at, rules=RULES), *mine)
    assert (task.ticket_id, task.customer_id, task.kind, task.status) == (
        repair.id,
        repair.customer_id,
        "call",
        "pending",
    )
    assert task.due_at == resolved_at + timedelta(days=3) and task.assignee == repair.assignee
    assert only(create_follow_ups(db_session, now=run_at + timedelta(days=1), rules=RULES), *mine) == []
    assert notes(db_session, repair, kind="follow_up_due") == [
        (repair.assignee, f"Follow-up call due for {repair.number}: x")
    ]

    # Reopened: the pending task is cancelled; resolved again, it is followed up again.
    service.transition_ticket(
        db_session,
        actor=AGENT,
        ref=repair.id,
        to=Status.IN_PROGRESS,
        rules=RULES,
        now=run_at + timedelta(days=1),
    )
    assert task.status == "cancelled"
    again = run_at + timedelta(days=2)
    service.transition_ticket(
        db_session, actor=AGENT, ref=repair.id, to=Status.RESOLVED, rules=RULES, now=again
    )
    [second] = only(create_follow_ups(db_session, now=again + timedelta(days=3), rules=RULES), *mine)
    assert second.ticket_id == repair.id and second.id != task.id
    tasks = db_session.scalars(select(FollowUpTask).where(FollowUpTask.ticket_id == repair.id)).all()
    assert sorted(t.status for t in tasks) == ["cancelled", "pending"]


def test_complaints_resolved_long_ago_get_no_follow_up(db_session):
    complaint = open_ticket(db_session, type="complaint", severity="low")
    service.transition_ticket(
        db_session, actor=AGENT, ref=complaint.id, to=Status.RESOLVED, rules=RULES, now=T0
    )
    assert only(create_follow_ups(db_session, now=T0 + timedelta(days=40), rules=RULES), complaint) == []
    [task] = only(create_follow_ups(db_session, now=T0 + timedelta(days=2), rules=RULES), complaint)
    assert task.ticket_id == complaint.id
