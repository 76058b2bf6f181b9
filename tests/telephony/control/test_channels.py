"""Hang-up with a cause, redirect of one leg or both, and bridging two channels, on the bundled PBX."""

from __future__ import annotations

import pytest

from telephony.ami import AmiClient
from telephony.control import (
    DialplanTarget,
    NoSuchChannel,
    bridge,
    get_variable,
    hangup,
    local_channel,
    originate,
    redirect,
)
from tests.fixtures.pbx import PbxHandle
from tests.telephony.control.calls import (
    EventLog,
    channels_concise,
    hang_up_all,
    two_party_call,
    unique_extension,
)

pytestmark = pytest.mark.pbx


async def _answered(ami: AmiClient) -> str:
    """An answered channel waiting in [sim-hold]."""
    placed = await originate(
        ami, "Local/s@sim-hold", DialplanTarget("sim-hold"), variables={"SIM_HOLD": "30"}
    )
    return placed.channel


async def test_hangup_with_a_cause_ends_the_channel_with_that_cause(ami: AmiClient, events: EventLog) -> None:
    channel = await _answered(ami)
    result = await hangup(ami, channel, cause=21)
    assert result.cause == 21
    ended = await events.wait("Hangup", Channel=channel)
    assert ended["Cause"] == "21"


async def test_hangup_of_a_channel_that_is_gone_raises_no_such_channel(ami: AmiClient) -> None:
    with pytest.raises(NoSuchChannel) as gone:
        await hangup(ami, "Local/s@sim-hold-ffffffff;1")
    assert gone.value.error_id == "no-such-channel"


async def test_redirect_sends_one_channel_to_the_place_given(ami: AmiClient, events: EventLog) -> None:
    channel = await _answered(ami)
    try:
        extension = unique_extension()
        moved = await redirect(ami, channel, DialplanTarget("test-dtmf", extension))
        assert moved.extra_channel is None
        entered = await events.wait("Newexten", Channel=channel, Context="test-dtmf")
        assert entered["Extension"] == extension
    finally:
        await hang_up_all(ami, channel)


async def test_redirect_with_an_extra_channel_moves_both_legs_of_a_call_out_of_their_bridge(
    ami: AmiClient, events: EventLog
) -> None:
    call = await two_party_call(ami)
    try:
        await redirect(
            ami,
            call.caller,
            DialplanTarget("cc-holding"),
            extra_channel=call.agent,
            extra_target=DialplanTarget("sim-hold"),
        )
        await events.wait("Newexten", Channel=call.caller, Context="cc-holding")
        await events.wait("Newexten", Channel=call.agent, Context="sim-hold")
        assert events.matching("BridgeLeave", Channel=call.caller)
        assert events.matching("BridgeLeave", Channel=call.agent)
        assert (await get_variable(ami, "BRIDGEPEER", channel=call.caller)).value == ""
        assert events.matching("Hangup", Channel=call.agent) == []  # both legs still up
    finally:
        await hang_up_all(ami, call.caller, call.agent)


async def test_redirect_of_a_channel_that_is_gone_raises_no_such_channel(ami: AmiClient) -> None:
    with pytest.raises(NoSuchChannel):
        await redirect(ami, "Local/s@sim-hold-ffffffff;1", DialplanTarget("sim-hold"))


async def test_bridge_connects_two_answered_channels(
    ami: AmiClient, events: EventLog, pbx: PbxHandle
) -> None:
    first = await _answered(ami)
    second = (
        await originate(ami, local_channel(unique_extension(), "agent-phones"), DialplanTarget("sim-hold"))
    ).channel
    try:
        await bridge(ami, first, second)
        entered = await events.wait("BridgeEnter", Channel=first)
        other = await events.wait("BridgeEnter", Channel=second, BridgeUniqueid=entered["BridgeUniqueid"])
        assert other["BridgeUniqueid"] == entered["BridgeUniqueid"]
        assert (await get_variable(ami, "BRIDGEPEER", channel=first)).value == second
        rows = {row[0]: row for row in await channels_concise(pbx.cli)}
        assert rows[first][12] == rows[second][12] == entered["BridgeUniqueid"]  # concise: 13th field
    finally:
        await hang_up_all(ami, first, second)


async def test_bridge_with_a_channel_that_is_gone_raises_no_such_channel(ami: AmiClient) -> None:
    channel = await _answered(ami)
    try:
        with pytest.raises(NoSuchChannel):
            await bridge(ami, channel, "Local/s@sim-hold-ffffffff;1")
    finally:
        await hang_up_all(ami, channel)
