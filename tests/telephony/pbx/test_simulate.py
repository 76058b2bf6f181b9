"""The pure Originate/DBPut builders for simulated callers and agent phones."""

from __future__ import annotations

from typing import Any

import pytest

from telephony.pbx.simulate import agent_phone_actions, caller_originate, callerid, hold_originate


def test_caller_originate_sends_a_local_sim_caller_into_inbound_for_the_did() -> None:
    headers = caller_originate(
        "4000", number="13800138000", name="张三丰", dtmf="42#", delay=1.5, talk=5, action_id="a1"
    )
    assert headers == {
        "Action": "Originate",
        "Channel": "Local/s@sim-caller",
        "Context": "inbound",
        "Exten": "4000",
        "Priority": "1",
        "CallerID": '"张三丰" <13800138000>',
        "Timeout": "30000",
        "Variable": "SIM_DELAY=1.5,SIM_TALK=5,SIM_DTMF=42#",
        "Async": "true",
        "ActionID": "a1",
    }


def test_caller_without_dtmf_sets_no_sim_dtmf_and_no_action_id() -> None:
    headers = caller_originate("+861058000000", number="+8613900000000", name="")
    assert headers["Variable"] == "SIM_DELAY=1,SIM_TALK=5"
    assert headers["CallerID"] == "<+8613900000000>"
    assert "ActionID" not in headers


def test_hold_originate_is_a_plain_answered_call() -> None:
    headers = hold_originate(number="1001", name="Alice", hold=2.5)
    assert headers["Channel"] == "Local/s@sim-hold"
    assert (headers["Context"], headers["Exten"]) == ("sim-hold", "s")
    assert headers["Variable"] == "SIM_HOLD=2.5"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dtmf": "1,2"}, "dtmf"),
        ({"name": 'a"b'}, "caller name"),
        ({"name": "x\r\nAction: Logoff"}, "caller name"),
        ({"number": "12ab"}, "caller number"),
        ({"talk": -1}, "talk"),
        ({"action_id": "x\nEvil: 1"}, "action_id"),
    ],
)
def test_values_that_would_break_or_inject_ami_headers_are_refused(
    kwargs: dict[str, Any], message: str
) -> None:
    args = {"number": "100", "name": "n"} | kwargs
    with pytest.raises(ValueError, match=message):
        caller_originate("4000", **args)


@pytest.mark.parametrize("did", ["", "40 00", "4000\r\n", "a,b", "Inbound"])
def test_bad_did_is_refused(did: str) -> None:
    with pytest.raises(ValueError, match="did"):
        caller_originate(did, number="1", name="n")


def test_agent_phone_actions_are_astdb_puts() -> None:
    assert agent_phone_actions("1001", mode="busy", ring=2, talk=0.5, action_id_prefix="p") == [
        {"Action": "DBPut", "Family": "simphone", "Key": "1001/mode", "Val": "busy", "ActionID": "p-0"},
        {"Action": "DBPut", "Family": "simphone", "Key": "1001/ring", "Val": "2", "ActionID": "p-1"},
        {"Action": "DBPut", "Family": "simphone", "Key": "1001/talk", "Val": "0.5", "ActionID": "p-2"},
    ]
    with pytest.raises(ValueError, match="mode"):
        agent_phone_actions("1001", mode="sleep")


def test_callerid_passes_unicode_untouched() -> None:
    assert callerid("Zoë 张", "8001") == '"Zoë 张" <8001>'
