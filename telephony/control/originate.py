"""Originate: place a call from a channel (a phone, a Local channel) to a dialplan place or an
application, asynchronously, and report the answered channel's Uniqueid from OriginateResponse."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from telephony.ami.actions import HeaderValue
from telephony.control import values
from telephony.control.awaiting import EventWatch
from telephony.control.errors import ControlTimeout, InvalidRequest, OriginateFailed
from telephony.control.port import AmiPort
from telephony.control.results import Originated
from telephony.control.send import send

RESPONSE_MARGIN = 10.0
"""Seconds, beyond the ring timeout, to wait for OriginateResponse."""

# Originate's Reason codes (enum ast_control_frame_type values Asterisk reports)
REASONS = {0: "failed", 1: "hung up", 3: "no answer", 4: "answered", 5: "busy", 8: "congestion"}


@dataclass(frozen=True, slots=True)
class DialplanTarget:
    """Where the answered channel goes: ``exten`` at ``priority`` in ``context`` (a context alone:
    its ``s`` extension)."""

    context: str
    exten: str = "s"
    priority: int | str = 1


@dataclass(frozen=True, slots=True)
class ApplicationTarget:
    """Or: the answered channel runs one application (``ChanSpy``, ``Playback``, ``Wait``)."""

    name: str
    data: str = ""


Target = DialplanTarget | ApplicationTarget


def local_channel(exten: str, context: str, *, optimize: bool = True) -> str:
    """``Local/<exten>@<context>`` (``/n``: never optimise the Local pair away)."""
    values.text("exten", exten)
    values.text("context", context)
    return f"Local/{exten}@{context}" + ("" if optimize else "/n")


async def originate(
    ami: AmiPort,
    channel: str,
    target: Target,
    *,
    caller_id_number: str | None = None,
    caller_id_name: str | None = None,
    variables: Mapping[str, str] | None = None,
    timeout: float = 30.0,  # noqa: ASYNC109
    account_code: str | None = None,
    channel_id: str | None = None,
) -> Originated:
    """Call ``channel`` (``Local/1001@agent-phones``, ``PJSIP/1001``); once it answers it goes to
    ``target``. Returns when OriginateResponse says it answered.

    ``timeout``: seconds it may ring. ``variables`` are set on the channel (any value without line breaks).
    ``channel_id`` sets the new channel's Uniqueid. Raises ``OriginateFailed`` (busy, no answer,
    congestion, no such destination: ``reason`` is Asterisk's code), ``ControlTimeout``,
    ``InvalidRequest``, ``ControlUnavailable``.
    """
    if not 0 < timeout <= 86400:
        raise InvalidRequest(f"originate timeout {timeout!r}: seconds in (0, 86400]")
    headers: dict[str, HeaderValue] = {"Channel": values.channel(channel)}
    if isinstance(target, DialplanTarget):
        headers.update(
            Context=values.text("context", target.context),
            Exten=values.text("exten", target.exten),
            Priority=values.text("priority", str(target.priority)),
        )
    else:
        headers.update(
            Application=values.text("application", target.name),
            Data=values.text("application data", target.data, empty=True),
        )
    if caller_id_number is not None or caller_id_name is not None:
        headers["CallerID"] = values.callerid(caller_id_name, caller_id_number)
    if variables:
        headers["Variable"] = values.variables(variables)
    if account_code is not None:
        headers["Account"] = values.text("account code", account_code)
    if channel_id is not None:
        headers["ChannelId"] = values.text("channel id", channel_id)
    headers["Timeout"] = str(int(timeout * 1000))
    headers["Async"] = "true"
    async with EventWatch(ami, "OriginateResponse") as watch:
        reply = await send(ami, "Originate", headers, subject=channel)
        action_id = reply.action_id
        placed = await watch.wait(lambda m: m.get("ActionID") == action_id, timeout + RESPONSE_MARGIN)
    if placed is None:
        raise ControlTimeout(
            f"Originate {channel}: no OriginateResponse within {timeout + RESPONSE_MARGIN:g}s",
            details={"action": "Originate", "channel": channel},
        )
    if placed.get("Response") != "Success":
        code = int(placed.get("Reason", "0") or 0)
        raise OriginateFailed(
            f"Originate {channel}: {REASONS.get(code, f'reason {code}')}",
            reason=code,
            details={"channel": channel, "reason": str(code)},
        )
    return Originated(
        action_id=action_id,
        channel=placed.get("Channel", ""),
        uniqueid=placed.get("Uniqueid", ""),
    )
