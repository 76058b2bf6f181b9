"""ChanSpy listen / whisper / barge from a supervisor's phone, on a two-party call."""

from __future__ import annotations

import pytest

from telephony.ami import AmiClient
from telephony.control import NoSuchChannel, SpyMode, hangup, local_channel, spy
from tests.fixtures.pbx import PbxHandle
from tests.telephony.control.calls import (
    EventLog,
    channels_concise,
    hang_up_all,
    two_party_call,
    unique_extension,
)

pytestmark = pytest.mark.pbx


@pytest.mark.parametrize(
    ("mode", "options"), [(SpyMode.LISTEN, "qE"), (SpyMode.WHISPER, "qwE"), (SpyMode.BARGE, "qBE")]
)
async def test_supervisor_phone_spies_on_the_agent_leg_in_the_mode_asked(
    ami: AmiClient, events: EventLog, pbx: PbxHandle, mode: SpyMode, options: str
) -> None:
    call = await two_party_call(ami)
    supervisor = unique_extension()
    spyer = ""
    try:
        spying = await spy(ami, local_channel(supervisor, "agent-phones"), call.agent, mode=mode)
        spyer = spying.spyer
        assert spying.spyer.startswith(f"Local/{supervisor}@agent-phones-")
        assert (spying.spyee, spying.mode) == (call.agent, mode)
        start = await events.wait("ChanSpyStart", SpyerChannel=spying.spyer)
        assert start["SpyeeChannel"] == call.agent
        assert start["SpyeeUniqueid"] == spying.spyee_uniqueid
        rows = {row[0]: row for row in await channels_concise(pbx.cli)}
        assert rows[spying.spyer][5:7] == ["ChanSpy", f"{call.agent},{options}"]
        await hangup(ami, spying.spyer)
        await events.wait("ChanSpyStop", SpyerChannel=spying.spyer)
    finally:
        await hang_up_all(ami, call.caller, call.agent, *([spyer] if spyer else []))


async def test_spy_on_a_channel_that_is_gone_raises_no_such_channel_before_ringing_anyone(
    ami: AmiClient, events: EventLog
) -> None:
    supervisor = unique_extension()
    with pytest.raises(NoSuchChannel):
        await spy(ami, local_channel(supervisor, "agent-phones"), "Local/1001@agent-phones-ffffffff;1")
    assert not [m for m in events.matching("Newchannel") if m["Channel"].startswith(f"Local/{supervisor}@")]
