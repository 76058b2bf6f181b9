"""Simulated callers, agent phones and the [inbound] contract, on the real bundled Asterisk.

AMI is read with a raw socket (tests/telephony/pbx/rawami.py) so these tests check what Asterisk
itself sends, independently of our AMI client.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator

import pytest

from telephony.pbx.simulate import agent_phone_actions, caller_originate, hold_originate
from tests.fixtures.pbx import PbxHandle, hold_agi_port
from tests.telephony.pbx.rawami import Message, RawAmi

pytestmark = pytest.mark.pbx

NAME = "张三丰"


@pytest.fixture
def ami(pbx: PbxHandle) -> Iterator[RawAmi]:
    with RawAmi(pbx.ami_host, pbx.ami_port, pbx.ami_username, pbx.ami_secret) as client:
        yield client


def _originate(ami: RawAmi, headers: dict[str, str]) -> str:
    """Send an Originate and return the ;1 channel once Asterisk reports it placed."""
    reply = ami.action(headers)
    assert reply["Response"] == "Success", reply
    placed = ami.wait_event("OriginateResponse", timeout=20, ActionID=headers["ActionID"])
    assert placed["Response"] == "Success", placed
    return placed["Channel"]


def test_caller_name_in_chinese_reaches_ami_as_utf8(pbx: PbxHandle, ami: RawAmi) -> None:
    action_id = f"utf8-{uuid.uuid4().hex[:8]}"
    channel = _originate(
        ami,
        caller_originate(
            "4000", number="13800138000", name=NAME, context="test-dtmf", talk=0, action_id=action_id
        ),
    )
    hangup = ami.wait_event("Hangup", Channel=channel)
    assert hangup["CallerIDName"] == NAME
    assert hangup["CallerIDNum"] == "13800138000"


def test_dtmf_of_the_simulated_caller_reaches_the_inbound_side(pbx: PbxHandle, ami: RawAmi) -> None:
    action_id = f"dtmf-{uuid.uuid4().hex[:8]}"
    channel = _originate(
        ami,
        caller_originate(
            "4242",
            number="13800138001",
            name=NAME,
            dtmf="42#",
            delay=0.5,
            talk=3,
            action_id=action_id,
            context="test-dtmf",
        ),
    )
    assert channel.endswith(";1")
    read = ami.wait_event("UserEvent", UserEvent="CcTestDtmf", Channel=channel)
    assert (read["Digits"], read["Status"], read["Did"]) == ("42", "OK", "4242")
    digits = [m["Digit"] for m in ami.events if m.get("Event") == "DTMFEnd" and m.get("Channel") == channel]
    assert digits == ["4", "2", "#"]


def test_inbound_without_agi_server_falls_back_to_the_queue_and_rings_an_agent_phone(
    pbx: PbxHandle, ami: RawAmi
) -> None:
    with hold_agi_port(pbx, listen=False):  # port bound, nobody listening: AGI connect refused
        action_id = f"fb-{uuid.uuid4().hex[:8]}"
        channel = _originate(
            ami,
            caller_originate("4000", number="13800138002", name=NAME, talk=4, action_id=action_id),
        )
        joined = ami.wait_event("QueueCallerJoin", Channel=channel)
        assert (joined["Queue"], joined["CallerIDName"]) == ("fallback", NAME)
        called = ami.wait_event("AgentCalled", Channel=channel)
    assert called["Interface"].startswith("Local/100") and called["Interface"].endswith("@agent-phones")
    reason = ami.action({"Action": "Getvar", "Channel": channel, "Variable": "CC_FALLBACK_REASON"})
    assert reason["Value"] == "agi-FAILURE"
    # the caller's SIM_* variables stay with the caller: the agent phone's half does not see them
    phone = called["DestChannel"].replace(";1", ";2")
    leaked = ami.action({"Action": "Getvar", "Channel": phone, "Variable": "SIM_TALK"})
    assert leaked["Response"] == "Success" and leaked.get("Value", "") == ""
    connected = ami.wait_event("AgentConnect", Channel=channel)
    assert connected["Queue"] == "fallback"
    ami.wait_event("Hangup", Channel=channel, timeout=20)


def _serve_one_agi(server: socket.socket, commands: list[str], seen: dict[str, str]) -> None:
    """A minimal FastAGI peer for one call: read the agi_* environment, send commands, close."""
    conn, _ = server.accept()
    with conn:
        stream = conn.makefile("rwb")
        while line := stream.readline().decode("utf-8").rstrip("\n"):
            key, _, value = line.partition(": ")
            seen[key] = value
        for command in commands:
            stream.write(command.encode("utf-8") + b"\n")
            stream.flush()
            seen.setdefault("replies", "")
            seen["replies"] += stream.readline().decode("utf-8")


def _run_agi_call(pbx: PbxHandle, ami: RawAmi, did: str, commands: list[str]) -> tuple[str, dict[str, str]]:
    seen: dict[str, str] = {}
    with hold_agi_port(pbx, listen=True) as server:
        server.settimeout(20)
        worker = threading.Thread(target=_serve_one_agi, args=(server, commands, seen), daemon=True)
        worker.start()
        action_id = f"agi-{uuid.uuid4().hex[:8]}"
        channel = _originate(
            ami,
            caller_originate(
                did, number="13800138003", name=NAME, dtmf="77#", delay=1.5, action_id=action_id
            ),
        )
        worker.join(timeout=20)
    assert not worker.is_alive()
    return channel, seen


def test_inbound_passes_the_did_to_the_ivr_script_and_follows_cc_next(pbx: PbxHandle, ami: RawAmi) -> None:
    channel, seen = _run_agi_call(pbx, ami, "4100", ['SET VARIABLE CC_NEXT "test-dtmf,4100,1"'])
    assert seen["agi_network"] == "yes"
    # the call's id (its Linkedid: the caller's own Uniqueid here) travels with the DID
    assert seen["agi_network_script"] == f"ivr?did=4100&call={seen['agi_uniqueid']}"
    assert seen["agi_request"] == f"agi://{pbx.agi_host}:{pbx.agi_port}/ivr?did=4100&call={seen['agi_uniqueid']}"
    assert (seen["agi_extension"], seen["agi_context"]) == ("4100", "inbound")
    assert seen["agi_calleridname"] == NAME
    assert seen["replies"].startswith("200 result=1")
    read = ami.wait_event("UserEvent", UserEvent="CcTestDtmf", Channel=channel)
    assert read["Digits"] == "77"


def test_inbound_goes_to_the_fallback_queue_when_the_ivr_asks_for_it(pbx: PbxHandle, ami: RawAmi) -> None:
    channel, _ = _run_agi_call(pbx, ami, "4200", ["SET VARIABLE CC_FALLBACK 1"])
    joined = ami.wait_event("QueueCallerJoin", Channel=channel)
    assert joined["Queue"] == "fallback"
    reason = ami.action({"Action": "Getvar", "Channel": channel, "Variable": "CC_FALLBACK_REASON"})
    assert reason["Value"] == "requested"
    ami.action({"Action": "Hangup", "Channel": channel})
    ami.wait_event("Hangup", Channel=channel)


def test_inbound_falls_back_to_the_queue_when_the_ivr_returns_without_saying_the_call_is_finished(
    pbx: PbxHandle, ami: RawAmi
) -> None:
    channel, _ = _run_agi_call(pbx, ami, "4300", [])
    joined = ami.wait_event("QueueCallerJoin", Channel=channel)
    assert joined["Queue"] == "fallback"
    reason = ami.action({"Action": "Getvar", "Channel": channel, "Variable": "CC_FALLBACK_REASON"})
    assert reason["Value"] == "unfinished"
    ami.action({"Action": "Hangup", "Channel": channel})
    ami.wait_event("Hangup", Channel=channel)


@pytest.mark.parametrize("finished", ["done", "hangup"])
def test_inbound_hangs_up_when_the_ivr_says_the_call_is_finished(
    pbx: PbxHandle, ami: RawAmi, finished: str
) -> None:
    channel, _ = _run_agi_call(pbx, ami, "4310", [f"SET VARIABLE CC_NEXT {finished}"])
    hangup = ami.wait_event("Hangup", Channel=channel)
    assert not [m for m in ami.events if m.get("Event") == "QueueCallerJoin" and m.get("Channel") == channel]
    assert hangup["Cause"] == "16"


def test_inbound_falls_back_when_cc_next_names_a_place_that_does_not_exist(
    pbx: PbxHandle, ami: RawAmi
) -> None:
    channel, _ = _run_agi_call(pbx, ami, "4320", ['SET VARIABLE CC_NEXT "no-such-context,1,1"'])
    ami.wait_event("QueueCallerJoin", Channel=channel)
    reason = ami.action({"Action": "Getvar", "Channel": channel, "Variable": "CC_FALLBACK_REASON"})
    assert reason["Value"] == "bad-next"
    ami.action({"Action": "Hangup", "Channel": channel})
    ami.wait_event("Hangup", Channel=channel)


def _phone_call(ami: RawAmi, extension: str, timeout_ms: int = 10000) -> Message:
    action_id = f"phone-{uuid.uuid4().hex[:8]}"
    ami.action(
        {
            "Action": "Originate",
            "Channel": f"Local/{extension}@agent-phones",
            "Application": "Wait",
            "Data": "0.2",
            "Timeout": str(timeout_ms),
            "Async": "true",
            "ActionID": action_id,
        }
    )
    return ami.wait_event("OriginateResponse", timeout=20, ActionID=action_id)


@pytest.mark.parametrize(
    ("mode", "response", "reason"),
    [("answer", "Success", "4"), ("busy", "Failure", "5"), ("noanswer", "Failure", "3")],
)
def test_agent_phone_behaves_as_its_astdb_mode_says(
    pbx: PbxHandle, ami: RawAmi, mode: str, response: str, reason: str
) -> None:
    extension = "1999"  # not a member of the fallback queue
    for action in agent_phone_actions(extension, mode=mode, ring=0.5, talk=0.5):
        assert ami.action(action)["Response"] == "Success"
    try:
        placed = _phone_call(ami, extension, timeout_ms=3000)
    finally:
        ami.action({"Action": "DBDelTree", "Family": "simphone", "Key": extension})
    assert (placed["Response"], placed["Reason"]) == (response, reason)


def test_sim_hold_is_an_answered_call_that_hangs_up_after_the_hold_time(pbx: PbxHandle, ami: RawAmi) -> None:
    action_id = f"hold-{uuid.uuid4().hex[:8]}"
    channel = _originate(ami, hold_originate(number="8001", name=NAME, hold=1, action_id=action_id))
    up = ami.wait_event("Newstate", Channel=channel, ChannelStateDesc="Up")
    assert up["CallerIDName"] == NAME
    hangup = ami.wait_event("Hangup", Channel=channel, timeout=10)
    assert float(hangup["Timestamp"]) - float(up["Timestamp"]) >= 0.9
