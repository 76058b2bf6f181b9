"""The IVR path of each call: every node, digit and lookup, for the screen pop and IVR analytics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tickets.db import Base
from tickets.models.types import JSONDoc, UTCDateTime


class IvrJourney(Base):
    """One call's walk through one IVR flow (``path`` is ``ivr.path.IvrPath`` as JSON)."""

    __tablename__ = "ivr_journeys"
    __table_args__ = (Index("ix_ivr_journeys_flow_started_at", "flow", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(255), unique=True)
    """The call's id (Asterisk's Linkedid): the ``external_id`` of its interaction."""
    flow: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    path: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
