"""Interaction use cases, including the call facts the telephony wiring reports.

The call functions (:func:`start_call`, :func:`answer_call`, :func:`end_call`, :func:`update_call`)
take plain data, are idempotent on ``external_id`` (Asterisk's Linkedid) and raise nothing but
``NotFound`` (``interaction-not-found``) for an unknown call. They flush; the caller commits.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tickets.actors import SYSTEM, Actor
from tickets.contacts import normalize_email
from tickets.customers.lookup import customer_not_found, first_holder_id, survivor
from tickets.customers.service import customer_id_for_number
from tickets.errors import Conflict, Forbidden, InvalidInput, NotFound
from tickets.interactions.schemas import MAX_CALL_SECONDS, InteractionCreate, InteractionUpdate
from tickets.models import Customer, Interaction
from tickets.phones import caller_id_withheld, normalize_caller_id, try_normalize_phone

log = logging.getLogger(__name__)


def interaction_not_found(**details: object) -> NotFound:
    what = ", ".join(f"{k}={v}" for k, v in details.items())
    return NotFound(f"no interaction with {what}", error_id="interaction-not-found", details=dict(details))


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    """Whole seconds from ``start`` to ``end``; None when unknown or longer than any call lasts
    (clock trouble on the PBX must not store a wait of 10,000 years)."""
    if start is None or end is None:
        return None
    seconds = max(0, round((_aware(end) - _aware(start)).total_seconds()))
    if seconds > MAX_CALL_SECONDS:
        log.warning("a duration of %s s from %s to %s is not stored", seconds, start, end)
        return None
    return seconds


def _live_customer_id(session: Session, customer_id: int) -> int:
    """The customer id to attach to: a merged duplicate resolves to its survivor."""
    return survivor(session, customer_id).id


def find_interaction(session: Session, *, external_id: str) -> Interaction | None:
    return session.scalar(select(Interaction).where(Interaction.external_id == external_id))


def _by_external_id(session: Session, external_id: str) -> Interaction:
    found = find_interaction(session, external_id=external_id)
    if found is None:
        raise interaction_not_found(external_id=external_id)
    return found


SYSTEM_FIELDS = ("agent", "survey_score")
"""Written by the system only (telephony says who answered; the survey or a follow-up call gives the
score): a person's request that sets them is refused (403 ``system-field``)."""


def _refuse_system_fields(actor: Actor, given: dict[str, object], *, own_agent_ok: bool) -> None:
    if actor.role == "system":
        return
    for field in SYSTEM_FIELDS:
        if given.get(field) is None:
            continue
        if field == "agent" and own_agent_ok and given[field] == actor.username:
            continue  # a person logging their own contact names themselves
        raise Forbidden(
            f"{field} is written by the system, not by a person",
            error_id="system-field",
            details={"field": field},
        )


def create_interaction(session: Session, *, data: InteractionCreate, actor: Actor = SYSTEM) -> Interaction:
    """Record a contact. A duplicate ``external_id`` is a Conflict (``interaction-exists``).

    A person (not the system) records their own contact: ``agent`` is them or unset, no ``survey_score``.
    """
    _refuse_system_fields(actor, data.model_dump(include=set(SYSTEM_FIELDS)), own_agent_ok=True)
    if data.external_id is not None:
        existing = find_interaction(session, external_id=data.external_id)
        if existing is not None:
            raise Conflict(
                f"an interaction with external_id {data.external_id!r} exists",
                error_id="interaction-exists",
                details={"field": "external_id", "id": existing.id},
            )
    values = data.model_dump(exclude_unset=True)
    address = data.address or None
    customer_id = _live_customer_id(session, data.customer_id) if data.customer_id else None
    if address and data.channel == "email" and "@" in address:
        address = normalize_email(address, field="address")
        customer_id = customer_id or first_holder_id(session, "email", address)
    elif address and data.channel == "phone":
        number = try_normalize_phone(address)
        if number is not None:
            address = number
            customer_id = customer_id or customer_id_for_number(session, number=number)
    values.update(address=address, customer_id=customer_id)
    values.setdefault("started_at", datetime.now(UTC))
    for key in ("started_at", "answered_at", "ended_at"):
        if values.get(key) is not None:
            values[key] = _aware(values[key])
    interaction = Interaction(**values)
    if interaction.wait_seconds is None and data.answered_at is not None:
        interaction.wait_seconds = _seconds(interaction.started_at, data.answered_at)
    if interaction.talk_seconds is None and data.answered_at is not None:
        interaction.talk_seconds = _seconds(data.answered_at, data.ended_at)
    try:
        with session.begin_nested():
            session.add(interaction)
            session.flush()
    except IntegrityError as exc:  # a concurrent request recorded the same external_id first
        existing = find_interaction(session, external_id=data.external_id) if data.external_id else None
        if existing is None:
            raise
        raise Conflict(
            f"an interaction with external_id {data.external_id!r} exists",
            error_id="interaction-exists",
            details={"field": "external_id", "id": existing.id},
        ) from exc
    return interaction


