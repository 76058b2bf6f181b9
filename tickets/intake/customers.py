"""Find the customer a contact comes from (by phone, then e-mail) or create one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tickets.actors import SYSTEM, Actor
from tickets.customers.lookup import first_holder_id
from tickets.customers.schemas import ContactPointCreate, CustomerCreate
from tickets.customers.service import add_contact_point, create_customer, find_by_phone, get_customer
from tickets.models import Customer


@dataclass(frozen=True)
class FoundCustomer:
    customer: Customer
    created: bool


def customer_by_email(session: Session, *, email: str) -> Customer | None:
    """The live customer holding this (lower-cased) address: the primary holder, then the oldest."""
    customer_id = first_holder_id(session, "email", email)
    return None if customer_id is None else get_customer(session, customer_id=customer_id)


def find_or_create_customer(
    session: Session,
    *,
    name: str,
    phone: str | None = None,
    email: str | None = None,
    language: str = "zh",
    actor: Actor = SYSTEM,
) -> FoundCustomer:
    """Match on the phone (E.164) first, then the e-mail (lower case); a match learns the other one.

    ``phone`` and ``email`` must already be normalised; the name of an existing customer is kept.
    """
    customer: Customer | None = None
    if phone:
        matches = find_by_phone(session, phone=phone)
        customer = matches[0] if matches else None
    if customer is None and email:
        customer = customer_by_email(session, email=email)
    if customer is None:
        data = CustomerCreate.model_validate({
            "display_name": name[:200],
            "preferred_language": language,
            "phones": [phone] if phone else [],
            "emails": [email] if email else [],
        })
        return FoundCustomer(create_customer(session, data=data, actor=actor), created=True)
    known = {(cp.kind, cp.value) for cp in customer.contact_points}
    for kind, value in (("phone", phone), ("email", email)):
        if value and (kind, value) not in known:
            add_contact_point(
                session,
                customer_id=customer.id,
                data=ContactPointCreate.model_validate({"kind": kind, "value": value}),
                actor=actor,
            )
    return FoundCustomer(customer, created=False)


def guess_language(*texts: str | None) -> str:
    """``zh`` when any text holds CJK ideographs, else ``en``."""
    for text in texts:
        if text and any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text):
            return "zh"
    return "en"
