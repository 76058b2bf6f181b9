"""Blind and attended transfer of a two-party call (Dial options t/T, features.conf atxfer *2)."""

from __future__ import annotations

import pytest

from telephony.ami import AmiClient
from telephony.control import (
    DialplanTarget,
    NotBridged,
    attended_transfer,
    blind_transfer,
    cancel_attended_transfer,
    hangup,
    originate,
)
from tests.telephony.control.calls import EventLog, hang_up_all, peer_of, two_party_call, unique_extension

pytestmark = pytest.mark.pbx


def _leg_of(extension: str) -> str:
    return f"Local/{extension}@agent-phones-"


async def test_blind_transfer_sends_the_agents_caller_to_another_phone(
    ami: AmiClient, events: EventLog
) -> None:
    call = await two_party_call(ami)
    target = unique_extension()
    try:
        result = await blind_transfer(ami, call.agent, exten=target, context="agent-phones")
        assert (result.transferer, result.exten) == (call.agent, target)
        done = await events.wait("BlindTransfer", TransfererChannel=call.agent)
        assert (done["Result"], done["TransfereeChannel"], done["Extension"]) == (
            "Success",
            call.caller,
            target,
        )
        await events.wait("Hangup", Channel=call.agent)
        # the caller now runs the target's dialplan: agent-phones/<target>
        await events.wait("Newexten", Channel=call.caller, Context="agent-phones", Extension=target)
    finally:
        await hang_up_all(ami, call.caller, call.agent)


async def test_blind_transfer_of_a_channel_in_no_bridge_raises_not_bridged(ami: AmiClient) -> None:
    lone = await originate(ami, "Local/s@sim-hold", DialplanTarget("sim-hold"), variables={"SIM_HOLD": "20"})
    try:
        with pytest.raises(NotBridged) as refused:
            await blind_transfer(ami, lone.channel, exten=unique_extension(), context="agent-phones")
        assert refused.value.error_id == "not-bridged"
    finally:
        await hang_up_all(ami, lone.channel)


async def test_attended_transfer_completed_by_the_transferer_hanging_up_connects_caller_and_target(
    ami: AmiClient, events: EventLog
) -> None:
    call = await two_party_call(ami)
    target = unique_extension()
    consult = ""
    try:
        await attended_transfer(ami, call.agent, exten=target, context="agent-phones")
        held = await events.wait("MusicOnHoldStart", Channel=call.caller)  # the caller waits
        assert held["Class"] == "default"
        dialled = await events.wait("Newchannel", where=lambda m: m["Channel"].startswith(_leg_of(target)))
        consult = dialled["Channel"]
        await events.wait(
            "BridgeEnter",
            where=lambda m: m["Channel"].startswith(_leg_of(target)) and m["Channel"].endswith(";1"),
        )
        await hangup(ami, call.agent)  # the agent completes by hanging up
        done = await events.wait("AttendedTransfer", OrigTransfererChannel=call.agent)
        assert done["Result"] == "Success"
        peer = await peer_of(ami, call.caller)
        assert peer.startswith(_leg_of(target)) and peer.endswith(";1")
        await events.wait("MusicOnHoldStop", Channel=call.caller)
    finally:
        await hang_up_all(ami, call.caller, call.agent, *([consult] if consult else []))


async def test_cancelled_attended_transfer_brings_the_agent_back_to_the_caller(
    ami: AmiClient, events: EventLog
) -> None:
    call = await two_party_call(ami)
    target = unique_extension()
    try:
        await attended_transfer(ami, call.agent, exten=target, context="agent-phones")
        await events.wait(
            "BridgeEnter",
            where=lambda m: m["Channel"].startswith(_leg_of(target)) and m["Channel"].endswith(";1"),
        )
        await cancel_attended_transfer(ami, call.agent)
        consult = await events.wait("Hangup", where=lambda m: m["Channel"].startswith(_leg_of(target)))
        assert consult["Channel"].startswith(_leg_of(target))
        await events.wait("MusicOnHoldStop", Channel=call.caller)
        assert await peer_of(ami, call.caller) == call.agent
        assert events.matching("AttendedTransfer", OrigTransfererChannel=call.agent) == []
    finally:
        await hang_up_all(ami, call.caller, call.agent)
