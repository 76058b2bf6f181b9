"""A user's notifications (their inbox): list, mark read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tickets.actors import Actor
from tickets.errors import NotFound
from tickets.models import Notification, utcnow


def list_notifications(session: Session, *, actor: Actor, unread_only: bool = False, limit: int = 50,
                       offset: int = 0) -> tuple[list[Notification], int]:
    """The actor's own notifications, newest first, and their total."""
    stmt = select(Notification).where(Notification.recipient == actor.username)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Notification.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total)


def mark_read(session: Session, *, actor: Actor, notification_id: int,
              now: datetime | None = None) -> Notification:
    """Mark one of the actor's notifications read (someone else's is not found)."""
    note = session.get(Notification, notification_id)
    if note is None or note.recipient != actor.username:
        raise NotFound(f"no notification {notification_id}", error_id="no-such-notification",
                       details={"notification": notification_id})
    if note.read_at is None:
        note.read_at = now or utcnow()
        session.flush()
    return note


def mark_all_read(session: Session, *, actor: Actor, now: datetime | None = None) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.recipient == actor.username, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
