"""The screen pop of an offered call: the caller's unified record, read when the ACD offers the call.

``/ws/agent`` sends it right after the ``call_offered`` message, as ``{"type": "screen_pop",
"call_id", "customer_id", "caller_number", "record", "interaction"}``: ``record`` is the unified
record (as ``GET /api/customers/{id}/record``) of the customer the IVR identified, else of the
caller's number, ``null`` when neither finds one; ``interaction`` is the call's interaction (with
its IVR path) when the recorder has written it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from routing.messages import CallOffered
from tickets.db import unit_of_work
from tickets.errors import DomainError
from tickets.interactions.schemas import InteractionPublic
from tickets.interactions.service import find_interaction
from tickets.record import service as record_service
from tickets.record.api import record_public

log = logging.getLogger(__name__)


def _record(session: Session, offer: CallOffered) -> dict[str, Any] | None:
    try:
        if offer.customer_id and offer.customer_id.isdigit():
            found = record_service.get_record(session, customer_id=int(offer.customer_id))
        elif offer.caller_number:
            found = record_service.record_by_phone(session, phone=offer.caller_number)
        else:
            return None
    except DomainError:  # no such customer, a number that is no phone number
        return None
    return record_public(found).model_dump(mode="json")


def read_screen_pop(sessions: sessionmaker[Session], offer: CallOffered) -> dict[str, Any]:
    """Blocking: run it off the event loop."""
    with unit_of_work(sessions, read_only=True) as session:
        interaction = find_interaction(session, external_id=offer.call_id)
        return {
            "type": "screen_pop",
            "call_id": offer.call_id,
            "customer_id": offer.customer_id,
            "caller_number": offer.caller_number,
            "record": _record(session, offer),
            "interaction": None if interaction is None
            else InteractionPublic.model_validate(interaction).model_dump(mode="json"),
        }


async def screen_pop(sessions: sessionmaker[Session], offer: CallOffered) -> dict[str, Any]:
    """The screen pop of ``offer``; when the record cannot be read, one without it (logged)."""
    try:
        return await asyncio.to_thread(read_screen_pop, sessions, offer)
    except Exception:
        log.exception("screen pop of %s: the record could not be read", offer.call_id)
        return {"type": "screen_pop", "call_id": offer.call_id, "customer_id": offer.customer_id,
                "caller_number": offer.caller_number, "record": None, "interaction": None}
