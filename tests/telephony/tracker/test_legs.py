"""Legs, answers and merges on hand-written event sequences (the shapes the recordings do not have)."""

from __future__ import annotations

from telephony.tracker import CallAnswered, CallEnded, CallEvent, CallTracker
from tests.telephony.tracker.test_core import chan


def feed(tracker: CallTracker, *events: dict[str, str]) -> list[CallEvent]:
    out: list[CallEvent] = []
    for n, event in enumerate(events):
        out += tracker.feed(event, now=float(len(out) + n))
    return out


def test_a_forwarded_call_is_answered_by_the_forward_target_through_its_local_leg() -> None:
    """Caller dials 200, which forwards (a 302): app_dial drops 200 and dials Local/300@forward,
    whose other half dials PJSIP/300. The call is answered by PJSIP/300, not by the Local leg."""
    tracker = CallTracker()
    caller, old = "PJSIP/100-00000001", "PJSIP/200-00000002"
    fwd1, fwd2, new = "Local/300@forward-00000003;1", "Local/300@forward-00000003;2", "PJSIP/300-00000004"
    out = feed(
        tracker,
        chan("Newchannel", "c", caller, "c", 4, num="100"),
        chan("Newchannel", "o", old, "c", 0, num="200"),
        {"Event": "DialBegin", "Uniqueid": "c", "DestUniqueid": "o", "Linkedid": "c"},
        chan("Newstate", "o", old, "c", 5, num="200"),
        chan("Hangup", "o", old, "c", 5, num="200", Cause="16"),  # forwarded away
        chan("Newchannel", "f1", fwd1, "c", 0, num="300"),
        chan("Newchannel", "f2", fwd2, "c", 4, num="100"),
        {"Event": "DialBegin", "Uniqueid": "c", "DestUniqueid": "f1", "Linkedid": "c"},
        chan("Newchannel", "n", new, "c", 0, num="300"),
        {"Event": "DialBegin", "Uniqueid": "f2", "DestUniqueid": "n", "Linkedid": "c"},
        chan("Newstate", "n", new, "c", 6, num="300"),
        chan("Newstate", "f2", fwd2, "c", 6, num="100"),
        chan("Newstate", "f1", fwd1, "c", 6, num="300"),
        chan("Newstate", "c", caller, "c", 6, num="100"),
        chan("BridgeEnter", "n", new, "c", 6, num="300", BridgeUniqueid="b2"),
        chan("BridgeEnter", "f2", fwd2, "c", 6, num="100", BridgeUniqueid="b2"),
        chan("BridgeEnter", "f1", fwd1, "c", 6, num="300", BridgeUniqueid="b1"),
        chan("BridgeEnter", "c", caller, "c", 6, num="100", BridgeUniqueid="b1"),
        chan("Hangup", "n", new, "c", 6, num="300", Cause="16"),
        chan("Hangup", "f2", fwd2, "c", 6, num="100", Cause="16"),
        chan("Hangup", "f1", fwd1, "c", 6, num="300", Cause="16"),
        chan("Hangup", "c", caller, "c", 6, num="100", Cause="16"),
    )
    answered = [e for e in out if isinstance(e, CallAnswered)]
    assert [e.answered_by.channel for e in answered] == [new]
    (ended,) = [e for e in out if isinstance(e, CallEnded)]
    assert [(leg.a.channel, leg.b.channel) for leg in ended.legs] == [(caller, new)]


