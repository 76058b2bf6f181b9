"""Redirect: send one channel, or two at once (``ExtraChannel``), to a place in the dialplan.

Redirecting one party of a two-party bridge ends that bridge for the other party too (a dialled
leg with nothing after the bridge hangs up): move both legs together with ``extra``.
"""

from __future__ import annotations

from telephony.ami.actions import HeaderValue
from telephony.control import values
from telephony.control.originate import DialplanTarget
from telephony.control.port import AmiPort
from telephony.control.results import Redirected
from telephony.control.send import send


async def redirect(
    ami: AmiPort,
    channel: str,
    target: DialplanTarget,
    *,
    extra_channel: str | None = None,
    extra_target: DialplanTarget | None = None,
) -> Redirected:
    """Send ``channel`` to ``target``; with ``extra_channel`` send that leg too, to ``extra_target``
    (default: the same place). Raises ``NoSuchChannel`` when either channel is gone."""
    headers: dict[str, HeaderValue] = {
        "Channel": values.channel(channel),
        "Context": values.text("context", target.context),
        "Exten": values.text("exten", target.exten),
        "Priority": values.text("priority", str(target.priority)),
    }
    if extra_channel is not None:
        extra = extra_target or target
        headers.update(
            ExtraChannel=values.channel(extra_channel),
            ExtraContext=values.text("context", extra.context),
            ExtraExten=values.text("exten", extra.exten),
            ExtraPriority=values.text("priority", str(extra.priority)),
        )
    subject = channel if extra_channel is None else f"{channel}, {extra_channel}"
    await send(ami, "Redirect", headers, subject=subject)
    return Redirected(
        channel=channel,
        context=target.context,
        exten=target.exten,
        priority=str(target.priority),
        extra_channel=extra_channel,
    )
