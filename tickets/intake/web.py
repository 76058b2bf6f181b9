"""The web intake: a website's contact form into customer, interaction, ticket (and a call-back task).

- ``inquiry`` / ``repair`` / ``complaint``: a ticket of that type, channel ``web`` (complaints get
  severity ``medium``).
- ``contact`` (please call me back): an inquiry ticket in category ``callback`` plus a pending
  follow-up call task due at ``callback_at`` (or now), so it shows in the agents' follow-up list.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.actors import Actor
from tickets.errors import InvalidInput
from tickets.intake.customers import find_or_create_customer, guess_language
from tickets.intake.schemas import WebIntake, WebIntakeResult
from tickets.interactions.schemas import InteractionCreate
from tickets.interactions.service import create_interaction, find_interaction
from tickets.models import FollowUpTask, Ticket, ticket_interactions, utcnow
from tickets.ticketing.schemas import TicketCreate
from tickets.ticketing.service import create_ticket
from tickets.workflow.rules import WorkflowRules
from tickets.workflow.vocab import Severity, TicketType

CALLBACK_CATEGORY = "callback"


def _external_id(reference: str) -> str:
    return f"web:{reference}"[:255]


def _previous(session: Session, reference: str) -> WebIntakeResult | None:
    interaction = find_interaction(session, external_id=_external_id(reference))
    if interaction is None or interaction.customer_id is None:
        return None
    ticket = session.scalar(
        select(Ticket)
        .join(ticket_interactions, ticket_interactions.c.ticket_id == Ticket.id)
        .where(ticket_interactions.c.interaction_id == interaction.id)
        .order_by(Ticket.id)
        .limit(1)
    )
    if ticket is None:
        return None
    task_id = session.scalar(select(FollowUpTask.id).where(FollowUpTask.ticket_id == ticket.id).limit(1))
    return WebIntakeResult(
        ticket_number=ticket.number, ticket_id=ticket.id, customer_id=interaction.customer_id,
        interaction_id=interaction.id, follow_up_id=task_id, customer_created=False, duplicate=True,
    )


def _description(data: WebIntake) -> str:
    lines = [data.message]
    if data.callback_at or data.callback_window:
        at = data.callback_at.isoformat() if data.callback_at else None
        when = " ".join(x for x in (at, data.callback_window) if x)
        lines.append(f"\n[Preferred call-back: {when}]")
    contact = ", ".join(x for x in (data.phone, data.email) if x)
    lines.append(f"[Web form from {data.name} <{contact}>]")
    return "\n".join(lines)


def submit_web_intake(
    session: Session, *, data: WebIntake, actor: Actor, rules: WorkflowRules, now: datetime | None = None
) -> WebIntakeResult:
    """Record one submission; flushes, the caller commits. Idempotent on ``data.reference``."""
    if not data.phone and not data.email:
        raise InvalidInput(
            "phone or email is required", error_id="contact-required", details={"field": "phone"}
        )
    if data.reference:
        previous = _previous(session, data.reference)
        if previous is not None:
            return previous
    now = now or utcnow()
    found = find_or_create_customer(
        session, name=data.name, phone=data.phone, email=data.email,
        language=data.language or guess_language(data.name, data.subject, data.message), actor=actor,
    )
    customer = found.customer
    description = _description(data)
    interaction = create_interaction(
        session,
        data=InteractionCreate(
            channel="web", direction="inbound", customer_id=customer.id, address=data.phone or data.email,
            external_id=_external_id(data.reference) if data.reference else None,
            subject=data.subject, started_at=now, notes=description,
        ),
        actor=actor,
    )
    callback = data.kind == "contact"
    ticket_type = TicketType.INQUIRY if callback else TicketType(data.kind)
    ticket = create_ticket(
        session,
        actor=actor,
        data=TicketCreate(
            type=ticket_type,
            customer_id=customer.id,
            subject=f"回电请求 Call-back request: {data.subject}"[:500] if callback else data.subject,
            description=description,
            category=CALLBACK_CATEGORY if callback else None,
            channel="web",
            interaction_id=interaction.id,
            severity=Severity.MEDIUM if ticket_type is TicketType.COMPLAINT else None,
        ),
        rules=rules,
        now=now,
    )
    task_id: int | None = None
    if callback:
        task = FollowUpTask(
            ticket_id=ticket.id, customer_id=customer.id, kind="call", status="pending",
            assignee=ticket.assignee, due_at=max(data.callback_at or now, now),
            notes=data.callback_window or None, created_at=now,
        )
        session.add(task)
        session.flush()
        task_id = task.id
    return WebIntakeResult(
        ticket_number=ticket.number, ticket_id=ticket.id, customer_id=customer.id,
        interaction_id=interaction.id, follow_up_id=task_id, customer_created=found.created,
    )
