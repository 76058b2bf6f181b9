"""The ACD's event source: tracker and device facts from the bus in the ACD's words (pure; the core
is the real one). Device states from AMI ``DeviceStateChange`` (malformed ones skipped)."""

from __future__ import annotations

from callcenter.adapters.routing_events import RoutingEvents
from routing.core import RoutingCore
from routing.domain import AgentState, CallAttributes, DeviceState, RoutingConfig
from routing.events import CallEnded, CallEntered, CallerHungUp, DeviceStateChanged, LogIn, OfferAnswered
from telephony.ami import Message
from telephony.devices import DeviceStateChange, device_state_change
from telephony.tracker import CallEnded as TrackedCallEnded
from telephony.tracker import Party
from tests.routing.builders import agent, queue


def _core() -> RoutingCore:
    return RoutingCore(RoutingConfig(queues=(queue("q", wrapup_seconds=0),),
                                     agents=(agent("alice", ["q"], ext="4101"),)))


def _ended(call_id: str) -> TrackedCallEnded:
    party = Party(channel="Local/s@sim-hold-1;1", uniqueid=call_id, number="1", name="")
    return TrackedCallEnded(call_id=call_id, at=1.0, caller=party, dialed="s", answered=True,
                            answered_by=None, hangup_cause=16, hangup_cause_text="Normal Clearing",
                            bridged=(), channels=(), dtmf="")


def test_device_state_change_names_the_agent_extension_and_skips_malformed_events() -> None:
    local = device_state_change(Message("event", {"Event": "DeviceStateChange",
                                                  "Device": "Local/4101@agent-phones", "State": "INUSE"}))
    assert local == DeviceStateChange("Local/4101@agent-phones", "inuse", "4101")
    pjsip = device_state_change(Message("event", {"Device": "PJSIP/4102", "State": "NOT_INUSE"}))
    assert pjsip is not None and pjsip.extension == "4102"
    other = device_state_change(Message("event", {"Device": "Queue:fallback_avail", "State": "INUSE"}))
    assert other is not None and other.extension is None
    assert device_state_change(Message("event", {"Device": "PJSIP/4102", "State": "SIDEWAYS"})) is None
    assert device_state_change(Message("event", {"State": "INUSE"})) is None


def test_a_phone_going_idle_ends_its_agents_call_and_a_tracked_call_end_hangs_up_the_caller() -> None:
    core = _core()
    events = RoutingEvents([], core)
    core.handle(LogIn("alice"), 0.0)
    core.handle(CallEntered(CallAttributes(call_id="c1", queue="q")), 1.0)
    core.handle(OfferAnswered("c1", "alice"), 2.0)
    assert core.agents["alice"].state is AgentState.ON_CALL
    assert events.translate(DeviceStateChange("Local/4101@agent-phones", "inuse", "4101")) == [
        DeviceStateChanged("alice", DeviceState.INUSE)]
    assert events.translate(DeviceStateChange("Local/4101@agent-phones", "not_inuse", "4101")) == [
        CallEnded("c1"), DeviceStateChanged("alice", DeviceState.NOT_INUSE)]
    assert events.translate(_ended("c1")) == [CallerHungUp("c1")]
    assert events.translate(_ended("not-ours")) == []
    assert events.translate(DeviceStateChange("PJSIP/9999", "inuse", "9999")) == []


async def test_the_source_yields_the_translated_events_in_order() -> None:
    core = _core()
    core.handle(CallEntered(CallAttributes(call_id="c1", queue="q")), 1.0)
    source = RoutingEvents([object(), _ended("c1"), DeviceStateChange("PJSIP/4101", "busy", "4101")], core)
    assert [event async for event in source.events()] == [
        CallerHungUp("c1"), DeviceStateChanged("alice", DeviceState.BUSY)]
