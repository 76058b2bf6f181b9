"""One e-mail into the customer record: customer, interaction, and a new ticket or a comment.

Where a message lands:

1. Its Message-ID is already an interaction's ``external_id``: nothing new (``duplicate``).
2. The subject names a ticket (``[REP-000123]``) of the sender's customer, or the message answers
   (In-Reply-To / References) an imported message linked to a ticket of that customer: a comment on
   that ticket (quoted text cut), the interaction linked to it; a ticket waiting for the customer
   (``pending_customer``) goes back to ``in_progress``.
3. Otherwise a new ticket, typed by keywords (``tickets.intake.classify``), channel ``email``;
   complaints get severity ``medium`` (agents adjust it).

A ticket number of another customer's ticket is not trusted: the message opens a new ticket that
mentions the number.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.actors import Actor
from tickets.errors import Conflict, NotFound
from tickets.intake.classify import DEFAULT_RULES, KeywordRules, classify
from tickets.intake.customers import find_or_create_customer, guess_language
from tickets.intake.mail import Attachment, ParsedMail, strip_quoted_reply
from tickets.interactions.schemas import InteractionCreate
from tickets.interactions.service import create_interaction, find_interaction
from tickets.models import Interaction, Ticket, ticket_interactions, utcnow
from tickets.ticketing.schemas import TicketCreate
from tickets.ticketing.service import (
    add_comment,
    create_ticket,
    get_ticket,
    link_interaction,
    transition_ticket,
)
from tickets.workflow.rules import WorkflowRules
from tickets.workflow.vocab import Severity, Status, TicketType

IMPORTER = Actor("email-intake", "system", "E-mail importer")
MAX_TEXT = 20_000

Outcome = Literal["ticket", "comment", "duplicate"]


@dataclass(frozen=True)
class MailResult:
    outcome: Outcome
    interaction_id: int
    customer_id: int | None
    ticket_number: str | None
    customer_created: bool = False


def external_id_for(message_id: str) -> str:
    """The Message-ID as stored (``interactions.external_id`` holds 255 characters; longer ones hashed)."""
    if len(message_id) <= 255:
        return message_id
    return f"<sha256-{hashlib.sha256(message_id.encode()).hexdigest()}@callcenter.invalid>"


def attachments_note(attachments: tuple[Attachment, ...]) -> str:
    if not attachments:
        return ""
    items = ", ".join(f"{a.filename} ({_size(a.size)}, {a.content_type})" for a in attachments)
    return f"\n\n[Attachments, not stored: {items}]"


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} kB" if n < 1024 * 1024 else f"{n / 1048576:.1f} MB"


def _thread_ticket(session: Session, mail: ParsedMail, customer_id: int) -> Ticket | None:
    ids = [i for i in (mail.in_reply_to, *mail.references) if i]
    if not ids:
        return None
    stmt = (
        select(Ticket)
        .join(ticket_interactions, ticket_interactions.c.ticket_id == Ticket.id)
        .join(Interaction, Interaction.id == ticket_interactions.c.interaction_id)
        .where(
            Interaction.external_id.in_([external_id_for(i) for i in ids]),
            Ticket.customer_id == customer_id,
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def _numbered_ticket(session: Session, number: str | None, customer_id: int) -> Ticket | None:
    if not number:
        return None
    try:
        ticket = get_ticket(session, ref=number)
    except NotFound:
        return None
    return ticket if ticket.customer_id == customer_id else None


def ingest_mail(
    session: Session,
    *,
    mail: ParsedMail,
    rules: WorkflowRules,
    keywords: KeywordRules = DEFAULT_RULES,
    now: datetime | None = None,
) -> MailResult:
    """Record one parsed message; flushes, the caller commits. Idempotent on the Message-ID."""
    now = now or utcnow()
    external_id = external_id_for(mail.message_id)
    existing = find_interaction(session, external_id=external_id)
    if existing is not None:
        return MailResult("duplicate", existing.id, existing.customer_id, None)

    name = (mail.sender_name or mail.sender_address.split("@", 1)[0])[:200]
    found = find_or_create_customer(
        session, name=name, email=mail.sender_address,
        language=guess_language(mail.sender_name, mail.subject, mail.body), actor=IMPORTER,
    )
    customer = found.customer
    text = mail.body[:MAX_TEXT] + attachments_note(mail.attachments)
    interaction = create_interaction(
        session,
        data=InteractionCreate(
            channel="email", direction="inbound", customer_id=customer.id, address=mail.sender_address,
            external_id=external_id, subject=mail.subject[:500] or None,
            started_at=mail.date or now, notes=text[:MAX_TEXT],
        ),
        actor=IMPORTER,
    )
    target = _numbered_ticket(session, mail.ticket_number, customer.id) or _thread_ticket(
        session, mail, customer.id
    )
    if target is not None:
        author = Actor(mail.sender_address[:64], "system", mail.sender_name)
        reply = strip_quoted_reply(mail.body)[:MAX_TEXT] + attachments_note(mail.attachments)
        add_comment(session, actor=author, ref=target.id, body=reply or "(empty message)", now=now)
        link_interaction(session, actor=IMPORTER, ref=target.id, interaction_id=interaction.id, now=now)
        if target.status == "pending_customer":
            try:
                transition_ticket(session, actor=IMPORTER, ref=target.id, to=Status.IN_PROGRESS,
                                  rules=rules, now=now)
            except Conflict:
                pass  # the workflow refused; the comment is there for the agent
        return MailResult("comment", interaction.id, customer.id, target.number, found.created)

    ticket_type = classify(mail.subject, mail.body, keywords)
    description = text
    if mail.ticket_number:
        note = f"(The subject names {mail.ticket_number}, which is not a ticket of this customer.)"
        description = f"{note}\n\n{text}"
    ticket = create_ticket(
        session,
        actor=IMPORTER,
        data=TicketCreate(
            type=TicketType(ticket_type),
            customer_id=customer.id,
            subject=(mail.subject.strip() or "(no subject)")[:500],
            description=description[:MAX_TEXT],
            channel="email",
            interaction_id=interaction.id,
            severity=Severity.MEDIUM if ticket_type == "complaint" else None,
        ),
        rules=rules,
        now=now,
    )
    return MailResult("ticket", interaction.id, customer.id, ticket.number, found.created)
