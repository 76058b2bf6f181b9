"""The unified record (screen pop): everything about a caller in a handful of indexed queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.tickets.conftest import SUPERVISOR, count_statements
from tickets.assets.schemas import AssetCreate
from tickets.assets.service import create_asset
from tickets.customers.service import merge_customers
from tickets.errors import InvalidInput, NotFound
from tickets.models import Customer, FollowUpTask, Interaction, Ticket
from tickets.record.service import get_record, record_by_phone

NewCustomer = Callable[..., Customer]
T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def _fill(session: Session, customer: Customer, *, calls: int = 12, tickets: int = 6) -> None:
    for i in range(calls):
        session.add(
            Interaction(
                customer_id=customer.id,
                channel=("phone", "web", "email")[i % 3],
                started_at=T0 + timedelta(hours=i),
                agent=f"agent{i}" if i < 4 else None,  # the latest calls were not handled by an agent
                subject=f"contact {i}",
            )
        )
    for i, status in enumerate(
        ["new", "assigned", "in_progress", "pending_customer", "resolved", "closed"][:tickets]
    ):
        session.add(
            Ticket(
                number=f"INQ-R{customer.id}-{i}",
                type="inquiry",
                status=status,
                customer_id=customer.id,
                subject=f"ticket {status}",
                created_at=T0 + timedelta(days=i),
            )
        )
    for i in range(3):
        create_asset(session, customer_id=customer.id, data=AssetCreate(product=f"Product {i}"))
    session.add_all(
        [
            FollowUpTask(customer_id=customer.id, due_at=T0 + timedelta(days=2), status="pending"),
            FollowUpTask(customer_id=customer.id, due_at=T0 + timedelta(days=1), status="done"),
        ]
    )
    session.flush()


def test_the_record_holds_profile_assets_history_open_work_and_last_agent(
    db_session: Session, new_customer: NewCustomer
) -> None:
    customer = new_customer("周杰", tier="vip", phones=["13666668888"], emails=["zhou@example.com"])
    _fill(db_session, customer)
    db_session.expire_all()

    record = get_record(db_session, customer_id=customer.id)

    assert record.customer.display_name == "周杰" and record.customer.tier == "vip"
    assert [cp.value for cp in record.customer.contact_points] == ["+8613666668888", "zhou@example.com"]
    assert [a.product for a in record.assets] == ["Product 0", "Product 1", "Product 2"]
    assert [i.subject for i in record.interactions] == [f"contact {i}" for i in range(11, 1, -1)]
    assert {i.channel for i in record.interactions} == {"phone", "web", "email"}
    assert [t.status for t in record.open_tickets] == ["pending_customer", "in_progress", "assigned", "new"]
    assert [f.status for f in record.follow_ups] == ["pending"]
    # No agent in the last 10: the last agent is found further back.
    assert record.last_agent is not None and record.last_agent.agent == "agent3"

    short = get_record(db_session, customer_id=customer.id, interactions_limit=3)
    assert [i.subject for i in short.interactions] == ["contact 11", "contact 10", "contact 9"]


def test_by_phone_in_any_format_lists_other_holders(db_session: Session, new_customer: NewCustomer) -> None:
    main = new_customer("主号人", phones=["13677778888"])
    other = new_customer("家属", phones=["13511112222", "13677778888"])
    record = record_by_phone(db_session, phone="+86 136 7777 8888")
    assert record.customer.id == main.id and record.matched_phone == "+8613677778888"
    assert [c.id for c in record.other_matches] == [other.id]


def test_unknown_phone_is_not_found_with_the_normalized_number(db_session: Session) -> None:
    with pytest.raises(NotFound) as caught:
        record_by_phone(db_session, phone="0086 139 0000 0001")
    assert caught.value.error_id == "customer-not-found"
    assert caught.value.details == {"phone": "+8613900000001"}
    with pytest.raises(InvalidInput):
        record_by_phone(db_session, phone="abc")


def test_a_merged_customer_shows_the_survivor(db_session: Session, new_customer: NewCustomer) -> None:
    survivor, duplicate = new_customer("Survivor"), new_customer("Duplicate", phones=["13700001111"])
    _fill(db_session, duplicate, calls=2, tickets=1)
    merge_customers(db_session, survivor_id=survivor.id, duplicate_id=duplicate.id, actor=SUPERVISOR)
    record = get_record(db_session, customer_id=duplicate.id)
    assert record.customer.id == survivor.id
    assert len(record.interactions) == 2 and [t.status for t in record.open_tickets] == ["new"]
    assert record_by_phone(db_session, phone="13700001111").customer.id == survivor.id


def test_the_record_takes_the_same_few_queries_however_much_history(
    db_session: Session, new_customer: NewCustomer
) -> None:
    small = new_customer("Small", phones=["13700002222"])
    big = new_customer("Big", phones=["13700003333", "13700004444"], emails=["big@example.com"])
    _fill(db_session, small, calls=1, tickets=1)
    _fill(db_session, big, calls=40, tickets=5)
    counts = []
    for phone in ("13700002222", "13700003333"):
        db_session.expire_all()
        with count_statements(db_session) as statements:
            record = record_by_phone(db_session, phone=phone)
            # touch everything the API serialises
            _ = [cp.value for cp in record.customer.contact_points], [a.product for a in record.assets]
        counts.append(len(statements))
    # the number's holders, the customer with contact points and assets, interactions, tickets,
    # follow-ups; and for the big one (no agent among its last 10) the last agent further back
    assert counts == [5, 6], counts


def test_a_customer_with_fewer_interactions_than_shown_and_no_agent_needs_no_look_further_back(
    db_session: Session, new_customer: NewCustomer
) -> None:
    customer = new_customer("网上客户", phones=["13700005555"])
    for i in range(3):
        db_session.add(Interaction(customer_id=customer.id, channel="web", started_at=T0 + timedelta(hours=i),
                                   subject=f"web form {i}"))
    db_session.flush()
    db_session.expire_all()
    with count_statements(db_session) as statements:
        record = record_by_phone(db_session, phone="13700005555")
        _ = [cp.value for cp in record.customer.contact_points], [a.product for a in record.assets]
    assert record.last_agent is None and len(record.interactions) == 3
    assert len(statements) == 5  # holders (2), profile, interactions, tickets, follow-ups: no sixth


def test_exactly_as_many_interactions_as_shown_and_none_with_an_agent_still_looks_further_back(
    db_session: Session, new_customer: NewCustomer
) -> None:
    customer = new_customer("老客户", phones=["13700006666"])
    for i in range(4):
        db_session.add(Interaction(customer_id=customer.id, channel="phone",
                                   started_at=T0 + timedelta(hours=i),
                                   agent="agent_li" if i == 0 else None, subject=f"call {i}"))
    db_session.flush()
    db_session.expire_all()
    record = record_by_phone(db_session, phone="13700006666", interactions_limit=3)
    assert [i.subject for i in record.interactions] == ["call 3", "call 2", "call 1"]
    assert record.last_agent is not None and record.last_agent.agent == "agent_li"
