"""The FastAGI handler ``ivr``: runs the flow for the dialled number over the call's AGI session
and tells the [inbound] dialplan what to do next (fail-open contract, docs/pbx.md):

* the caller hung up, or the flow ended the call (hang-up, voicemail, callback, survey):
  ``CC_NEXT=done``;
* routed, and distribution answered with a dialplan place: ``CC_NEXT=context,exten,priority``;
* routed, and distribution answered with a queue: ``Queue()`` runs inside this session (with
  ``QUEUE_PRIO`` from the call's priority); when the agent hangs up and the caller agreed, the
  flow's survey runs; then ``CC_NEXT=done``;
* routed without a target, the step limit, a failing distribution, no flow: ``CC_FALLBACK=1``,
  so the dialplan queues the caller to the fallback queue.

The call's attributes are left on the channel for the dialplan and the agents' side
(``CC_INTENT``, ``CC_LANGUAGE``, ``CC_TIER``, ``CC_CUSTOMER``, ``CC_TICKET``, ``CC_SKILLS``,
``CC_PRIORITY``, ``CC_SURVEY``, ``CC_QUEUE``, ``CC_IVR_FLOW``, ``CC_IVR_OUTCOME``, ``CC_IVR_PATH``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from ivr.agi_session import AgiCallSession, RecordingPlace
from ivr.interpreter import CallResult, Limits, run_flow
from ivr.path import IvrPath
from ivr.ports import IvrPorts, RouteRequest
from ivr.prompts import PromptStore
from ivr.registry import FlowRegistry
from telephony.agi import AgiError, AgiHangup, AgiSession, request_fallback

logger = logging.getLogger("ivr.handler")

NEXT_VARIABLE = "CC_NEXT"
DONE = "done"
NO_AGENT_STATUSES = frozenset({"TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL"})
PATH_VARIABLE_LIMIT = 900
"""Characters of the node list kept in ``CC_IVR_PATH`` (an AGI command line holds 2047 bytes)."""


@dataclass
class IvrHandler:
    registry: FlowRegistry
    ports: IvrPorts
    prompts: PromptStore
    recordings: RecordingPlace
    limits: Limits = field(default_factory=Limits)
    live: set[str] = field(default_factory=set)
    """Call ids whose IVR run is in progress (empty once every call is done)."""
    results: int = 0

    async def __call__(self, agi: AgiSession) -> None:
        if agi.env.query.get("survey") == "1":
            await self.survey_only(agi)
            return
        did = agi.env.query.get("did") or agi.env.dnid
        flow = self.registry.flow_for(did)
        if flow is None:
            logger.error("no IVR flow answers %r and there is no default flow: fallback", did)
            await request_fallback(agi, "ivr-no-flow")
            return
        call = AgiCallSession(agi, self.prompts, self.recordings, dialed_number=did)
        self.live.add(call.call_id)
        try:
            try:
                await agi.answer()
            except AgiHangup:
                await agi.set_variable(NEXT_VARIABLE, DONE)
                return
            result = await run_flow(flow, call, self.ports, limits=self.limits)
            await self._publish(agi, result)
            await self._next(agi, call, result)
            self.results += 1
        finally:
            self.live.discard(call.call_id)

    async def survey_only(self, agi: AgiSession) -> None:
        """``?survey=1&flow=<name>&call=<id>``: the flow's post-call survey alone, for a caller whose
        agent hung up outside this session (the ACD's holding dialplan, [cc-acd-after]). The score
        is stored as always; the call's IVR path stays the one its IVR run saved."""
        flow = self.registry.flows.get(agi.env.query.get("flow", ""))
        if flow is None or not flow.survey:
            await agi.set_variable(NEXT_VARIABLE, DONE)
            return
        call = AgiCallSession(agi, self.prompts, self.recordings, dialed_number=agi.env.dnid)
        language = (await agi.get_variable("CC_LANGUAGE")) or ""
        self.live.add(call.call_id)
        try:
            ports = replace(self.ports, journeys=_KeepStoredPath(self.ports.journeys))
            await run_flow(
                flow,
                call,
                ports,
                limits=self.limits,
                start=flow.survey,
                variables={"language": language} if language else None,
            )
        except AgiHangup:
            pass
        finally:
            self.live.discard(call.call_id)
        await agi.set_variable(NEXT_VARIABLE, DONE)

    async def _publish(self, agi: AgiSession, result: CallResult) -> None:
        v = result.variables
        request: RouteRequest | None = result.route
        values = {
            "CC_IVR_FLOW": result.path.flow,
            "CC_IVR_OUTCOME": result.outcome,
            "CC_IVR_PATH": ",".join(result.path.nodes())[:PATH_VARIABLE_LIMIT],
            "CC_INTENT": v.get("intent", ""),
            "CC_LANGUAGE": v.get("language", ""),
            "CC_TIER": v.get("customer.tier", ""),
            "CC_CUSTOMER": v.get("customer.id", ""),
            "CC_TICKET": (request.ticket if request else None) or v.get("ticket.ref", ""),
            "CC_SKILLS": v.get("skills", ""),
            "CC_PRIORITY": str(request.priority if request else 0),
            "CC_SURVEY": "1" if request is not None and request.survey else "",
            "CC_QUEUE": request.queue if request else "",
        }
        for name, value in values.items():
            if value:
                await agi.set_variable(name, value.replace("\n", " "))

    async def _next(self, agi: AgiSession, call: AgiCallSession, result: CallResult) -> None:
        outcome = result.outcome
        if outcome == "fallback" or (outcome == "route" and result.target is None):
            reason = result.variables.get("fallback") or "no-target"
            await request_fallback(agi, f"ivr-{reason}")
            return
        if outcome != "route" or result.target is None:
            await agi.set_variable(NEXT_VARIABLE, DONE)
            return
        target = result.target
        if target.dialplan:
            await agi.set_variable(NEXT_VARIABLE, target.dialplan)
            return
        assert target.queue
        request = result.route
        assert request is not None
        if request.priority:
            await agi.set_variable("QUEUE_PRIO", str(request.priority))
        try:
            await agi.exec_("Queue", target.queue, "c")
        except AgiError as exc:
            logger.warning("call %s: Queue(%s) failed: %s; fallback", call.call_id, target.queue, exc)
            await request_fallback(agi, "ivr-queue-failed")
            return
        status = (await agi.get_variable("QUEUESTATUS")) or ""
        if agi.hung_up:
            await agi.set_variable(NEXT_VARIABLE, DONE)
            return
        if status in NO_AGENT_STATUSES:
            await request_fallback(agi, f"ivr-queue-{status.lower()}")
            return
        flow = self.registry.flows.get(result.path.flow)
        if request.survey and flow is not None and flow.survey:
            await run_flow(
                flow,
                call,
                self.ports,
                limits=self.limits,
                start=flow.survey,
                variables=result.variables,
                path=result.path,  # one journey per call: the survey's steps and score join it
            )
        await agi.set_variable(NEXT_VARIABLE, DONE)


@dataclass
class _KeepStoredPath:
    """Journey port of a survey-only run: the path of the call's IVR run is not replaced."""

    inner: object

    async def save(self, path: IvrPath) -> None:
        return None

    async def paths(self, flow: str | None, since: datetime, until: datetime) -> list[IvrPath]:
        return await self.inner.paths(flow, since, until)  # type: ignore[attr-defined, no-any-return]
