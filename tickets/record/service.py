"""The unified record (screen pop): profile, contact points, assets, the last interactions across
channels, open tickets, open follow-ups and the last agent, in a handful of indexed queries.

Queries per record: by phone, the number's holders (``contact_points(kind, value)``); the customer
with contact points and assets (one joined query by primary key); the last N interactions
(``interactions(customer_id, started_at)``), open tickets (``tickets(customer_id, status)``), pending
follow-ups (``follow_up_tasks(customer_id, status)``), and, only when none of the N had an agent and
the customer may have older interactions (N of them came back), the last agent (same index).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from tickets.customers.lookup import holders, survivor
from tickets.errors import NotFound
from tickets.models import (
    OPEN_STATUSES,
    Asset,
    Customer,
    FollowUpTask,
    Interaction,
    Ticket,
)
from tickets.phones import normalize_phone

DEFAULT_INTERACTIONS = 10
MAX_INTERACTIONS = 100
MAX_OPEN_ITEMS = 50


@dataclass
class Record:
    customer: Customer
    assets: list[Asset]
    interactions: list[Interaction]
    open_tickets: list[Ticket]
    follow_ups: list[FollowUpTask]
    last_agent: Interaction | None
    matched_phone: str | None = None
    other_matches: list[Customer] = field(default_factory=list)


PROFILE = (joinedload(Customer.contact_points), joinedload(Customer.assets))
"""Contact points and assets come in the same query as the customer (a few rows each)."""


def get_record(
    session: Session, *, customer_id: int, interactions_limit: int = DEFAULT_INTERACTIONS
) -> Record:
    """The record of a customer; a merged duplicate shows its survivor."""
    customer = survivor(session, customer_id, options=PROFILE)
    return _assemble(session, customer, interactions_limit)


def record_by_phone(
    session: Session, *, phone: str, interactions_limit: int = DEFAULT_INTERACTIONS
) -> Record:
    """The record of the customer with this number (the primary holder, then the oldest); the others
    sharing the number are listed in ``other_matches``. No one: NotFound ``customer-not-found`` with
    the normalized number in ``details['phone']``."""
    number = normalize_phone(phone, field="phone")
    customers = holders(session, "phone", number, options=PROFILE)
    if not customers:
        raise NotFound(
            f"no customer has the phone number {number}",
            error_id="customer-not-found",
            details={"phone": number},
        )
    record = _assemble(session, customers[0], interactions_limit)
    record.matched_phone = number
    record.other_matches = customers[1:]
    return record


# The record's queries, built once and run with parameters (building and keying a statement costs
# more than running it on an indexed look-up).
LAST_INTERACTIONS = (
    select(Interaction)
    .where(Interaction.customer_id == bindparam("cid"))
    .order_by(Interaction.started_at.desc(), Interaction.id.desc())
    .limit(bindparam("limit"))
)
LAST_WITH_AGENT = (
    select(Interaction)
    .where(Interaction.customer_id == bindparam("cid"), Interaction.agent.is_not(None))
    .order_by(Interaction.started_at.desc(), Interaction.id.desc())
    .limit(1)
)
OPEN_TICKETS = (
    select(Ticket)
    .where(Ticket.customer_id == bindparam("cid"), Ticket.status.in_(OPEN_STATUSES))
    .order_by(Ticket.created_at.desc(), Ticket.id.desc())
    .limit(MAX_OPEN_ITEMS)
)
PENDING_FOLLOW_UPS = (
    select(FollowUpTask)
    .where(FollowUpTask.customer_id == bindparam("cid"), FollowUpTask.status == "pending")
    .order_by(FollowUpTask.due_at, FollowUpTask.id)
    .limit(MAX_OPEN_ITEMS)
)


def _assemble(session: Session, customer: Customer, interactions_limit: int) -> Record:
    cid = {"cid": customer.id}
    limit = max(0, min(interactions_limit, MAX_INTERACTIONS))
    assets = list(customer.assets)
    interactions = list(session.scalars(LAST_INTERACTIONS, {**cid, "limit": limit})) if limit else []
    last_agent = next((i for i in interactions if i.agent), None)
    if last_agent is None and (not limit or len(interactions) == limit):  # fewer: these are all
        last_agent = session.scalar(LAST_WITH_AGENT, cid)
    return Record(
        customer=customer,
        assets=assets,
        interactions=interactions,
        open_tickets=list(session.scalars(OPEN_TICKETS, cid)),
        follow_ups=list(session.scalars(PENDING_FOLLOW_UPS, cid)),
        last_agent=last_agent,
    )
