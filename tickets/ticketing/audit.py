"""Audit rows (TicketChange): who changed which field of a ticket, when, from what to what."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from tickets.models import Ticket, TicketChange


def encode(value: Any) -> str | None:
    """Text for the audit columns: strings as they are, times in ISO 8601, the rest as JSON."""
    if value is None:
        return None
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def record(session: Session, ticket: Ticket, *, actor: str, at: datetime, field: str,
           old: Any, new: Any) -> TicketChange:
    change = TicketChange(ticket_id=ticket.id, actor=actor, at=at, field=field,
                          old_value=encode(old), new_value=encode(new))
    session.add(change)
    return change


def set_fields(session: Session, ticket: Ticket, values: dict[str, Any], *, actor: str,
               at: datetime) -> dict[str, tuple[Any, Any]]:
    """Assign ``values`` to ``ticket``, auditing each field whose value really changes."""
    changed: dict[str, tuple[Any, Any]] = {}
    for field, new in values.items():
        if isinstance(new, Enum):
            new = new.value
        old = getattr(ticket, field)
        if old == new:
            continue
        setattr(ticket, field, new)
        record(session, ticket, actor=actor, at=at, field=field, old=old, new=new)
        changed[field] = (old, new)
    return changed
