"""The record keeps the caller ID the dialplan finally presented."""

from __future__ import annotations

from sqlalchemy.orm import Session

from callcenter.call_records import apply_call_event
from telephony.tracker import CallerIdChanged, CallStarted, Party
from tickets.customers.schemas import CustomerCreate
from tickets.customers.service import create_customer
from tickets.interactions.service import find_interaction


def _party(number: str, *, restricted: bool = False) -> Party:
    return Party(channel="PJSIP/trunk-0001", uniqueid="7.1", number=number, name="", restricted=restricted)


def test_given_the_dialplan_rewrites_the_caller_id_then_the_call_names_that_number_and_its_customer(
    db_session: Session,
) -> None:
    customer = create_customer(db_session, data=CustomerCreate(display_name="林平之", phones=["13700001111"]))
    apply_call_event(
        db_session,
        CallStarted(
            call_id="cid-7.1", at=100.0, caller=_party("0013700001111x"), dialed="4100", context="inbound"
        ),
    )
    apply_call_event(db_session, CallerIdChanged(call_id="cid-7.1", at=101.0, caller=_party("13700001111")))
    call = find_interaction(db_session, external_id="cid-7.1")
    assert call is not None and call.address == "+8613700001111" and call.customer_id == customer.id
    apply_call_event(
        db_session,
        CallerIdChanged(call_id="cid-7.1", at=102.0, caller=_party("13700001111", restricted=True)),
    )
    assert call.address is None
