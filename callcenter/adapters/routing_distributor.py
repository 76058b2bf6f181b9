"""The IVR's ``Distributor`` over the ACD: a routed call enters distribution with the IVR's
attributes and the caller leaves the AGI for the holding dialplan (``cc-acd-wait``).

Returning ``None`` (the ACD refused the call, e.g. an unknown queue) or raising (the ACD is not
running) sends the caller to the fallback queue: the IVR handler does that, so no caller is lost.
A call for a queue the ACD does not know, or none of whose agents is logged in, waits in the
app_queue fallback queue inside the IVR session (``RouteTarget(queue=...)``, the survey still
runs), as before the ACD.
The caller's channel is the tracked call's caller (the IVR's call id is the call's Linkedid); the
distributor leaves the call's base priority on it (``CC_ACD_PRIORITY``) for the dialplan's
fail-open queue, and its attributes with the entry time (``CC_ACD_CALL``), from which an engine
that restarts adopts the caller (``callcenter.adapters.routing_adoption``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ivr.ports import RouteRequest, RouteTarget
from routing import decisions as d
from routing.domain import AgentState, CallAttributes, SkillLevel
from routing.service import RoutingService
from telephony.control import AmiPort, CallControlError, set_variable

from .routing_adoption import CALL_VARIABLE, encode_call

log = logging.getLogger(__name__)


class AcdDistributor:
    def __init__(self, service: RoutingService, *, ami: AmiPort, caller_channel: Callable[[str], str | None],
                 holding: str = "cc-acd-wait", heartbeat_family: str = "cc-routing",
                 fallback_queue: str = "fallback", running: Callable[[], bool] = lambda: True) -> None:
        self._service = service
        self._ami = ami
        self._caller_channel = caller_channel
        self._holding = holding
        self._running = running
        self._family = heartbeat_family
        self._fallback = fallback_queue
        self.numbers: dict[str, str] = {}
        """The caller's number per call id, while the ACD has it (for callbacks)."""

    async def route(self, request: RouteRequest) -> RouteTarget | None:
        if not self._running():
            raise RuntimeError("the ACD is not running")
        channel = await self._service.caller_channel(request.call_id, self._caller_channel)  # waits up to 2 s
        if not channel:
            log.warning("IVR call %s: its caller channel is not tracked; fallback", request.call_id)
            return None
        attrs = CallAttributes(
            call_id=request.call_id, queue=request.queue, caller_number=request.caller,
            priority=request.priority or None, customer_id=request.customer_id, tier=request.tier,
            language=request.language, intent=request.intent,
            skills=tuple(SkillLevel(skill, 1) for skill in request.skills),
        )
        if not self._staffed(request.queue):
            return RouteTarget(queue=self._fallback)
        decisions = await self._service.call_entered(attrs)
        if any(isinstance(x, d.Refused) and x.input == "CallEntered" for x in decisions):
            return None  # the service redirects it to the fallback; the IVR's fallback is the same queue
        self.numbers[request.call_id] = request.caller
        call = self._service.core.calls.get(request.call_id)
        values = {"CC_ACD_FAMILY": self._family}
        if call is not None:
            values["CC_ACD_PRIORITY"] = str(call.priority)
            values[CALL_VARIABLE] = encode_call(call.attrs, call.entered_at)
        try:
            for name, value in values.items():
                await set_variable(self._ami, name, value, channel=channel)
        except CallControlError as exc:
            log.info("IVR call %s: %s not set on the caller (%s)", request.call_id, ", ".join(values), exc)
        return RouteTarget(dialplan=f"{self._holding},s,1")

    def _staffed(self, queue: str) -> bool:
        """Some agent serving ``queue`` is logged in (a queue the ACD does not know has none)."""
        if queue not in self._service.core.queues:
            log.warning("IVR queue %r is not an ACD queue (config/routing.yaml): fallback queue", queue)
            return False
        return any(agent.state is not AgentState.LOGGED_OUT
                   and any(member.queue == queue for member in agent.profile.queues)
                   for agent in self._service.core.agents.values())
