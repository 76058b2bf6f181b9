"""The IVR interpreter: runs one flow for one call against a ``CallSession`` and the ports.

Pure in the architecture's sense: no sockets, files or database of its own; every effect goes
through the session (what the caller hears and presses) or a port (lookups, distribution,
tickets, the journey store), and the clock is a port too. Every run ends: each asking node tries
at most ``1 + retries`` times (and at most ``Limits.max_attempts``), ``*`` repeats at most
``Limits.max_repeats`` times per visit, and after ``Limits.max_steps`` nodes (or
``Limits.max_visits`` entries into one node) the call goes to the fallback (an agent).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ivr import calendar
from ivr.model import (
    BlockedCondition,
    BranchNode,
    CallbackNode,
    Flow,
    HangupNode,
    HoursCondition,
    InputNode,
    Language,
    LanguageNode,
    LookupNode,
    MenuNode,
    OpenTicketCondition,
    PlayNode,
    Prompt,
    RouteNode,
    SetNode,
    SurveyNode,
    TierCondition,
    VariableCondition,
    VoicemailNode,
)
from ivr.path import Event, IvrPath, Outcome, PathStep
from ivr.ports import CallbackRequest, CustomerInfo, IvrPorts, RouteRequest, RouteTarget, VoicemailRequest
from ivr.render import render
from ivr.session import CallerHungUp, CallSession, Speech
from ivr.validate import PLACEHOLDER

logger = logging.getLogger("ivr.interpreter")

FALLBACK_QUEUE = "fallback"


@dataclass(frozen=True)
class Limits:
    max_steps: int = 100
    """Nodes one call may pass through."""
    max_visits: int = 12
    """Times one call may enter the same node."""
    max_attempts: int = 6
    """Cap on 1 + retries of any asking node."""
    max_repeats: int = 3
    """``*`` repeats per menu visit (then it counts as an invalid attempt)."""

    def session_calls_bound(self) -> int:
        """Upper bound of session calls in one run (for tests): each node makes at most
        ``max_attempts * (max_repeats + 3) + 8`` of them."""
        return (self.max_steps + 1) * (self.max_attempts * (self.max_repeats + 3) + 8)


@dataclass
class CallResult:
    path: IvrPath
    route: RouteRequest | None = None
    """What the call was handed to distribution with (also for the fallback)."""
    target: RouteTarget | None = None
    """Where distribution sends a routed call on (``None``: the fallback queue)."""
    ticket: str | None = None
    """The voicemail's or callback's ticket reference."""
    survey_score: int | None = None
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def outcome(self) -> Outcome:
        assert self.path.outcome is not None
        return self.path.outcome


class _Finished(Exception):
    pass


class Interpreter:
    def __init__(
        self,
        flow: Flow,
        session: CallSession,
        ports: IvrPorts,
        limits: Limits | None = None,
        *,
        path: IvrPath | None = None,
    ) -> None:
        """``path``: the call's path so far, to continue (the survey after the agent hung up keeps
        the call's outcome and adds its steps and score)."""
        self.flow = flow
        self.session = session
        self.ports = ports
        self.limits = limits or Limits()
        self.variables: dict[str, str] = {
            "caller": session.caller_number,
            "did": session.dialed_number,
            "call_id": session.call_id,
            "language": flow.languages[0],
        }
        self.result = CallResult(
            path=path
            or IvrPath(
                call_id=session.call_id,
                flow=flow.name,
                caller=session.caller_number,
                did=session.dialed_number,
                started_at=ports.clock(),
            )
        )
        self._node = flow.start
        self._visits: Counter[str] = Counter()

    # -- the run ----------------------------------------------------------------------------

    async def run(self, start: str | None = None, *, variables: dict[str, str] | None = None) -> CallResult:
        """Run from ``start`` (the flow's start by default) until the call's IVR part ends."""
        self.variables.update(variables or {})
        node_id: str | None = start or self.flow.start
        steps = 0
        try:
            while node_id is not None:
                self._node = node_id
                steps += 1
                self._visits[node_id] += 1
                if steps > self.limits.max_steps or self._visits[node_id] > self.limits.max_visits:
                    self._step("step_limit", result={"steps": str(steps - 1)})
                    await self._fallback("step-limit")
                    break
                node = self.flow.nodes[node_id]
                self._step("entered")
                if node.self_service:
                    self.result.path.self_service = True
                node_id = await self._execute(node_id, node)
        except _Finished:
            pass
        except CallerHungUp:
            if self.result.path.outcome is None:
                self._step("hangup")
                self._end("caller_hangup")
        except Exception as exc:  # a port or the session failed: the caller goes to an agent
            logger.exception("IVR call %s failed at node %s", self.session.call_id, self._node)
            self._step("error", result={"error": type(exc).__name__, "message": str(exc)[:200]})
            if self.result.path.outcome is None:
                await self._fallback("error")
        if self.result.path.outcome is None:  # a node without a next (cannot happen in a valid flow)
            await self._fallback("no-next")
        self.result.variables = dict(self.variables)
        self.result.path.variables = dict(self.variables)
        self.result.path.language = self.variables.get("language")
        try:
            await self.ports.journeys.save(self.result.path)
        except Exception:
            logger.exception("IVR path of call %s not saved", self.session.call_id)
        return self.result

    async def _execute(self, node_id: str, node: object) -> str | None:
        if isinstance(node, PlayNode):
            for prompt in node.prompts_:
                await self._play(prompt)
            self._step("played")
            return node.next
        if isinstance(node, MenuNode):
            return await self._menu(node)
        if isinstance(node, LanguageNode):
            return await self._language(node)
        if isinstance(node, InputNode):
            return await self._input(node)
        if isinstance(node, LookupNode):
            return await self._lookup(node)
        if isinstance(node, BranchNode):
            value = self._condition(node)
            self._step("branch", result={"check": node.if_.check, "value": "true" if value else "false"})
            return node.then if value else node.else_
        if isinstance(node, SetNode):
            return self._set(node)
        if isinstance(node, RouteNode):
            await self._route(node)
        elif isinstance(node, VoicemailNode):
            await self._voicemail(node)
        elif isinstance(node, CallbackNode):
            await self._callback(node)
        elif isinstance(node, SurveyNode):
            await self._survey(node)
        elif isinstance(node, HangupNode):
            await self._play(node.prompt)
            self._end("hangup")
            await self.session.hangup()
        else:
            raise TypeError(f"node {node_id}: unknown node {type(node).__name__}")
        raise _Finished

    # -- recording ----------------------------------------------------------------------------

    def _step(self, event: Event, *, digits: str | None = None, result: dict[str, str] | None = None) -> None:
        node = self.flow.nodes.get(self._node)
        self.result.path.steps.append(
            PathStep(
                node=self._node,
                type=node.type if node is not None else "?",
                event=event,
                digits=digits,
                result=result or {},
                at=self.ports.clock(),
            )
        )

    def _end(self, outcome: Outcome) -> None:
        if self.result.path.outcome is None:
            self.result.path.outcome = outcome
            self.result.path.ended_at = self.ports.clock()
            self.result.path.ended_at_node = self._node

    # -- speech and digits ----------------------------------------------------------------------

    @property
    def language(self) -> Language:
        value = self.variables.get("language")
        return value if value in ("zh", "en") else self.flow.languages[0]  # type: ignore[return-value]

    def _speech(self, prompt: Prompt | None) -> Speech:
        return render(prompt, self.language, self.variables)

    async def _play(self, prompt: Prompt | None) -> None:
        speech = self._speech(prompt)
        if speech:
            await self.session.play(speech)

    async def _ask_digit(
        self,
        prompt: Prompt | None,
        valid: set[str],
        *,
        wait: float,
        retries: int,
        invalid_prompt: Prompt | None = None,
        timeout_prompt: Prompt | None = None,
        repeat_on_star: bool = True,
    ) -> str | None:
        """One digit from ``valid``, or None once the attempts are used up."""
        attempts = min(1 + retries, self.limits.max_attempts)
        attempt = repeats = 0
        while attempt < attempts:
            got = await self.session.get_digits(
                self._speech(prompt), timeout_ms=int(wait * 1000), max_digits=1
            )
            digit = got.digits[:1]
            if not digit:
                self._step("timeout")
                attempt += 1
                if attempt < attempts:
                    await self._play(timeout_prompt)
                continue
            if digit == "*" and repeat_on_star and "*" not in valid:
                repeats += 1
                self._step("repeat", digits="*")
                if repeats <= self.limits.max_repeats:
                    continue
                repeats = 0
                attempt += 1
                continue
            if digit in valid:
                return digit
            self._step("invalid", digits=digit)
            attempt += 1
            if attempt < attempts:
                await self._play(invalid_prompt)
        return None

    # -- node types ---------------------------------------------------------------------------

    async def _menu(self, node: MenuNode) -> str | None:
        valid = set(node.options) | ({"0"} if node.agent else set())
        digit = await self._ask_digit(
            node.prompt,
            valid,
            wait=node.timeout,
            retries=node.retries,
            invalid_prompt=node.invalid_prompt,
            timeout_prompt=node.timeout_prompt,
        )
        if digit is None:
            self._step("option", result={"target": node.on_fail or "", "failed": "true"})
            return node.on_fail
        target = node.choice(digit)
        self._step("option", digits=digit, result={"target": target or ""})
        return target

    async def _language(self, node: LanguageNode) -> str | None:
        digit = await self._ask_digit(
            node.prompt,
            set(node.options),
            wait=node.timeout,
            retries=node.retries,
            invalid_prompt=node.invalid_prompt,
            timeout_prompt=node.timeout_prompt,
        )
        language = node.options[digit] if digit is not None else node.default
        self.variables["language"] = language
        self._step("option", digits=digit, result={"language": language})
        return node.next

    async def _input(self, node: InputNode) -> str | None:
        attempts = min(1 + node.retries, self.limits.max_attempts)
        for attempt in range(attempts):
            got = await self.session.get_digits(
                self._speech(node.prompt), timeout_ms=int(node.timeout * 1000), max_digits=node.max_length
            )
            last = attempt + 1 == attempts
            if not got.digits:
                self._step("timeout")
                if not last:
                    await self._play(node.timeout_prompt)
                continue
            if node.accepts(got.digits):
                self.variables[node.variable] = got.digits
                self._step("input", digits=got.digits, result={"variable": node.variable})
                return node.next
            self._step("invalid", digits=got.digits)
            if not last:
                await self._play(node.invalid_prompt)
        return node.on_fail

    def _set_customer(self, customer: CustomerInfo, how: str) -> dict[str, str]:
        values = {
            "customer.id": customer.id,
            "customer.name": customer.name,
            "customer.tier": customer.tier,
            "customer.identified_by": how,
        }
        if customer.language in ("zh", "en"):
            values["customer.language"] = customer.language
        self.variables.update(values)
        return values

    async def _lookup(self, node: LookupNode) -> str:
        result: dict[str, str]
        found = False
        try:
            if node.by == "ticket":
                reference = ticket_reference(self.variables.get(node.source or "", ""), node.ticket_prefix)
                ticket = await self.ports.tickets.by_reference(reference) if reference else None
                result = {"by": "ticket", "reference": reference}
                caller_id = self.variables.get("customer.id")
                if (
                    ticket is not None
                    and caller_id
                    and ticket.customer_id
                    and ticket.customer_id != caller_id
                ):
                    result["refused"] = (
                        "another customer's ticket"  # an identified caller hears only their own
                    )
                    ticket = None
                if ticket is not None:
                    found = True
                    values = {
                        "ticket.ref": ticket.reference,
                        "ticket.status": ticket.status,
                        "ticket.type": ticket.type,
                    }
                    self.variables.update(values)
                    result.update(values)
            else:
                number = self.variables.get("caller" if node.by == "caller" else node.source or "", "")
                customer = None
                if number:
                    if node.by == "account":
                        customer = await self.ports.customers.by_account(number)
                    else:
                        customer = await self.ports.customers.by_phone(number)
                result = {"by": node.by, "number": number}
                if customer is not None:
                    found = True
                    result.update(self._set_customer(customer, node.by))
                    result.update(await self._open_tickets(customer.id))
        except CallerHungUp:
            raise
        except Exception as exc:
            logger.exception("IVR lookup %s failed for call %s", node.by, self.session.call_id)
            result = {"by": node.by, "error": type(exc).__name__}
        result["found"] = "true" if found else "false"
        self._step("lookup", result=result)
        return node.found if found else node.not_found

    async def _open_tickets(self, customer_id: str) -> dict[str, str]:
        tickets = await self.ports.tickets.open_tickets(customer_id)
        values: dict[str, str] = {}
        if tickets:
            values["open_ticket.ref"] = tickets[0].reference
            values["open_ticket.type"] = tickets[0].type
            values["open_tickets"] = ",".join(t.reference for t in tickets)
            for ticket in reversed(tickets):  # the newest of each type wins
                values[f"open_{ticket.type}.ref"] = ticket.reference
        self.variables.update(values)
        return values

    def _condition(self, node: BranchNode) -> bool:
        condition = node.if_
        if isinstance(condition, HoursCondition):
            return calendar.is_open(self.flow.schedules[condition.schedule], self.ports.clock())
        if isinstance(condition, TierCondition):
            return self.variables.get("customer.tier", "") in condition.tiers
        if isinstance(condition, OpenTicketCondition):
            key = f"open_{condition.ticket_type}.ref" if condition.ticket_type else "open_ticket.ref"
            return bool(self.variables.get(key))
        if isinstance(condition, BlockedCondition):
            return number_in(self.variables.get("caller", ""), self.flow.lists.get(condition.list, []))
        if isinstance(condition, VariableCondition):
            value = self.variables.get(condition.name, "")
            if condition.equals is not None:
                return value == condition.equals
            if condition.one_of is not None:
                return value in condition.one_of
            return bool(value)
        raise TypeError(f"unknown condition {condition!r}")

    def _set(self, node: SetNode) -> str:
        values = {
            name: PLACEHOLDER.sub(lambda m: self.variables.get(m.group(1), ""), value)
            for name, value in node.variables.items()
        }
        if node.intent is not None:
            values["intent"] = node.intent
        if node.language is not None:
            values["language"] = node.language
        if node.skills is not None:
            known = [s for s in self.variables.get("skills", "").split(",") if s]
            values["skills"] = ",".join(dict.fromkeys([*known, *node.skills]))
        if node.priority is not None:
            values["priority"] = str(max(node.priority, _int(self.variables.get("priority"))))
        if node.survey is not None:
            values["survey"] = "1" if node.survey else "0"
        self.variables.update(values)
        self._step("set", result=values)
        return node.next

    def _route_request(self, queue: str, attributes: dict[str, str]) -> RouteRequest:
        v = self.variables
        return RouteRequest(
            call_id=self.session.call_id,
            queue=queue,
            caller=v.get("caller", ""),
            intent=v.get("intent"),
            language=v.get("language"),
            tier=v.get("customer.tier"),
            customer_id=v.get("customer.id"),
            ticket=v.get("route.ticket") or v.get("ticket.ref"),
            skills=tuple(s for s in v.get("skills", "").split(",") if s),
            priority=_int(v.get("priority")),
            survey=v.get("survey") == "1",
            attributes=dict(attributes),
        )

    async def _route(self, node: RouteNode) -> None:
        request = self._route_request(node.queue, node.attributes)
        self.result.route = request
        self._step("set", result={"queue": node.queue, "priority": str(request.priority)})
        await self._play(node.prompt)
        try:
            self.result.target = await self.ports.distributor.route(request)
        except Exception:
            logger.exception("IVR call %s: distribution refused the call; fallback", self.session.call_id)
            await self._fallback("route-failed")
            return
        self._end("route")

    async def _fallback(self, reason: str) -> None:
        request = self._route_request(FALLBACK_QUEUE, {"reason": reason})
        self.result.route = request
        self.variables["fallback"] = reason
        self._end("fallback")

    async def _voicemail(self, node: VoicemailNode) -> None:
        await self._play(node.prompt)
        recording = await self.session.record(
            f"{self.session.call_id}", max_seconds=node.max_seconds, silence_seconds=node.silence_seconds
        )
        if recording is None:
            self._step("recorded", result={"recorded": "false"})
            self._end("hangup")
            await self.session.hangup()
            return
        self.variables["voicemail.recording"] = recording.location  # kept on the path even if the desk fails
        reference = await self.ports.callbacks.voicemail(
            VoicemailRequest(
                call_id=self.session.call_id,
                caller=self.variables.get("caller", ""),
                recording=recording.location,
                seconds=recording.seconds,
                customer_id=self.variables.get("customer.id"),
                language=self.language,
                intent=self.variables.get("intent"),
            )
        )
        self.result.ticket = reference
        self.variables["voicemail.ticket"] = reference
        self._step("recorded", result={"recording": recording.location, "ticket": reference})
        self._end("voicemail")
        await self._play(node.thanks)
        await self.session.hangup()

    async def _callback(self, node: CallbackNode) -> None:
        caller = self.variables.get("caller", "")
        number = caller if caller.lstrip("+").isdigit() else ""
        self.variables["callback.number"] = number
        timeout, retries = node.timeout, node.retries
        if number:
            choice = await self._ask_digit(node.confirm_prompt, {"1", "2"}, wait=timeout, retries=retries)
            self._step("option", digits=choice, result={"confirm": choice or ""})
            if choice is None:
                self._end("hangup")
                await self.session.hangup()
                return
        if not number or choice == "2":
            number = ""
            for _attempt in range(min(1 + retries, self.limits.max_attempts)):
                got = await self.session.get_digits(
                    self._speech(node.number_prompt), timeout_ms=int(timeout * 1000), max_digits=15
                )
                if len(got.digits) >= 5 and got.digits.isdigit():
                    number = got.digits
                    self._step("input", digits=number, result={"variable": "callback.number"})
                    break
                self._step("timeout" if not got.digits else "invalid", digits=got.digits or None)
            if not number:
                self._end("hangup")
                await self.session.hangup()
                return
            self.variables["callback.number"] = number
        slot_digit = await self._ask_digit(
            node.schedule_prompt, set(node.slots), wait=timeout, retries=retries
        )
        slot = node.slots[slot_digit] if slot_digit is not None else "asap"
        now = self.ports.clock()
        when = now
        if slot == "next_business_day":
            schedule = self.flow.schedules[node.schedule]
            local_now = calendar.local(schedule, now)
            tomorrow = local_now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
            when = calendar.next_opening(schedule, tomorrow - timedelta(microseconds=1)) or now
        reference = await self.ports.callbacks.callback(
            CallbackRequest(
                call_id=self.session.call_id,
                number=number,
                not_before=when,
                customer_id=self.variables.get("customer.id"),
                language=self.language,
                intent=self.variables.get("intent"),
                ticket=self.variables.get("open_ticket.ref"),
            )
        )
        self.result.ticket = reference
        self.variables.update(
            {"callback.ticket": reference, "callback.when": _iso_local(when), "callback.slot": slot}
        )
        self._step(
            "scheduled", digits=slot_digit, result={"slot": slot, "ticket": reference, "number": number}
        )
        self._end("callback")
        await self._play(node.thanks)
        await self.session.hangup()

    async def _survey(self, node: SurveyNode) -> None:
        digit = await self._ask_digit(
            node.prompt, set("12345"), wait=node.timeout, retries=node.retries, repeat_on_star=True
        )
        if digit is None:
            self._step("scored", result={"score": ""})
            self._end("hangup")
            await self.session.hangup()
            return
        score = int(digit)
        await self.ports.surveys.store(self.session.call_id, score)
        self.result.survey_score = score
        self.result.path.survey_score = score
        self.variables["survey.score"] = digit
        self._step("scored", digits=digit, result={"score": digit})
        self._end("survey")
        await self._play(node.thanks)
        await self.session.hangup()


