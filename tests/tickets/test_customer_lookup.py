"""tickets.customers.lookup: one rule for merged customers and one for contact-point holders."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.tickets.conftest import SUPERVISOR
from tickets.customers import lookup
from tickets.errors import InvalidInput, NotFound
from tickets.interactions.schemas import InteractionCreate
from tickets.interactions.service import create_interaction
from tickets.models import ContactPoint, Customer
from tickets.record.service import get_record
from tickets.ticketing.schemas import TicketCreate
from tickets.ticketing.service import create_ticket
from tickets.workflow.rules import load_rules

NewCustomer = Callable[..., Customer]


def _merge_ring(db_session: Session, a: Customer, b: Customer) -> None:
    """Corrupt data as crossed merges once left it: A → B and B → A."""
    db_session.execute(update(Customer).where(Customer.id == a.id).values(merged_into_id=b.id))
    db_session.execute(update(Customer).where(Customer.id == b.id).values(merged_into_id=a.id))
    db_session.expire_all()


def test_given_a_chain_of_merges_when_resolving_then_every_service_reaches_the_last_survivor(
    db_session: Session, new_customer: NewCustomer
) -> None:
    a, b, c = new_customer("甲"), new_customer("乙"), new_customer("丙")
    db_session.execute(update(Customer).where(Customer.id == a.id).values(merged_into_id=b.id))
    db_session.execute(update(Customer).where(Customer.id == b.id).values(merged_into_id=c.id))
    db_session.expire_all()
    assert lookup.survivor(db_session, a.id).id == c.id
    assert get_record(db_session, customer_id=a.id).customer.id == c.id
    made = create_interaction(db_session, data=InteractionCreate(channel="web", customer_id=a.id))
    assert made.customer_id == c.id


def test_given_a_merge_ring_when_resolving_then_every_service_answers_not_found_instead_of_looping(
    db_session: Session, new_customer: NewCustomer
) -> None:
    a, b = new_customer("甲"), new_customer("乙")
    _merge_ring(db_session, a, b)
    with pytest.raises(NotFound):
        lookup.survivor(db_session, a.id)
    with pytest.raises(NotFound):
        get_record(db_session, customer_id=b.id)
    with pytest.raises(NotFound):
        create_interaction(db_session, data=InteractionCreate(channel="web", customer_id=a.id))
    with pytest.raises(InvalidInput):  # a ticket's customer is its input: 422 naming the field
        create_ticket(
            db_session,
            data=TicketCreate(type="inquiry", subject="环", customer_id=a.id),
            actor=SUPERVISOR,
            rules=load_rules(),
        )


def test_given_an_email_row_holding_a_phone_like_value_when_looking_up_the_number_then_it_does_not_match(
    db_session: Session, new_customer: NewCustomer
) -> None:
    phone_holder = new_customer("电话", phones=["13800138123"])
    odd = new_customer("邮件")
    db_session.add(ContactPoint(customer_id=odd.id, kind="email", value="+8613800138123"))
    db_session.flush()
    assert [c.id for c in lookup.holders(db_session, "phone", "+8613800138123")] == [phone_holder.id]
    assert lookup.first_holder_id(db_session, "phone", "+8613800138123") == phone_holder.id
    assert lookup.first_holder_id(db_session, "email", "+8613800138123") == odd.id
