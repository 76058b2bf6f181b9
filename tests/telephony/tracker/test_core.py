"""CallTracker transitions: start, answer, bridge, DTMF, hang-up, transfer, resync after reconnect."""

from __future__ import annotations

import logging

import pytest

from telephony.tracker import CallAnswered, CallBridged, CallEnded, CallStarted, CallTracker

NAME = "张三丰"


def chan(event: str, uid: str, name: str, linkedid: str, state: int = 4, **extra: str) -> dict[str, str]:
    return {
        "Event": event,
        "Channel": name,
        "ChannelState": str(state),
        "ChannelStateDesc": {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}.get(state, "?"),
        "CallerIDNum": extra.pop("num", "+8613800138000"),
        "CallerIDName": extra.pop("cid_name", NAME),
        "ConnectedLineNum": "<unknown>",
        "ConnectedLineName": "<unknown>",
        "Context": extra.pop("context", "inbound"),
        "Exten": extra.pop("exten", "4000"),
        "Uniqueid": uid,
        "Linkedid": linkedid,
        **extra,
    }


def simple_call(tracker: CallTracker) -> list[object]:
    out: list[object] = []
    out += tracker.feed(chan("Newchannel", "1.1", "PJSIP/caller-1", "1.1", 0), now=10.0)
    out += tracker.feed(chan("Newchannel", "1.2", "PJSIP/agent-2", "1.1", 0, num="8001", cid_name="Agent"))
    out += tracker.feed(chan("Newstate", "1.2", "PJSIP/agent-2", "1.1", 6, num="8001", cid_name="Agent"))
    out += tracker.feed(chan("Newstate", "1.1", "PJSIP/caller-1", "1.1", 6))
    for uid, name in (("1.1", "PJSIP/caller-1"), ("1.2", "PJSIP/agent-2")):
        out += tracker.feed(chan("BridgeEnter", uid, name, "1.1", 6, BridgeUniqueid="b-1"))
    return out


def test_given_a_simple_call_then_started_answered_bridged_ended() -> None:
    tracker = CallTracker()
    out = simple_call(tracker)
    out += tracker.feed(chan("DTMFEnd", "1.1", "PJSIP/caller-1", "1.1", 6, Digit="4", Direction="Received"))
    out += tracker.feed(chan("DTMFEnd", "1.1", "PJSIP/caller-1", "1.1", 6, Digit="9", Direction="Sent"))
    out += tracker.feed(chan("DTMFEnd", "1.1", "PJSIP/caller-1", "1.1", 6, Digit="2", Direction="Received"))
    out += tracker.feed(chan("Hangup", "1.2", "PJSIP/agent-2", "1.1", 6, Cause="16", **{"Cause-txt": "x"}))
    assert tracker.call("1.1") is not None and tracker.call("1.1").dtmf == "42"  # type: ignore[union-attr]
    out += tracker.feed(
        chan(
            "Hangup",
            "1.1",
            "PJSIP/caller-1",
            "1.1",
            6,
            Cause="16",
            Timestamp="20.5",
            **{"Cause-txt": "Normal Clearing"},
        )
    )
    kinds = [type(e).__name__ for e in out]
    assert kinds == ["CallStarted", "CallAnswered", "CallBridged", "CallEnded"]
    started, answered, bridged, ended = out
    assert isinstance(started, CallStarted) and started.caller.name == NAME and started.dialed == "4000"
    assert started.at == 10.0
    assert isinstance(answered, CallAnswered) and answered.answered_by.channel == "PJSIP/agent-2"
    assert isinstance(bridged, CallBridged) and bridged.bridge_id == "b-1"
    assert isinstance(ended, CallEnded)
    assert ended.caller.number == "+8613800138000" and ended.caller.name == NAME
    assert ended.answered and ended.hangup_cause == 16 and ended.hangup_cause_text == "Normal Clearing"
    assert ended.bridged == (("PJSIP/agent-2", "PJSIP/caller-1"),)
    assert ended.dtmf == "42" and ended.at == 20.5 and ended.reason == "hangup"
    assert [c.dtmf for c in ended.channels] == ["42", ""]
    assert tracker.live_calls == {}


def test_caller_going_up_alone_is_not_an_answer_and_unknown_ids_are_empty() -> None:
    tracker = CallTracker()
    tracker.feed(chan("Newchannel", "2.1", "PJSIP/c-1", "2.1", 0, cid_name="<unknown>"))
    tracker.feed(chan("Newstate", "2.1", "PJSIP/c-1", "2.1", 6, cid_name="<unknown>"))
    out = tracker.feed(
        chan(
            "Hangup",
            "2.1",
            "PJSIP/c-1",
            "2.1",
            6,
            cid_name="<unknown>",
            Cause="0",
            **{"Cause-txt": "Unknown"},
        )
    )
    assert isinstance(out[0], CallEnded) and not out[0].answered and out[0].caller.name == ""