def test_a_leg_whose_new_linkedid_shows_first_on_bridge_leave_moves_and_its_call_merges() -> None:
    """A picking phone (its own call p) is bridged with the caller's call c; Asterisk reports its
    new Linkedid first on BridgeLeave. The picker's call merges into the caller's, once."""
    tracker = CallTracker()
    caller, picker, phone = "PJSIP/100-1", "Local/300@agent-phones-2;1", "Local/300@agent-phones-2;2"
    out = feed(
        tracker,
        chan("Newchannel", "c", caller, "c", 6, num="100"),
        chan("Newchannel", "p1", picker, "p", 6, num=""),
        chan("Newchannel", "p2", phone, "p", 6, num=""),
        chan("BridgeEnter", "p1", picker, "p", 6, num="", BridgeUniqueid="b"),
        chan("BridgeEnter", "c", caller, "c", 6, num="100", BridgeUniqueid="b"),
        chan("Hangup", "p2", phone, "p", 6, num="", Cause="16"),
        chan("BridgeLeave", "p1", picker, "c", 6, num="", BridgeUniqueid="b"),
        chan("Hangup", "p1", picker, "c", 6, num="", Cause="16"),
        chan("Hangup", "c", caller, "c", 6, num="100", Cause="16"),
    )
    ended = {e.call_id: e for e in out if isinstance(e, CallEnded)}
    assert (ended["p"].reason, ended["p"].merged_into) == ("merged", "c")
    assert (ended["c"].reason, ended["c"].merged_calls) == ("hangup", ("p",))
    assert ended["c"].answered_by is not None and ended["c"].answered_by.channel == picker
    assert [e.call_id for e in out if isinstance(e, CallEnded)] == ["p", "c"]
    assert len(ended["c"].channels) == 2  # the caller and the picker, which moved in


def test_a_phone_ringing_inside_a_bridge_talks_to_nobody_until_it_is_up() -> None:
    """An attended transfer's target rings inside the transferer's new bridge."""
    tracker = CallTracker()
    agent, target, target2 = "PJSIP/200-1", "Local/300@agent-phones-2;1", "Local/300@agent-phones-2;2"
    feed(
        tracker,
        chan("Newchannel", "a", agent, "a", 6, num="200"),
        chan("Newchannel", "t1", target, "a", 0, num="300"),
        chan("Newchannel", "t2", target2, "a", 4, num="200"),
        chan("BridgeEnter", "t1", target, "a", 0, num="300", BridgeUniqueid="x"),
        chan("BridgeEnter", "a", agent, "a", 6, num="200", BridgeUniqueid="x"),
    )
    view = tracker.call("a")
    assert view is not None and view.legs == () and not view.answered
    feed(tracker, chan("Newstate", "t1", target, "a", 6, num="300"))
    view = tracker.call("a")
    assert view is not None and [(leg.a.channel, leg.b.channel) for leg in view.legs] == [(agent, target)]
    assert [p.channel for p in view.parties] == [agent, target]


def test_a_pair_that_reconnects_before_talking_to_anyone_else_keeps_one_leg() -> None:
    """Local channel optimisation moves a phone from one bridge to another in two steps."""
    tracker = CallTracker()
    caller, phone = "PJSIP/100-1", "PJSIP/200-2"
    out = feed(
        tracker,
        chan("Newchannel", "c", caller, "c", 6, num="100"),
        chan("Newchannel", "p", phone, "c", 6, num="200"),
        chan("BridgeEnter", "c", caller, "c", 6, num="100", BridgeUniqueid="one"),
        chan("BridgeEnter", "p", phone, "c", 6, num="200", BridgeUniqueid="one"),
        chan("BridgeLeave", "p", phone, "c", 6, num="200", BridgeUniqueid="one"),
        chan("BridgeLeave", "c", caller, "c", 6, num="100", BridgeUniqueid="one"),
        chan("BridgeEnter", "c", caller, "c", 6, num="100", BridgeUniqueid="two"),
        chan("BridgeEnter", "p", phone, "c", 6, num="200", BridgeUniqueid="two"),
        chan("Hangup", "p", phone, "c", 6, num="200", Cause="16"),
        chan("Hangup", "c", caller, "c", 6, num="100", Cause="16"),
    )
    (ended,) = [e for e in out if isinstance(e, CallEnded)]
    assert len(ended.legs) == 1 and ended.legs[0].bridge_id == "one"
    assert ended.legs[0].start is not None and ended.legs[0].end is not None


