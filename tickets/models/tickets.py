"""Tickets (inquiries, repairs, complaints), their comments and audit trail, follow-ups, notifications.

Only the storage lives here; the workflow (status machine, SLA, rules) is in ``tickets.workflow`` and
the use cases in ``tickets.ticketing``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tickets.db import Base
from tickets.models.customers import Asset, Customer
from tickets.models.interactions import Interaction
from tickets.models.types import JSONDoc, UTCDateTime, utcnow

TICKET_TYPES = ("inquiry", "repair", "complaint")
TICKET_STATUSES = ("new", "assigned", "in_progress", "pending_customer", "resolved", "closed")
OPEN_STATUSES = ("new", "assigned", "in_progress", "pending_customer")
PRIORITIES = ("low", "normal", "high", "urgent")
SEVERITIES = ("low", "medium", "high", "critical")
FOLLOW_UP_STATUSES = ("pending", "done", "cancelled", "failed")

ticket_interactions = Table(
    "ticket_interactions",
    Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("interaction_id", ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_ticket_interactions_interaction_id", "interaction_id"),
)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_customer_id_status", "customer_id", "status"),
        Index("ix_tickets_status_sla_due_at", "status", "sla_due_at"),
        # Automatic assignment counts each member's open tickets: an index-only scan with this.
        Index("ix_tickets_assignee_status", "assignee", "status"),
        # An agent's list (``assignee = ? ORDER BY id DESC LIMIT n``) is read from this index,
        # newest first, instead of sorting all their tickets or walking the primary key.
        Index("ix_tickets_assignee_id", "assignee", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), default="new")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    subject: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(64), index=True)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # repair
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"), index=True)
    fault: Mapped[str | None] = mapped_column(Text)
    appointment_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appointment_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    technician: Mapped[str | None] = mapped_column(String(128))
    parts_used: Mapped[list[str] | None] = mapped_column(JSONDoc)
    # complaint
    severity: Mapped[str | None] = mapped_column(String(16))
    compensation: Mapped[str | None] = mapped_column(Text)
    compensation_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Optimistic concurrency: every ORM update says ``WHERE version = <the one read>`` and bumps it.
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    customer: Mapped[Customer] = relationship()
    asset: Mapped[Asset | None] = relationship()
    comments: Mapped[list[TicketComment]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketComment.id"
    )
    changes: Mapped[list[TicketChange]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketChange.id"
    )
    interactions: Mapped[list[Interaction]] = relationship(
        secondary=ticket_interactions, order_by="Interaction.started_at"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def __repr__(self) -> str:
        return f"Ticket(number={self.number!r}, type={self.type!r}, status={self.status!r})"


class TicketComment(Base):
    __tablename__ = "ticket_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="comments")


class TicketChange(Base):
    """One audited change: who, when, which field, old and new value (text, JSON-encoded if needed)."""

    __tablename__ = "ticket_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="changes")


class FollowUpTask(Base):
    """A call back to the customer after a ticket is resolved, with its outcome and satisfaction."""

    __tablename__ = "follow_up_tasks"
    __table_args__ = (
        Index("ix_follow_up_tasks_customer_id_status", "customer_id", "status"),
        Index("ix_follow_up_tasks_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16), default="call")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    notes: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    ticket: Mapped[Ticket | None] = relationship()
    customer: Mapped[Customer] = relationship()


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient_read_at", "recipient", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
