"""The bundled PBX's phones: a ringing agent phone can be picked up (directed and group pickup),
and the simulated phones send audio (their tones end up in a MixMonitor recording)."""

from __future__ import annotations

import array
import secrets
import wave

import pytest

from telephony.ami import AmiClient
from telephony.control import (
    DialplanTarget,
    db_delete,
    db_put,
    local_channel,
    originate,
)
from tests.fixtures.pbx import PbxHandle
from tests.telephony.control.calls import (
    EventLog,
    hang_up_all,
    peer_of,
    poll,
    two_party_call,
    unique_extension,
)

pytestmark = pytest.mark.pbx


@pytest.mark.parametrize("how", ["directed", "group"])
async def test_a_ringing_agent_phone_is_answered_by_the_phone_that_picks_it_up(
    ami: AmiClient, events: EventLog, how: str
) -> None:
    ringing, picker = unique_extension(), unique_extension()
    await db_put(ami, "simphone", f"{ringing}/mode", "noanswer")
    channels: list[str] = []
    try:
        caller = await originate(
            ami, "Local/s@sim-hold", DialplanTarget("sim-call", ringing), variables={"SIM_HOLD": "30"}
        )
        channels.append(caller.channel)
        leg = await events.wait(
            "Newstate",
            ChannelStateDesc="Ringing",
            where=lambda m: (
                m["Channel"].startswith(f"Local/{ringing}@agent-phones-") and m["Channel"].endswith(";1")
            ),
        )
        exten = ringing if how == "directed" else "s"
        phone = await originate(ami, local_channel(picker, "agent-phones"), DialplanTarget("pickup", exten))
        channels.append(phone.channel)  # the picker (or, named just before the pickup, the ringing leg)
        picked = await events.wait("Pickup", TargetChannel=leg["Channel"])
        assert picked["Channel"].startswith(f"Local/{picker}@agent-phones-")
        channels.append(picked["Channel"])
        assert await peer_of(ami, caller.channel) == picked["Channel"]
    finally:
        await db_delete(ami, "simphone", f"{ringing}/mode")
        await hang_up_all(ami, *channels)


def _rms(path: str) -> float:
    with wave.open(path) as recording:
        frames = recording.readframes(recording.getnframes())
    samples = array.array("h", frames)
    return float((sum(s * s for s in samples) / max(len(samples), 1)) ** 0.5)


async def test_a_call_between_simulated_phones_records_audio_not_silence(
    ami: AmiClient, events: EventLog, pbx: PbxHandle
) -> None:
    call = await two_party_call(ami)
    name = f"cc-test-{secrets.token_hex(4)}.wav"
    inside = f"{pbx.bundled.layout.run_in_root}/spool/{name}"
    on_host = pbx.run_dir / "spool" / name
    try:
        await ami.send_action("MixMonitor", {"Channel": call.caller, "File": inside}, check=True)
        await events.wait("MixMonitorStart", Channel=call.caller)
        await poll(lambda: on_host.exists() and on_host.stat().st_size > 8000 * 2 * 2, what="2 s recorded")
        await ami.send_action("StopMixMonitor", {"Channel": call.caller}, check=True)
        await events.wait("MixMonitorStop", Channel=call.caller)
        assert _rms(str(on_host)) > 500  # both tones, not the digital silence of a quiet Wait()
    finally:
        await hang_up_all(ami, call.caller, call.agent)
        on_host.unlink(missing_ok=True)