def test_members_of_a_holding_bridge_do_not_talk_to_each_other() -> None:
    tracker = CallTracker()
    feed(
        tracker,
        chan("Newchannel", "a", "PJSIP/a-1", "a", 6),
        chan("Newchannel", "b", "PJSIP/b-1", "b", 6),
        chan(
            "BridgeEnter", "a", "PJSIP/a-1", "a", 6, BridgeUniqueid="park", BridgeTechnology="holding_bridge"
        ),
        chan(
            "BridgeEnter", "b", "PJSIP/b-1", "b", 6, BridgeUniqueid="park", BridgeTechnology="holding_bridge"
        ),
    )
    assert all(view.legs == () and not view.answered for view in tracker.live_calls.values())


def test_a_restricted_presentation_is_carried_on_the_party() -> None:
    tracker = CallTracker()
    out = feed(
        tracker,
        chan("Newchannel", "c", "PJSIP/c-1", "c", 4, num="100"),
        chan("NewCallerid", "c", "PJSIP/c-1", "c", 4, num="100", **{"CID-CallingPres": "35 (Prohibited)"}),
        chan("Hangup", "c", "PJSIP/c-1", "c", 4, num="100", Cause="16"),
    )
    assert out[0].caller.restricted is False  # type: ignore[union-attr]
    ended = out[-1]
    assert isinstance(ended, CallEnded) and ended.caller.restricted and ended.caller.number == "100"


def test_after_a_resync_a_local_half_whose_other_half_still_dials_is_no_party() -> None:
    """The snapshot has no DialBegin: the other half's Application (Dial) tells it is a link."""
    tracker = CallTracker()
    tracker.mark()
    leg1, leg2 = "Local/300@fwd-00000001;1", "Local/300@fwd-00000001;2"
    snapshot = [
        chan("CoreShowChannel", "c", "PJSIP/100-1", "c", 6, BridgeId="b", Application="Dial"),
        chan("CoreShowChannel", "l1", leg1, "c", 6, BridgeId="b", Application="AppDial"),
        chan("CoreShowChannel", "l2", leg2, "c", 6, BridgeId="", Application="Dial"),
    ]
    tracker.resync(snapshot, now=1.0)
    view = tracker.call("c")
    assert view is not None and view.legs == () and not view.answered


def test_the_current_call_of_an_extension_is_the_one_it_talks_in_not_a_newer_ringing_one() -> None:
    tracker = CallTracker()
    feed(
        tracker,
        chan("Newchannel", "x", "PJSIP/customer-1", "x", 6, num="100"),
        chan("Newchannel", "a", "PJSIP/4101-0000000a", "x", 6, num="4101"),
        chan("BridgeEnter", "x", "PJSIP/customer-1", "x", 6, num="100", BridgeUniqueid="b"),
        chan("BridgeEnter", "a", "PJSIP/4101-0000000a", "x", 6, num="4101", BridgeUniqueid="b"),
        chan("Newchannel", "y", "PJSIP/customer-2", "y", 4, num="200"),
        chan("Newchannel", "r", "PJSIP/4101-0000000b", "y", 5, num="4101"),  # call waiting: rings
    )
    talking = tracker.call_of_extension("4101")
    assert talking is not None and talking.call_id == "x"
    assert [p.channel for p in talking.parties] == ["PJSIP/customer-1", "PJSIP/4101-0000000a"]
    feed(tracker, chan("Hangup", "a", "PJSIP/4101-0000000a", "x", 6, num="4101", Cause="16"))
    ringing = tracker.call_of_extension("4101")
    assert ringing is not None and ringing.call_id == "y"
    assert tracker.call_of_channel("PJSIP/4101-0000000b") == ringing == tracker.call_of_channel("r")
