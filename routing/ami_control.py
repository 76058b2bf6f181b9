"""``CallControl`` over AMI (``telephony.control``): the service layer's adapter to the PBX.

- ``ring_agent`` originates ``Local/<ext>@agent-phones`` with the caller's number and name; when
  the agent answers, the answered leg runs ``Bridge(<caller channel>)``, which pulls the waiting
  caller out of the holding dialplan into a bridge with the agent.
- ``cancel_agent_leg`` hangs up the agent legs of that extension (the agent is reserved for this
  one call, so they are this offer's).
- ``announce`` sets ``CC_QUEUE_POSITION`` and ``CC_QUEUE_WAIT`` on the caller's channel for the
  holding dialplan to say; ``redirect`` sends the caller to a named place (``targets``: callback,
  voicemail:<box>, fallback, queue:<name> → a ``DialplanTarget``, from the composition root);
  ``heartbeat`` writes the engine's expiry (epoch seconds) to AstDB ``<family>/alive``.
- ``after_bridge``: where the caller goes on when the agent hangs up (``Bridge(...,F(...))``);
  without it, at the caller's next priority.
- ``device_state`` reads an agent phone's state now (``DEVICE_STATE(Local/<ext>@agent-phones)``:
  in use while any channel of that phone is up, e.g. a fallback-queue call), for an engine that
  starts while phones are busy and has seen no ``DeviceStateChange`` of them yet.
- ``add_member`` / ``remove_member`` keep the fail-open app_queue queue's members in step with the
  agents the engine knows (``QueueAdd`` / ``QueueRemove``).

``caller_channel(call_id)`` is how the adapter finds the caller's channel; the event source that
saw the call enter distribution knows it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping

from routing.ports import AgentLegFailed
from telephony.control import (
    AmiPort,
    ApplicationTarget,
    CallControlError,
    DialplanTarget,
    NoSuchChannel,
    OriginateFailed,
    db_put,
    get_variable,
    hangup,
    local_channel,
    originate,
    redirect,
    set_variable,
)
from telephony.control.send import send

log = logging.getLogger(__name__)

#: Originate's reason codes (telephony.control.originate.REASONS) in the ACD's words
_REASONS = {0: "unreachable", 1: "rejected", 3: "no-answer", 5: "busy", 8: "unreachable"}


class AmiCallControl:
    def __init__(self, ami: AmiPort, *, caller_channel: Callable[[str], str | None],
                 targets: Mapping[str, DialplanTarget] | None = None, agent_context: str = "agent-phones",
                 heartbeat_family: str = "cc-routing", after_bridge: DialplanTarget | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._ami = ami
        self._caller_channel = caller_channel
        self._targets = dict(targets or {})
        self._agent_context = agent_context
        self._family = heartbeat_family
        self._after = after_bridge
        self._clock = clock
        self._ringing: dict[str, str] = {}  # call → extension being rung

    def _caller(self, call_id: str) -> str:
        channel = self._caller_channel(call_id)
        if not channel:
            raise NoSuchChannel(f"call {call_id}: no caller channel known")
        return channel

    async def ring_agent(self, call_id: str, extension: str, *, caller_number: str, caller_name: str,
                         ring_seconds: float) -> None:
        caller = self._caller(call_id)
        self._ringing[call_id] = extension
        try:
            await originate(
                self._ami, local_channel(extension, self._agent_context),
                ApplicationTarget("Bridge", self._bridge_data(caller)),
                caller_id_number=caller_number or None, caller_id_name=caller_name or None,
                timeout=max(1.0, ring_seconds), variables={"CC_CALL_ID": call_id},
            )
        except OriginateFailed as exc:
            raise AgentLegFailed(_REASONS.get(exc.reason, "unreachable"), str(exc)) from exc
        except CallControlError as exc:
            raise AgentLegFailed("unreachable", str(exc)) from exc
        finally:
            self._ringing.pop(call_id, None)

    def _bridge_data(self, caller: str) -> str:
        if self._after is None:
            return caller  # the caller goes on at its next priority when the agent hangs up
        place = self._after
        return f"{caller},F({place.context}^{place.exten}^{place.priority})"

    async def cancel_agent_leg(self, call_id: str, agent_id: str) -> None:
        extension = self._ringing.pop(call_id, None)
        if extension is None:
            return
        pattern = f"/^Local\\/{re.escape(extension)}@{re.escape(self._agent_context)}-/"
        try:
            await hangup(self._ami, pattern)
        except NoSuchChannel:
            pass  # already gone

    async def announce(self, call_id: str, position: int, estimated_wait: float | None) -> None:
        channel = self._caller(call_id)
        await set_variable(self._ami, "CC_QUEUE_POSITION", str(position), channel=channel)
        wait = "" if estimated_wait is None else str(round(estimated_wait))
        await set_variable(self._ami, "CC_QUEUE_WAIT", wait, channel=channel)

    async def redirect(self, call_id: str, target: str) -> None:
        place = self._targets.get(target) or self._targets.get(target.split(":", 1)[0])
        if place is None:
            raise NoSuchChannel(f"call {call_id}: no dialplan place for {target!r}")
        if ":" in target and place.exten == "s":
            place = DialplanTarget(place.context, target.split(":", 1)[1], place.priority)
        await redirect(self._ami, self._caller(call_id), place)

    async def heartbeat(self, ttl: float) -> None:
        await db_put(self._ami, self._family, "alive", str(int(self._clock() + ttl)))

    async def device_state(self, extension: str) -> str:
        """The phone's device state in Asterisk's words, lower-cased (``not_inuse``, ``inuse``, ...)."""
        reply = await get_variable(self._ami, f"DEVICE_STATE({self.member(extension)})")
        return reply.value.strip().lower() or "unknown"

    # ------------------------------------------------------------------ the fallback queue's members
    def member(self, extension: str) -> str:
        return local_channel(extension, self._agent_context)

    async def add_member(self, queue: str, extension: str, name: str = "") -> None:
        """Make the agent's phone a member of app_queue ``queue`` (already one: nothing changes)."""
        interface = self.member(extension)
        try:
            await send(self._ami, "QueueAdd", {"Queue": queue, "Interface": interface,
                                               "MemberName": name or f"Agent {extension}",
                                               "StateInterface": interface, "Penalty": "0"})
        except CallControlError as exc:
            if "already" not in str(exc).lower():
                raise

    async def remove_member(self, queue: str, extension: str) -> None:
        try:
            await send(self._ami, "QueueRemove", {"Queue": queue, "Interface": self.member(extension)})
        except CallControlError as exc:
            if "not there" not in str(exc).lower():
                raise