def test_a_phone_going_up_answers_only_once_it_is_bridged_with_the_caller() -> None:
    tracker = CallTracker()
    caller, agent = "Local/s@sim-caller-00000001;", "Local/1001@agent-phones-00000002;"
    tracker.feed(chan("Newchannel", "3.1", caller + "1", "3.1", 0))
    tracker.feed(chan("Newchannel", "3.2", caller + "2", "3.1", 4))
    assert tracker.feed(chan("Newstate", "3.2", caller + "2", "3.1", 6)) == []
    tracker.feed(chan("Newchannel", "3.3", agent + "1", "3.1", 0))
    tracker.feed(chan("Newchannel", "3.4", agent + "2", "3.1", 4))
    out = tracker.feed(chan("Newstate", "3.3", agent + "1", "3.1", 6))
    assert out == []  # up, but talking to nobody yet
    out = tracker.feed(chan("BridgeEnter", "3.3", agent + "1", "3.1", 6, BridgeUniqueid="b"))
    out += tracker.feed(chan("BridgeEnter", "3.1", caller + "1", "3.1", 6, BridgeUniqueid="b"))
    assert [type(e) for e in out] == [CallStarted, CallAnswered, CallBridged]
    assert isinstance(out[1], CallAnswered) and out[1].answered_by.channel == agent + "1"
    view = tracker.call_of_channel(agent + "1")
    assert view is not None and [(leg.a.channel, leg.b.channel, leg.end) for leg in view.legs] == [
        (caller + "1", agent + "1", None)
    ]
    assert tracker.call_of_extension("1001") == view == tracker.call_of_channel("3.2")
    assert tracker.call_of_extension("1002") is None and tracker.call_of_channel("nope") is None


def test_rename_and_callerid_updates_show_in_the_end_event() -> None:
    tracker = CallTracker()
    tracker.feed(chan("Newchannel", "4.1", "PJSIP/a-1", "4.1", 0, cid_name=""))
    tracker.feed(chan("NewCallerid", "4.1", "PJSIP/a-1", "4.1", 4, cid_name=NAME))
    tracker.feed(
        {"Event": "Rename", "Channel": "PJSIP/a-1", "Newname": "PJSIP/a-1<ZOMBIE>", "Uniqueid": "4.1"}
    )
    (ended,) = tracker.feed(chan("Hangup", "4.1", "PJSIP/a-1<ZOMBIE>", "4.1", 4, Cause="17"))
    assert isinstance(ended, CallEnded)
    assert ended.caller.name == NAME and ended.caller.channel == "PJSIP/a-1<ZOMBIE>"


def test_events_after_hangup_do_not_resurrect_a_channel() -> None:
    tracker = CallTracker()
    tracker.feed(chan("Newchannel", "5.1", "PJSIP/a-1", "5.1", 0))
    tracker.feed(chan("Hangup", "5.1", "PJSIP/a-1", "5.1", 0, Cause="16"))
    assert tracker.feed(chan("Newstate", "5.1", "PJSIP/a-1", "5.1", 6)) == []
    assert tracker.live_calls == {}


def test_a_failing_subscriber_is_logged_and_others_still_get_events(caplog: pytest.LogCaptureFixture) -> None:
    tracker = CallTracker()
    got: list[object] = []

    def broken(event: object) -> None:
        raise RuntimeError("boom")

    tracker.subscribe(broken)
    unsubscribe = tracker.subscribe(got.append)
    with caplog.at_level(logging.ERROR):
        tracker.feed(chan("Newchannel", "6.1", "PJSIP/a-1", "6.1", 4))
    assert len(got) == 1 and "boom" in caplog.text
    unsubscribe()
    tracker.feed(chan("Hangup", "6.1", "PJSIP/a-1", "6.1", 0))
    assert len(got) == 1


def snapshot_item(uid: str, name: str, linkedid: str, state: int = 6, bridge: str = "") -> dict[str, str]:
    item = chan("CoreShowChannel", uid, name, linkedid, state, BridgeId=bridge, Application="AppQueue")
    item["ActionID"] = "x-1"
    return item


