"""Hold with music on hold and resume, on a two-party call of the bundled PBX."""

from __future__ import annotations

import pytest

from telephony.ami import AmiClient
from telephony.control import DialplanTarget, NotBridged, get_variable, hold, originate, resume
from tests.telephony.control.calls import EventLog, hang_up_all, peer_of, two_party_call

pytestmark = pytest.mark.pbx


async def test_hold_plays_music_to_the_held_party_and_parks_the_holder_in_silence(
    ami: AmiClient, events: EventLog
) -> None:
    call = await two_party_call(ami)
    try:
        held = await hold(ami, call.caller)
        assert (held.channel, held.holder, held.moh_class) == (call.caller, call.agent, "default")
        music = await events.wait("MusicOnHoldStart", Channel=call.caller)
        assert music["Class"] == "default"
        await events.wait("Newexten", Channel=call.agent, Context="cc-holding")
        assert (await get_variable(ami, "BRIDGEPEER", channel=call.caller)).value == ""
        assert events.matching("MusicOnHoldStart", Channel=call.agent) == []
        assert events.matching("Hangup", Channel=call.agent) == []
    finally:
        await hang_up_all(ami, call.caller, call.agent)


async def test_resume_stops_the_music_and_reconnects_the_two_parties(
    ami: AmiClient, events: EventLog
) -> None:
    call = await two_party_call(ami)
    try:
        held = await hold(ami, call.caller)
        resumed = await resume(ami, held.channel, holder=held.holder)
        assert (resumed.channel, resumed.holder) == (call.caller, call.agent)
        await events.wait("MusicOnHoldStop", Channel=call.caller)
        assert await peer_of(ami, call.caller) == call.agent
        first = events.matching("BridgeEnter", Channel=call.caller)[0]["BridgeUniqueid"]
        again = await events.wait(
            "BridgeEnter", Channel=call.caller, where=lambda m: m["BridgeUniqueid"] != first
        )
        await events.wait("BridgeEnter", Channel=call.agent, BridgeUniqueid=again["BridgeUniqueid"])
    finally:
        await hang_up_all(ami, call.caller, call.agent)


async def test_hold_of_a_channel_talking_to_nobody_raises_not_bridged(ami: AmiClient) -> None:
    lone = await originate(ami, "Local/s@sim-hold", DialplanTarget("sim-hold"), variables={"SIM_HOLD": "20"})
    try:
        with pytest.raises(NotBridged):
            await hold(ami, lone.channel)
    finally:
        await hang_up_all(ami, lone.channel)
