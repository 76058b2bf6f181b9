"""The ACD's event source: the platform bus's call and device facts in the ACD's words.

- a tracked call ended (``telephony.tracker.CallEnded``) that the ACD distributes → ``CallerHungUp``
  (the core ends a connected call, abandons a waiting or ringing one);
- an agent phone's device state (``telephony.devices.DeviceStateChange``) → ``DeviceStateChanged``
  for the agent of that extension; the phone going idle while its agent is on one of our calls
  means the agent hung up → ``CallEnded`` first (the caller's leg goes on in the dialplan for the
  survey, so the tracked call has not ended yet).

Read with a reliable bus subscription: a dropped hang-up would leave an agent on a call forever.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable

from routing.core import RoutingCore
from routing.domain import AgentState, DeviceState
from routing.events import CallEnded, CallerHungUp, DeviceStateChanged, Event
from telephony.devices import DeviceStateChange
from telephony.tracker import CallEnded as TrackedCallEnded

log = logging.getLogger(__name__)

#: the messages the source reads from the bus
MESSAGES: tuple[type, ...] = (TrackedCallEnded, DeviceStateChange)

_STATES = {
    "not_inuse": DeviceState.NOT_INUSE,
    "inuse": DeviceState.INUSE,
    "onhold": DeviceState.INUSE,
    "busy": DeviceState.BUSY,
    "ringing": DeviceState.RINGING,
    "ringinuse": DeviceState.INUSE,
    "unavailable": DeviceState.UNAVAILABLE,
    "invalid": DeviceState.UNAVAILABLE,
    "unknown": DeviceState.UNKNOWN,
}


class RoutingEvents:
    """``routing.ports.EventSource`` over a bus subscription to ``MESSAGES``."""

    def __init__(self, messages: AsyncIterator[object] | Iterable[object], core: RoutingCore) -> None:
        self._messages = messages
        self._core = core

    async def events(self) -> AsyncIterator[Event]:
        messages = self._messages
        if isinstance(messages, AsyncIterator):
            async for message in messages:
                for event in self.translate(message):
                    yield event
        else:
            for message in messages:
                for event in self.translate(message):
                    yield event

    def translate(self, message: object) -> list[Event]:
        """The ACD events one bus message means (none for calls and phones the ACD does not know)."""
        if isinstance(message, TrackedCallEnded):
            ids = [message.call_id, *message.merged_calls]
            return [CallerHungUp(call_id) for call_id in ids if call_id in self._core.calls]
        if isinstance(message, DeviceStateChange) and message.extension:
            state = _STATES.get(message.state, DeviceState.UNKNOWN)
            out: list[Event] = []
            for agent in self._core.agents.values():
                if agent.profile.extension != message.extension:
                    continue
                if state is DeviceState.NOT_INUSE and agent.state is AgentState.ON_CALL and agent.call_id:
                    out.append(CallEnded(agent.call_id))
                out.append(DeviceStateChanged(agent.profile.agent_id, state))
            return out
        return []