class TestResync:
    def test_calls_missing_from_the_snapshot_end_with_reason_resync(self) -> None:
        tracker = CallTracker()
        simple_call(tracker)
        tracker.feed(chan("Newchannel", "7.1", "PJSIP/other-1", "7.1", 0))
        tracker.mark()
        out = tracker.resync([snapshot_item("7.1", "PJSIP/other-1", "7.1", 4)], now=50.0)
        # 7.1 leaves Down in the snapshot, so it is announced now; 1.1 is gone
        assert [(type(e), e.call_id) for e in out] == [(CallStarted, "7.1"), (CallEnded, "1.1")]
        ended = out[1]
        assert isinstance(ended, CallEnded)
        assert ended.call_id == "1.1" and ended.reason == "resync" and ended.hangup_cause is None
        assert ended.answered and ended.at == 50.0
        assert list(tracker.live_calls) == ["7.1"]

    def test_known_calls_in_the_snapshot_are_not_duplicated(self) -> None:
        tracker = CallTracker()
        simple_call(tracker)
        tracker.mark()
        out = tracker.resync(
            [
                snapshot_item("1.1", "PJSIP/caller-1", "1.1", bridge="b-1"),
                snapshot_item("1.2", "PJSIP/agent-2", "1.1", bridge="b-1"),
            ]
        )
        assert out == []
        assert list(tracker.live_calls) == ["1.1"]
        assert len(tracker.live_calls["1.1"].channels) == 2

    def test_unknown_calls_in_the_snapshot_are_adopted_with_their_bridge(self) -> None:
        tracker = CallTracker()
        tracker.mark()
        out = tracker.resync(
            [
                snapshot_item("8.1", "PJSIP/c-1", "8.1", bridge="b-9"),
                snapshot_item("8.2", "PJSIP/agent-2", "8.1", bridge="b-9"),
            ]
        )
        assert [type(e) for e in out] == [CallStarted, CallAnswered, CallBridged]
        started = out[0]
        assert isinstance(started, CallStarted) and started.resynced and started.caller.name == NAME
        out = tracker.feed(chan("Hangup", "8.1", "PJSIP/c-1", "8.1", 6, Cause="16"))
        out += tracker.feed(chan("Hangup", "8.2", "PJSIP/agent-2", "8.1", 6, Cause="16"))
        assert isinstance(out[-1], CallEnded) and out[-1].bridged == (("PJSIP/agent-2", "PJSIP/c-1"),)

    def test_calls_seen_live_after_the_mark_survive_a_snapshot_taken_before_them(self) -> None:
        tracker = CallTracker()
        tracker.mark()
        tracker.feed(chan("Newchannel", "9.1", "PJSIP/new-1", "9.1", 0))  # started after the snapshot
        assert tracker.resync([]) == []
        assert list(tracker.live_calls) == ["9.1"]

    def test_channels_hung_up_after_the_mark_are_not_revived_by_the_snapshot(self) -> None:
        tracker = CallTracker()
        simple_call(tracker)
        tracker.mark()
        tracker.feed(chan("Hangup", "1.2", "PJSIP/agent-2", "1.1", 6, Cause="16"))
        out = tracker.resync(
            [snapshot_item("1.1", "PJSIP/caller-1", "1.1"), snapshot_item("1.2", "PJSIP/agent-2", "1.1")]
        )
        assert out == []
        assert [p.channel for p in tracker.live_calls["1.1"].channels] == ["PJSIP/caller-1"]


def test_given_a_caller_joins_an_app_queue_then_call_queued_names_queue_and_position() -> None:
    from telephony.tracker import CallQueued

    tracker = CallTracker()
    tracker.feed(chan("Newchannel", "7.1", "Local/s@sim-caller-0001;1", "7.1", 0), now=5.0)
    out = tracker.feed(
        chan(
            "QueueCallerJoin",
            "7.1",
            "Local/s@sim-caller-0001;1",
            "7.1",
            6,
            Queue="fallback",
            Position="2",
            Count="2",
        )
    )
    assert [(e.queue, e.position) for e in out if isinstance(e, CallQueued)] == [("fallback", 2)]
    assert isinstance(out[0], CallStarted)  # never a CallQueued before its call started
    assert isinstance(out[1], CallQueued) and out[1].call_id == "7.1"
    assert tracker.feed(chan("QueueCallerJoin", "9.9", "PJSIP/x-1", "", 6, Queue="q")) == []


class TestResyncStaleChannels:
    def test_a_channel_gone_during_the_outage_is_dropped_even_when_its_call_showed_life(self) -> None:
        tracker = CallTracker()
        simple_call(tracker)
        tracker.mark()
        # The caller's channel speaks between the login and the snapshot; the agent's hung up unseen.
        tracker.feed(chan("Newexten", "1.1", "PJSIP/caller-1", "1.1", 6))
        assert tracker.resync([snapshot_item("1.1", "PJSIP/caller-1", "1.1")]) == []
        assert [p.channel for p in tracker.live_calls["1.1"].channels] == ["PJSIP/caller-1"]
        out = tracker.feed(chan("Hangup", "1.1", "PJSIP/caller-1", "1.1", 6, Cause="16"))
        assert [type(e) for e in out] == [CallEnded] and tracker.live_calls == {}

    def test_hangups_are_remembered_for_the_resync_window_only(self) -> None:
        tracker = CallTracker()
        for n in range(50):
            uid = f"{n}.1"
            tracker.feed(chan("Newchannel", uid, f"PJSIP/c-{n}", uid, 4))
            tracker.feed(chan("Hangup", uid, f"PJSIP/c-{n}", uid, 4, Cause="16"))
        assert len(tracker._ended_since_mark) == 0  # no reconnect: nothing to remember for one
        tracker.mark()
        tracker.feed(chan("Newchannel", "x.1", "PJSIP/x-1", "x.1", 4))
        tracker.feed(chan("Hangup", "x.1", "PJSIP/x-1", "x.1", 4, Cause="16"))
        assert tracker.resync([snapshot_item("x.1", "PJSIP/x-1", "x.1")]) == []
        assert tracker.live_calls == {} and len(tracker._ended_since_mark) == 0
