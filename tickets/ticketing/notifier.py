"""The notifier port: how ticket events reach people (default: Notification rows).

The console can wrap :class:`DbNotifier` to also push over websockets once the transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from tickets.models import Notification

TICKET_ASSIGNED = "ticket_assigned"
SLA_BREACH = "sla_breach"
FOLLOW_UP_DUE = "follow_up_due"


@dataclass(frozen=True)
class Note:
    recipient: str
    kind: str
    message: str
    ticket_id: int | None
    created_at: datetime


class Notifier(Protocol):
    def send(self, session: Session, note: Note) -> None:
        """Deliver ``note`` as part of ``session``'s transaction (nothing is sent if it rolls back)."""
        ...


class DbNotifier:
    """Stores each note as a :class:`~tickets.models.Notification` row (the recipient's inbox)."""

    def send(self, session: Session, note: Note) -> None:
        session.add(
            Notification(
                recipient=note.recipient,
                kind=note.kind,
                ticket_id=note.ticket_id,
                message=note.message,
                created_at=note.created_at,
            )
        )