def get_interaction(session: Session, *, interaction_id: int) -> Interaction:
    found = session.get(Interaction, interaction_id)
    if found is None:
        raise interaction_not_found(id=interaction_id)
    return found


def list_interactions(
    session: Session, *, customer_id: int, channel: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Interaction], int]:
    """A customer's interactions across channels, newest first, and how many there are in all."""
    if session.get(Customer, customer_id) is None:
        raise customer_not_found(customer_id)
    where = [Interaction.customer_id == customer_id]
    if channel is not None:
        where.append(Interaction.channel == channel)
    total = session.scalar(select(func.count()).select_from(Interaction).where(*where)) or 0
    stmt = (
        select(Interaction)
        .where(*where)
        .order_by(Interaction.started_at.desc(), Interaction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt)), total


def update_interaction(
    session: Session, *, interaction_id: int, data: InteractionUpdate, actor: Actor = SYSTEM
) -> Interaction:
    """Wrap-up: disposition, notes, survey score, hold/wrap-up seconds, or attach it to a customer."""
    changes = data.model_dump(exclude_unset=True)
    _refuse_system_fields(actor, changes, own_agent_ok=False)
    interaction = get_interaction(session, interaction_id=interaction_id)
    if changes.get("customer_id") is not None:
        changes["customer_id"] = _live_customer_id(session, changes["customer_id"])
    for field, value in changes.items():
        setattr(interaction, field, value)
    session.flush()
    return interaction


# --- call facts from telephony -------------------------------------------------------------------


def start_call(
    session: Session,
    *,
    external_id: str,
    number: str | None,
    direction: str,
    started_at: datetime,
    queue: str | None = None,
    customer_id: int | None = None,
    ivr_path: list[str] | None = None,
) -> Interaction:
    """A call began: create its interaction once, identifying the customer by the caller's number.

    ``number`` is the caller ID as Asterisk gives it (``<unknown>`` and extensions are kept as
    given, but identify nobody). Called again with the same ``external_id`` it returns the existing
    interaction, filling in a queue, customer or IVR path it did not have.
    """
    if direction not in ("inbound", "outbound"):
        raise InvalidInput(
            f"direction must be inbound or outbound, not {direction!r}",
            error_id="invalid-direction",
            details={"field": "direction"},
        )
    existing = find_interaction(session, external_id=external_id)
    if existing is not None:
        return _fill(session, existing, queue=queue, customer_id=customer_id, ivr_path=ivr_path)
    normalized = normalize_caller_id(number)
    address = None if caller_id_withheld(number) else (normalized or (number or "").strip()[:320])
    if customer_id is not None:
        customer_id = _live_customer_id(session, customer_id)
    elif normalized is not None:
        customer_id = customer_id_for_number(session, number=normalized)
    interaction = Interaction(
        channel="phone",
        direction=direction,
        address=address,
        external_id=external_id,
        started_at=_aware(started_at),
        queue=queue,
        customer_id=customer_id,
        ivr_path=list(ivr_path) if ivr_path else None,
    )
    try:
        with session.begin_nested():
            session.add(interaction)
            session.flush()
    except IntegrityError:
        # Another worker recorded the same call between our check and insert.
        log.info("call %s was recorded concurrently; using that record", external_id)
        return _by_external_id(session, external_id)
    return interaction


