"""Hold and resume. AMI has no hold action, so hold moves both legs out of their bridge in one
``Redirect``: the held party to [cc-hold] (``MusicOnHold``), the party holding it to [cc-holding]
(silence); resume bridges them again (AMI ``Bridge``)."""

from __future__ import annotations

from telephony.control.awaiting import EventWatch
from telephony.control.bridge import bridge
from telephony.control.errors import ControlTimeout, NotBridged
from telephony.control.originate import DialplanTarget
from telephony.control.port import AmiPort
from telephony.control.redirect import redirect
from telephony.control.results import Held, Resumed
from telephony.control.variables import get_variable, set_variable

HOLD_CONTEXT = "cc-hold"
HOLDING_CONTEXT = "cc-holding"
HOLD_CLASS_VARIABLE = "CC_HOLD_CLASS"


async def bridge_peer(ami: AmiPort, channel: str) -> str:
    """The one channel ``channel`` talks to (``BRIDGEPEER``); ``NotBridged`` when there is none."""
    peer = (await get_variable(ami, "BRIDGEPEER", channel=channel)).value
    if not peer or "," in peer:
        raise NotBridged(
            f"{channel} is not in a two-party bridge (BRIDGEPEER {peer!r})", details={"channel": channel}
        )
    return peer


async def hold(
    ami: AmiPort,
    channel: str,
    *,
    holder: str | None = None,
    moh_class: str = "default",
    timeout: float = 5.0,  # noqa: ASYNC109
) -> Held:
    """Put ``channel`` on hold with music class ``moh_class``; ``holder`` (default: its bridge peer)
    waits. Returns once Asterisk reports MusicOnHoldStart on ``channel``."""
    if holder is None:
        holder = await bridge_peer(ami, channel)
    await set_variable(ami, HOLD_CLASS_VARIABLE, moh_class, channel=channel)
    async with EventWatch(ami, "MusicOnHoldStart") as watch:
        await redirect(
            ami,
            channel,
            DialplanTarget(HOLD_CONTEXT),
            extra_channel=holder,
            extra_target=DialplanTarget(HOLDING_CONTEXT),
        )
        started = await watch.wait(lambda m: m.get("Channel") == channel, timeout)
    if started is None:
        raise ControlTimeout(
            f"hold {channel}: no MusicOnHoldStart within {timeout:g}s", details={"channel": channel}
        )
    return Held(channel=channel, holder=holder, moh_class=started.get("Class", moh_class))


async def resume(ami: AmiPort, channel: str, *, holder: str) -> Resumed:
    """Take ``channel`` off hold: bridge it with ``holder`` again."""
    await bridge(ami, holder, channel)
    return Resumed(channel=channel, holder=holder)