async def run_flow(
    flow: Flow,
    session: CallSession,
    ports: IvrPorts,
    *,
    limits: Limits | None = None,
    start: str | None = None,
    variables: dict[str, str] | None = None,
    path: IvrPath | None = None,
) -> CallResult:
    """Run ``flow`` for one call (from ``start``, e.g. the flow's survey node, continuing ``path``);
    see ``Interpreter``."""
    return await Interpreter(flow, session, ports, limits, path=path).run(start, variables=variables)


def ticket_reference(entered: str, prefix: str) -> str:
    """What the caller entered as a ticket reference: ``123`` → ``REP-000123``; a full one as it is."""
    entered = entered.strip().upper()
    if re.fullmatch(r"[0-9]{1,12}", entered):
        return f"{prefix.upper()}-{int(entered):06d}"
    return entered


def number_in(number: str, numbers: list[str]) -> bool:
    """Whether a caller number is in a list, comparing national forms (``+86138...`` = ``138...``)."""
    target = _national(number)
    return bool(target) and any(_national(n) == target for n in numbers)


def _national(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    if number.strip().startswith("+86") or (digits.startswith("86") and len(digits) == 13):
        digits = digits[2:]
    return digits.lstrip("0") if len(digits) > 8 else digits


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _iso_local(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()
