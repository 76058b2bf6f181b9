"""Bridge two channels (AMI ``Bridge``): each is taken from wherever it is (a dialplan application,
another bridge) into a new two-party bridge. When one hangs up, the other continues in the
dialplan after the place it was taken from."""

from __future__ import annotations

from telephony.control import values
from telephony.control.port import AmiPort
from telephony.control.results import Bridged
from telephony.control.send import send


async def bridge(ami: AmiPort, channel1: str, channel2: str, *, tone: bool = False) -> Bridged:
    """Connect ``channel1`` and ``channel2``; ``tone`` plays a courtesy tone to ``channel2``.
    ``NoSuchChannel`` when either is gone."""
    headers = {
        "Channel1": values.channel(channel1),
        "Channel2": values.channel(channel2),
        "Tone": "Channel2" if tone else "no",
    }
    await send(ami, "Bridge", headers, subject=f"{channel1}, {channel2}")
    return Bridged(channel1=channel1, channel2=channel2)
