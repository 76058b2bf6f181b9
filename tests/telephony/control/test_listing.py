"""The live channel listing (CoreShowChannels) on the bundled PBX: where each channel runs now."""

from __future__ import annotations

import secrets

import pytest

from telephony.ami import AmiClient
from telephony.control import ApplicationTarget, DialplanTarget, list_channels, local_channel, originate
from tests.telephony.control.calls import hang_up_all, unique_extension

pytestmark = pytest.mark.pbx


async def test_a_channel_is_listed_with_the_context_it_runs_in_and_the_call_it_belongs_to(
        ami: AmiClient) -> None:
    channel_id = f"list-{secrets.token_hex(6)}"
    held = await originate(ami, "Local/s@sim-hold", DialplanTarget("sim-hold"), variables={"SIM_HOLD": "20"},
                           caller_id_number="13700001111", caller_id_name="Listed", channel_id=channel_id)
    phone = await originate(ami, local_channel(unique_extension(), "agent-phones"),
                            ApplicationTarget("Wait", "20"))
    try:
        everything = {c.channel: c for c in await list_channels(ami)}
        holding = {c.channel: c for c in await list_channels(ami, context="sim-hold")}
        mine = everything[held.channel]
        assert holding[held.channel] == mine
        assert (mine.uniqueid, mine.linkedid) == (channel_id, channel_id)
        assert (mine.context, mine.state) == ("sim-hold", "Up")
        assert (mine.caller_number, mine.caller_name) == ("13700001111", "Listed")
        assert mine.application in ("PlayTones", "Wait")
        assert everything[phone.channel].application == "Wait"  # the ;1 half of the phone's Local pair
        assert everything[phone.channel].context != "sim-hold"
        assert phone.channel not in holding
    finally:
        await hang_up_all(ami, held.channel, phone.channel)
