"""The live channels with the place each runs (AMI ``CoreShowChannels``): for a service that
starts and must find calls parked in a dialplan context of its own (the ACD's holding context).
The call tracker follows calls as they change; this is one read of where every channel is now."""

from __future__ import annotations

from telephony.control.port import AmiPort
from telephony.control.results import ChannelInfo
from telephony.control.send import send


async def list_channels(ami: AmiPort, *, context: str | None = None) -> tuple[ChannelInfo, ...]:
    """Every live channel (only those whose dialplan is in ``context`` when given), as listed."""
    reply = await send(ami, "CoreShowChannels", {}, subject="channels")
    out: list[ChannelInfo] = []
    for event in reply.events:
        if event.get("Event") != "CoreShowChannel":
            continue
        if context is not None and event.get("Context", "") != context:
            continue
        out.append(ChannelInfo(
            channel=event.get("Channel", ""), uniqueid=event.get("Uniqueid", ""),
            linkedid=event.get("Linkedid", ""), context=event.get("Context", ""),
            exten=event.get("Exten", ""), priority=event.get("Priority", ""),
            state=event.get("ChannelStateDesc", ""), application=event.get("Application", ""),
            caller_number=event.get("CallerIDNum", ""), caller_name=event.get("CallerIDName", ""),
            bridge_id=event.get("BridgeId", ""),
        ))
    return tuple(out)
