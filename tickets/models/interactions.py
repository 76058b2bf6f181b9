"""Interactions: every call, web contact and e-mail, in one table across channels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tickets.db import Base
from tickets.models.customers import Customer
from tickets.models.types import JSONDoc, UTCDateTime, utcnow

CHANNELS = ("phone", "web", "email")
DIRECTIONS = ("inbound", "outbound")


class Interaction(Base):
    __tablename__ = "interactions"
    # (customer_id, started_at): "last N interactions of a customer" is a backward index scan.
    __table_args__ = (Index("ix_interactions_customer_id_started_at", "customer_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    address: Mapped[str | None] = mapped_column(String(320), index=True)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    subject: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queue: Mapped[str | None] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(64), index=True)
    ivr_path: Mapped[list[str] | None] = mapped_column(JSONDoc)
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    hold_seconds: Mapped[int | None] = mapped_column(Integer)
    wrapup_seconds: Mapped[int | None] = mapped_column(Integer)
    disposition: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    survey_score: Mapped[int | None] = mapped_column(SmallInteger)
    recording_ref: Mapped[str | None] = mapped_column(String(500))
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    legs: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDoc)
    """Who talked to whom, from when to when (the call tracker's legs; transfers show here)."""
    merged_into: Mapped[str | None] = mapped_column(String(255))
    """A consultation call that became part of another call: that call's ``external_id``."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer | None] = relationship()

    def __repr__(self) -> str:
        return f"Interaction(id={self.id!r}, channel={self.channel!r}, external_id={self.external_id!r})"
