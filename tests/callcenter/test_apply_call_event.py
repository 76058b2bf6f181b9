"""Call events become one interaction: customer by number, queue, agent username, wait and talk."""

from __future__ import annotations

from sqlalchemy.orm import Session

from callcenter.call_records import apply_call_event
from telephony.tracker import CallBridged, CallEnded, CallQueued, CallStarted, Party
from tickets.customers.schemas import CustomerCreate
from tickets.customers.service import create_customer
from tickets.interactions.service import find_interaction
from tickets.users.models import User

CALLER = Party("Local/s@sim-caller-00000001;1", "100.1", "13900007301", "张三丰")
# Extensions of their own: other tests commit users with the usual 100x extensions to the shared database.
AGENT = Party("Local/7301@agent-phones-00000002;1", "100.3", "7301", "")


def _ended(at: float, reason: str = "hangup") -> CallEnded:
    return CallEnded(
        call_id="100.1",
        at=at,
        caller=CALLER,
        dialed="4100",
        answered=True,
        answered_by=AGENT,
        hangup_cause=16,
        hangup_cause_text="Normal Clearing",
        bridged=((AGENT.channel, CALLER.channel),),
        channels=(),
        dtmf="",
        reason=reason,
        started_at=1000.0,
    )


def test_given_call_events_then_one_interaction_with_queue_agent_and_times(db_session: Session) -> None:
    customer = create_customer(db_session, data=CustomerCreate(display_name="张三丰", phones=["13900007301"]))
    db_session.add(
        User(
            username="rec_agent_7301",
            display_name="王小明",
            role="agent",
            password_hash="x",
            extension="7301",
        )
    )
    db_session.flush()

    apply_call_event(db_session, CallStarted("100.1", 1000.0, CALLER, "s", "inbound"))
    apply_call_event(db_session, CallQueued("100.1", 1001.0, "fallback", 1))
    apply_call_event(db_session, CallBridged("100.1", 1012.0, "b-1", (CALLER, AGENT)))
    apply_call_event(db_session, _ended(1072.0))
    apply_call_event(db_session, _ended(1072.0))  # replayed: changes nothing

    call = find_interaction(db_session, external_id="100.1")
    assert call is not None
    assert (call.customer_id, call.direction, call.address) == (customer.id, "inbound", "+8613900007301")
    assert (call.queue, call.agent) == ("fallback", "rec_agent_7301")
    assert (call.wait_seconds, call.talk_seconds, call.hangup_cause) == (12, 60, "Normal Clearing")


def test_given_only_the_end_of_a_call_then_it_is_recorded_with_the_resync_reason(db_session: Session) -> None:
    apply_call_event(db_session, _ended(1050.0, reason="resync"))
    call = find_interaction(db_session, external_id="100.1")
    assert call is not None and call.customer_id is None
    assert call.hangup_cause == "resync" and call.ended_at is not None


def test_given_an_agent_without_login_then_the_extension_is_recorded(db_session: Session) -> None:
    apply_call_event(db_session, CallStarted("100.1", 1000.0, CALLER, "s", "inbound"))
    apply_call_event(db_session, CallBridged("100.1", 1003.0, "b-1", (CALLER, AGENT)))
    call = find_interaction(db_session, external_id="100.1")
    assert call is not None and call.agent == "7301" and call.wait_seconds == 3


def test_given_a_call_from_an_agent_phone_then_it_is_outbound(db_session: Session) -> None:
    apply_call_event(db_session, CallStarted("200.1", 1000.0, AGENT, "13800138000", "agents"))
    call = find_interaction(db_session, external_id="200.1")
    assert call is not None and call.direction == "outbound"
    assert call.address == "+8613800138000"
