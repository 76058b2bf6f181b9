"""The IVR's ports filled from the customer record: who is calling, their tickets, voicemail and
callback tickets, survey scores and the IVR path of each call.

Each method runs its database work in a worker thread, in one transaction, so the FastAGI sessions'
event loop never waits on the database. A call is the interaction whose ``external_id`` is the call
id (Asterisk's Linkedid), as the call recorder stores it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ivr.path import IvrPath
from ivr.ports import (
    CallbackRequest,
    CustomerInfo,
    TicketInfo,
    VoicemailRequest,
)
from tickets.actors import Actor
from tickets.customers import lookup
from tickets.db import unit_of_work
from tickets.errors import DomainError
from tickets.intake.customers import find_or_create_customer
from tickets.interactions import service as calls
from tickets.models import Customer, FollowUpTask, Interaction, IvrJourney, Ticket
from tickets.phones import normalize_phone
from tickets.ticketing.schemas import TicketCreate
from tickets.ticketing.service import create_ticket, get_ticket
from tickets.workflow.rules import WorkflowRules
from tickets.workflow.vocab import OPEN_STATUSES

log = logging.getLogger(__name__)
IVR = Actor("ivr", "system", "IVR")
T = TypeVar("T")
MAX_OPEN_TICKETS = 5


class RecordPorts:
    """CustomerDirectory, TicketDirectory, CallbackDesk, SurveyStore and JourneyStore in one object
    (they share the session factory and the workflow rules)."""

    def __init__(self, sessions: sessionmaker[Session], rules: WorkflowRules) -> None:
        self._sessions = sessions
        self._rules = rules

    async def _run(self, work: Callable[[Session], T]) -> T:
        def in_transaction() -> T:
            with unit_of_work(self._sessions) as session:
                return work(session)

        return await asyncio.to_thread(in_transaction)

    # -- CustomerDirectory ------------------------------------------------------------------

    async def by_phone(self, number: str) -> CustomerInfo | None:
        normalized = _phone(number)
        if normalized is None:
            return None

        def find(session: Session) -> CustomerInfo | None:
            found = lookup.holders(session, "phone", normalized)
            return _customer_info(found[0]) if found else None

        return await self._run(find)

    async def by_account(self, account: str) -> CustomerInfo | None:
        """An account number is the customer number; a longer entry is tried as a phone number."""
        digits = account.strip()
        if not digits.isdigit():
            return None
        if len(digits) >= 7:
            by_phone = await self.by_phone(digits)
            if by_phone is not None:
                return by_phone
        if len(digits) > 12:
            return None

        def find(session: Session) -> CustomerInfo | None:
            try:
                return _customer_info(lookup.survivor(session, int(digits)))
            except DomainError:
                return None

        return await self._run(find)

    # -- TicketDirectory --------------------------------------------------------------------

    async def by_reference(self, reference: str) -> TicketInfo | None:
        def find(session: Session) -> TicketInfo | None:
            try:
                return _ticket_info(get_ticket(session, ref=reference.strip()))
            except DomainError:
                return None

        return await self._run(find)

    async def open_tickets(self, customer_id: str) -> list[TicketInfo]:
        if not customer_id.isdigit():
            return []

        def find(session: Session) -> list[TicketInfo]:
            rows = session.scalars(
                select(Ticket)
                .where(
                    Ticket.customer_id == int(customer_id),
                    Ticket.status.in_([s.value for s in OPEN_STATUSES]),
                )
                .order_by(Ticket.created_at.desc(), Ticket.id.desc())
                .limit(MAX_OPEN_TICKETS)
            )
            return [_ticket_info(t) for t in rows]

        return await self._run(find)

    # -- CallbackDesk -----------------------------------------------------------------------

    async def voicemail(self, request: VoicemailRequest) -> str:
        """An inquiry ticket ``voicemail`` holding the recording (on the call's interaction) and a
        callback task due now."""

        def record(session: Session) -> str:
            customer_id = self._caller(session, request.caller, request.customer_id, request.language)
            interaction = self._call(session, request.call_id, request.caller)
            calls.update_call(session, external_id=request.call_id, recording_ref=request.recording)
            ticket = self._ticket(
                session,
                customer_id,
                subject=f"语音留言 Voicemail from {request.caller or 'unknown'} ({request.seconds:.0f} s)",
                category="voicemail",
                intent=request.intent,
                interaction_id=interaction.id,
            )
            _callback_task(session, ticket, customer_id, due=datetime.now(UTC))
            return ticket.number

        return await self._run(record)

    async def callback(self, request: CallbackRequest) -> str:
        """An inquiry ticket ``callback`` and a callback task due at ``not_before``."""

        def record(session: Session) -> str:
            customer_id = self._caller(session, request.number, request.customer_id, request.language)
            interaction = self._call(session, request.call_id, request.number)
            ticket = self._ticket(
                session,
                customer_id,
                subject=f"回电请求 Callback to {request.number}"
                + (f" about {request.ticket}" if request.ticket else ""),
                category="callback",
                intent=request.intent,
                interaction_id=interaction.id,
            )
            _callback_task(session, ticket, customer_id, due=request.not_before)
            return ticket.number

        return await self._run(record)

    # -- SurveyStore ------------------------------------------------------------------------

    async def store(self, call_id: str, score: int) -> None:
        if not 1 <= score <= 5:
            raise ValueError(f"survey score {score} is not 1-5")

        def record(session: Session) -> None:
            interaction = calls.find_interaction(session, external_id=call_id)
            if interaction is None:
                log.warning("survey score %s for call %s: no interaction recorded", score, call_id)
                return
            interaction.survey_score = score
            session.flush()

        await self._run(record)

    # -- JourneyStore -----------------------------------------------------------------------

    async def save(self, path: IvrPath) -> None:
        """Keep the whole path (analytics) and the nodes on the call's interaction (the screen pop)."""

        def record(session: Session) -> None:
            journey = session.scalar(select(IvrJourney).where(IvrJourney.call_id == path.call_id))
            if journey is None:
                journey = IvrJourney(call_id=path.call_id, flow=path.flow, started_at=path.started_at)
                session.add(journey)
            journey.ended_at = path.ended_at
            journey.outcome = path.outcome
            journey.path = path.model_dump(mode="json")
            interaction = calls.find_interaction(session, external_id=path.call_id)
            if interaction is not None:
                interaction.ivr_path = path.nodes()
            session.flush()

        await self._run(record)

    async def paths(self, flow: str | None, since: datetime, until: datetime) -> list[IvrPath]:
        def find(session: Session) -> list[IvrPath]:
            query = select(IvrJourney.path).where(
                IvrJourney.started_at >= since, IvrJourney.started_at < until
            )
            if flow is not None:
                query = query.where(IvrJourney.flow == flow)
            return [IvrPath.model_validate(doc) for doc in session.scalars(query.order_by(IvrJourney.id))]

        return await self._run(find)

    # -- helpers ----------------------------------------------------------------------------

    def _caller(self, session: Session, number: str, customer_id: str | None, language: str | None) -> int:
        if customer_id and customer_id.isdigit():
            return lookup.survivor(session, int(customer_id)).id
        normalized = _phone(number)
        found = find_or_create_customer(
            session, name=number or "未知来电", phone=normalized, language=language or "zh", actor=IVR
        )
        return found.customer.id

    def _call(self, session: Session, call_id: str, number: str) -> Interaction:
        return calls.start_call(
            session, external_id=call_id, number=number, direction="inbound", started_at=datetime.now(UTC)
        )

    def _ticket(
        self,
        session: Session,
        customer_id: int,
        *,
        subject: str,
        category: str,
        intent: str | None,
        interaction_id: int,
    ) -> Ticket:
        data = TicketCreate.model_validate(
            {
                "type": "inquiry",
                "customer_id": customer_id,
                "subject": subject[:500],
                "category": category,
                "channel": "phone",
                "description": f"intent: {intent}" if intent else None,
                "interaction_id": interaction_id,
            }
        )
        return create_ticket(session, actor=IVR, data=data, rules=self._rules)


def _phone(number: str) -> str | None:
    try:
        return normalize_phone(number, field="phone")
    except DomainError:
        return None


def _customer_info(customer: Customer) -> CustomerInfo:
    return CustomerInfo(
        id=str(customer.id),
        name=customer.display_name,
        tier=customer.tier,
        language=customer.preferred_language,
    )


def _ticket_info(ticket: Ticket) -> TicketInfo:
    return TicketInfo(
        reference=ticket.number, status=ticket.status, type=ticket.type, customer_id=str(ticket.customer_id)
    )


def _callback_task(session: Session, ticket: Ticket, customer_id: int, *, due: datetime) -> None:
    session.add(FollowUpTask(ticket_id=ticket.id, customer_id=customer_id, kind="callback", due_at=due))
    session.flush()
