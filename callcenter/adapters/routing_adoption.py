"""Calls the ACD finds waiting in the holding dialplan when it (re)starts, adopted in their order.

The distributor leaves each call's attributes and entry time on the caller's channel
(``CC_ACD_CALL``, :func:`encode_call`), so they live exactly as long as the caller. When an engine
starts, or its AMI link logs in again, :meth:`Adoption.run`:

1. reads every agent phone's device state now (an agent on a fallback-queue call shows a phone in
   use, so they are not offered a call until it is idle);
2. lists the channels in the holding context (``telephony.control.list_channels``, after the call
   tracker's resync, which makes the callers' channels known to the call control);
3. reads ``CC_ACD_CALL`` of each caller the engine does not distribute, and hands all of them to the
   core at once (``CallsAdopted``): they keep their entry time, so priority, ageing, FIFO order,
   escalation and maximum wait go on as before the restart;
4. a caller with no readable attributes or a queue the ACD no longer has goes to the fallback queue
   (a caller left in the holding context under a fresh heartbeat would wait forever); a caller whose
   agent leg from before the restart is still ringing (an agent phone channel carrying its
   ``CC_CALL_ID``) is held back and found again by the next run, so two agents never ring for one
   caller (if that agent answers, the caller leaves the holding context with them); so is a caller
   the call control cannot find yet (the call tracker's resync still running).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from routing.ami_control import AmiCallControl
from routing.domain import CallAttributes, SkillLevel
from routing.events import CallEntered, CallsAdopted, Event
from routing.service import RoutingService
from telephony.control import AmiPort, CallControlError, DialplanTarget, get_variable, list_channels, redirect
from telephony.devices import STATES, DeviceStateChange

from .routing_events import RoutingEvents

log = logging.getLogger(__name__)

CALL_VARIABLE = "CC_ACD_CALL"
"""The caller channel's variable holding the call's attributes (set by the distributor)."""
LEG_VARIABLE = "CC_CALL_ID"
"""The agent leg's variable naming the call it rings for (set by ``AmiCallControl.ring_agent``)."""


def encode_call(attrs: CallAttributes, entered_at: float) -> str:
    """The attributes and entry time as one query string (no commas, quotes or line breaks)."""
    fields: dict[str, str] = {"v": "1", "queue": attrs.queue, "entered": repr(entered_at)}
    optional = {
        "number": attrs.caller_number, "name": attrs.caller_name,
        "priority": None if attrs.priority is None else str(attrs.priority),
        "customer": attrs.customer_id, "tier": attrs.tier, "language": attrs.language, "intent": attrs.intent,
        "skills": " ".join(f"{s.skill}:{s.level}" for s in attrs.skills),
        "last_agent": attrs.last_agent,
        "last_agent_at": None if attrs.last_agent_at is None else repr(attrs.last_agent_at),
    }
    fields.update({name: value for name, value in optional.items() if value})
    return urlencode(fields)


def decode_call(call_id: str, text: str) -> CallEntered | None:
    """The call ``encode_call`` wrote; ``None`` when ``text`` is empty or not one of ours."""
    values = {name: items[0] for name, items in parse_qs(text, keep_blank_values=True).items()}
    if values.get("v") != "1" or not values.get("queue"):
        return None
    try:
        skills = tuple(SkillLevel(name, int(level)) for name, _, level in
                       (item.partition(":") for item in values.get("skills", "").split()))
        priority = values.get("priority")
        last_at = values.get("last_agent_at")
        attrs = CallAttributes(
            call_id=call_id, queue=values["queue"], caller_number=values.get("number", ""),
            caller_name=values.get("name", ""), priority=None if priority is None else int(priority),
            customer_id=values.get("customer"), tier=values.get("tier"), language=values.get("language"),
            intent=values.get("intent"), skills=skills, last_agent=values.get("last_agent"),
            last_agent_at=None if last_at is None else float(last_at),
        )
        return CallEntered(attrs, entered_at=float(values["entered"]))
    except (KeyError, ValueError):
        return None