def _fill(
    session: Session,
    interaction: Interaction,
    *,
    queue: str | None,
    customer_id: int | None,
    ivr_path: list[str] | None,
) -> Interaction:
    if queue and not interaction.queue:
        interaction.queue = queue
    if customer_id is not None and interaction.customer_id is None:
        interaction.customer_id = _live_customer_id(session, customer_id)
    if ivr_path and not interaction.ivr_path:
        interaction.ivr_path = list(ivr_path)
    session.flush()
    return interaction


def update_caller_id(session: Session, *, external_id: str, number: str | None) -> Interaction | None:
    """The caller ID the dialplan finally presented: the call's address (``None`` = withheld) and,
    when the call names nobody yet, the customer of that number. ``None`` when no such call."""
    interaction = find_interaction(session, external_id=external_id)
    if interaction is None:
        return None
    normalized = normalize_caller_id(number)
    interaction.address = None if caller_id_withheld(number) else (normalized or (number or "").strip()[:320])
    if interaction.customer_id is None and normalized is not None:
        interaction.customer_id = customer_id_for_number(session, number=normalized)
    session.flush()
    return interaction


def open_call_ids(session: Session) -> list[str]:
    """The external ids of the phone calls the record shows as not ended."""
    query = select(Interaction.external_id).where(
        Interaction.channel == "phone", Interaction.ended_at.is_(None), Interaction.external_id.is_not(None)
    )
    return [external_id for external_id in session.scalars(query) if external_id]


def update_call(
    session: Session,
    *,
    external_id: str,
    queue: str | None = None,
    customer_id: int | None = None,
    ivr_path: list[str] | None = None,
    recording_ref: str | None = None,
    legs: list[dict[str, Any]] | None = None,
    merged_into: str | None = None,
) -> Interaction:
    """Facts learnt during a call: the queue it entered, the customer the IVR identified, the IVR
    path so far (replaces the stored one), the recording, its legs (replace the stored ones), the
    call it merged into."""
    interaction = _by_external_id(session, external_id)
    if queue:
        interaction.queue = queue
    if customer_id is not None:
        interaction.customer_id = _live_customer_id(session, customer_id)
    if ivr_path is not None:
        interaction.ivr_path = list(ivr_path)
    if recording_ref:
        interaction.recording_ref = recording_ref
    if legs is not None:
        interaction.legs = legs
    if merged_into:
        interaction.merged_into = merged_into
    session.flush()
    return interaction


def answer_call(
    session: Session, *, external_id: str, answered_at: datetime, agent: str | None = None
) -> Interaction:
    """An agent answered: the first answer sets ``answered_at`` and the wait; a later one (a transfer)
    only records its agent as the one now speaking."""
    interaction = _by_external_id(session, external_id)
    if interaction.answered_at is None:
        interaction.answered_at = _aware(answered_at)
        interaction.wait_seconds = _seconds(interaction.started_at, answered_at)
        if interaction.ended_at is not None:
            interaction.talk_seconds = _seconds(answered_at, interaction.ended_at)
    if agent:
        interaction.agent = agent
    session.flush()
    return interaction


def end_call(
    session: Session, *, external_id: str, ended_at: datetime, hangup_cause: str | None = None
) -> Interaction:
    """The call ended: wait and talk seconds are computed once; repeating it changes nothing."""
    interaction = _by_external_id(session, external_id)
    if interaction.ended_at is None:
        interaction.ended_at = _aware(ended_at)
        if interaction.answered_at is None:
            interaction.wait_seconds = _seconds(interaction.started_at, ended_at)
            interaction.talk_seconds = 0
        else:
            interaction.talk_seconds = _seconds(interaction.answered_at, ended_at)
        if hangup_cause:
            interaction.hangup_cause = hangup_cause
    elif hangup_cause and not interaction.hangup_cause:
        interaction.hangup_cause = hangup_cause
    session.flush()
    return interaction
