"""HTTP endpoints for the unified record (mounted under ``/api``):
``/record/by-phone/{phone}`` and ``/customers/{customer_id}/record``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from tickets.assets.schemas import asset_public
from tickets.customers.schemas import CustomerBrief, CustomerPublic
from tickets.deps import ActorDep, SessionDep, one_hop
from tickets.interactions.schemas import InteractionPublic
from tickets.record import service
from tickets.record.schemas import FollowUpSummary, LastAgent, RecordPublic, TicketSummary

router = APIRouter(tags=["record"])

InteractionsLimit = Annotated[
    int, Query(ge=0, le=service.MAX_INTERACTIONS, description="How many recent interactions to include.")
]


def record_public(record: service.Record) -> RecordPublic:
    today = date.today()
    last = record.last_agent
    return RecordPublic(
        customer=CustomerPublic.model_validate(record.customer),
        assets=[asset_public(a, today=today) for a in record.assets],
        interactions=[InteractionPublic.model_validate(i) for i in record.interactions],
        open_tickets=[TicketSummary.model_validate(t) for t in record.open_tickets],
        follow_ups=[FollowUpSummary.model_validate(f) for f in record.follow_ups],
        last_agent=(
            LastAgent(agent=last.agent, at=last.started_at, interaction_id=last.id, channel=last.channel)
            if last is not None and last.agent
            else None
        ),
        matched_phone=record.matched_phone,
        other_matches=[CustomerBrief.model_validate(c) for c in record.other_matches],
    )


@router.get("/record/by-phone/{phone}", response_model=RecordPublic)
@one_hop
def record_by_phone(
    phone: str, session: SessionDep, actor: ActorDep, n: InteractionsLimit = service.DEFAULT_INTERACTIONS
) -> RecordPublic:
    """The screen pop for a caller's number (any format); 404 ``customer-not-found`` with the
    normalized number in ``details.phone`` when no customer has it."""
    return record_public(service.record_by_phone(session, phone=phone, interactions_limit=n))


@router.get("/customers/{customer_id}/record", response_model=RecordPublic)
@one_hop
def customer_record(
    customer_id: int,
    session: SessionDep,
    actor: ActorDep,
    n: InteractionsLimit = service.DEFAULT_INTERACTIONS,
) -> RecordPublic:
    return record_public(service.get_record(session, customer_id=customer_id, interactions_limit=n))