@dataclass
class AdoptionReport:
    adopted: list[str] = field(default_factory=list)
    """Call ids handed to the core, in entry order."""
    held_back: list[str] = field(default_factory=list)
    """Callers whose agent leg from before is still up: looked at again by the next run."""
    to_fallback: list[str] = field(default_factory=list)
    """Channels sent to the fallback queue (no attributes, or a queue the ACD does not have)."""


class Adoption:
    def __init__(self, service: RoutingService, ami: AmiPort, control: AmiCallControl, *, holding: str,
                 fallback: DialplanTarget, caller_channel: Callable[[str], str | None],
                 agent_context: str = "agent-phones") -> None:
        self._service = service
        self._caller_channel = caller_channel
        self._ami = ami
        self._control = control
        self._holding = holding
        self._fallback = fallback
        self._agent_prefix = "Local/"
        self._agent_marker = f"@{agent_context}-"
        self._lock = asyncio.Lock()

    async def run(self) -> AdoptionReport:
        async with self._lock:
            await self.device_states()
            return await self._adopt()

    async def device_states(self) -> None:
        """Every agent phone's state now, applied as if its ``DeviceStateChange`` had just come."""
        core = self._service.core
        extensions = sorted({a.profile.extension for a in core.agents.values() if a.profile.extension})
        states = await asyncio.gather(*(self._control.device_state(ext) for ext in extensions),
                                      return_exceptions=True)
        source = RoutingEvents((), core)
        for extension, state in zip(extensions, states, strict=True):
            if isinstance(state, BaseException) or state not in STATES:
                log.warning("ACD: device state of %s not read: %s", extension, state)
                continue
            device = self._control.member(extension)
            events: list[Event] = source.translate(DeviceStateChange(device, state, extension))
            for event in events:
                await self._service.submit(event)

    async def _adopt(self) -> AdoptionReport:
        report = AdoptionReport()
        core = self._service.core
        channels = await list_channels(self._ami)
        waiting = [c for c in channels if c.context == self._holding and c.linkedid not in core.calls]
        if not waiting:
            return report
        legs = [c.channel for c in channels
                if c.channel.startswith(self._agent_prefix) and self._agent_marker in c.channel]
        found = await asyncio.gather(*(self._read(c.channel, CALL_VARIABLE) for c in waiting))
        ringing = set(await asyncio.gather(*(self._read(leg, LEG_VARIABLE) for leg in legs)))
        entries: list[CallEntered] = []
        for channel, text in zip(waiting, found, strict=True):
            call_id = channel.linkedid
            if text is None:
                continue  # the caller left meanwhile
            entered = decode_call(call_id, text)
            if entered is None or entered.attrs.queue not in core.queues:
                log.warning("ACD: caller %s of call %s waits with %s %r: to the fallback queue",
                            channel.channel, call_id, CALL_VARIABLE, text)
                await self._to_fallback(channel.channel)
                report.to_fallback.append(channel.channel)
            elif call_id in ringing or not self._caller_channel(call_id):
                report.held_back.append(call_id)
            else:
                entries.append(entered)
        entries.sort(key=lambda x: (x.entered_at or 0.0, x.attrs.call_id))
        if entries:
            await self._service.submit(CallsAdopted(tuple(entries)))
            report.adopted = [x.attrs.call_id for x in entries]
            log.warning("ACD: adopted %d calls waiting in %s (%d held back, %d to the fallback queue)",
                        len(entries), self._holding, len(report.held_back), len(report.to_fallback))
        return report

    async def _read(self, channel: str, name: str) -> str | None:
        try:
            return (await get_variable(self._ami, name, channel=channel)).value
        except CallControlError:
            return None  # hung up since the listing

    async def _to_fallback(self, channel: str) -> None:
        try:
            await redirect(self._ami, channel, self._fallback)
        except CallControlError as exc:
            log.warning("ACD: caller %s not sent to the fallback queue: %s", channel, exc)
