"""Hypothesis invariants of the decision core over random event sequences.

- no agent is reserved for two calls (an OfferCall never goes to an agent whose last one is not
  released);
- a call is only offered to an agent meeting its current requirements;
- at each offer, no better-ranked call the agent may take waits (higher effective priority + queue
  weight first, FIFO within one), sticky offers aside;
- after every event, no offerable agent stays idle while a call they may take waits (outside a
  sticky window held for another agent);
- every call ends answered, overflowed (callback, voicemail) or abandoned.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.core import RoutingCore
from routing.decisions import Decision, OfferCall, RecordJourney, ReleaseAgent
from routing.domain import (
    Agent,
    AgentState,
    Call,
    CallAttributes,
    CallStatus,
    DeviceState,
    EscalationStep,
    OverflowAction,
    PriorityRules,
    RoutingConfig,
    Sticky,
    Strategy,
    StrategyName,
)
from routing.domain import Overflow as OverflowRule
from routing.events import (
    AgentRinging,
    CallbackRequested,
    CallEnded,
    CallEntered,
    CallerHungUp,
    DeviceStateChanged,
    EndWrapUp,
    Input,
    LogIn,
    LogOut,
    OfferAnswered,
    OfferFailed,
    Pause,
    ReservationLost,
    Tick,
    Unpause,
)
from routing.ordering import cross_queue_rank
from tests.routing.builders import T0, agent, queue, skills

QUEUES = [
    queue("sales", skills=skills(sales=5), weight=2, max_wait=120, ring_timeout=10, wrapup_seconds=5,
          announce_interval=20, overflow=OverflowRule(OverflowAction.QUEUE, "general"),
          escalation=(EscalationStep(after=30, lower_proficiency=3),
                      EscalationStep(after=60, accept_skills=skills(general=2)))),
    queue("support", skills=skills(support=3), teams=frozenset({"t1"}), max_wait=90, ring_timeout=8,
          strategy=Strategy(((StrategyName.BEST_PROFICIENCY, 1.0), (StrategyName.LONGEST_IDLE, 1.0)),
                            Sticky(days=1, seconds=15)),
          escalation=(EscalationStep(after=20, add_teams=frozenset({"t2"})),),
          overflow=OverflowRule(OverflowAction.CALLBACK)),
    queue("general", max_wait=200, wrapup_seconds=0, ageing_per_minute=3,
          strategy=Strategy(((StrategyName.ROUND_ROBIN, 1.0),)),
          overflow=OverflowRule(OverflowAction.VOICEMAIL)),
]
AGENTS = [
    agent("a1", {"sales": 1, "general": 2}, skills=skills(sales=7, general=3), teams=frozenset({"t1"})),
    agent("a2", {"sales": 1, "support": 1}, skills=skills(sales=3, support=5), teams=frozenset({"t2"})),
    agent("a3", ["support", "general"], skills=skills(support=9, general=1), teams=frozenset({"t1"})),
    agent("a4", ["general"], skills=skills(general=5)),
    agent("a5", ["sales", "support", "general"], skills=skills(sales=5, support=3, general=2),
          teams=frozenset({"t1", "t2"})),
]
IDS = [a.agent_id for a in AGENTS]


class CheckedCore(RoutingCore):
    """The core, checking the ordering invariant at the moment of every offer."""

    def _offer(self, call: Call, agent: Agent, now: float, out: list[Decision]) -> None:
        assert self.eligible(agent, call), "offered to an agent not meeting the call's requirements"
        if call.sticky_agent != agent.profile.agent_id:
            rank = cross_queue_rank(call, self.queues[call.queue], now)
            for better in self._eligible_waiting(agent, now):
                if better is not call:
                    assert cross_queue_rank(better, self.queues[better.queue], now) > rank, (
                        f"{call.call_id} offered to {agent.profile.agent_id} before better {better.call_id}")
        super()._offer(call, agent, now, out)

    def _eligible_waiting(self, agent: Agent, now: float) -> list[Call]:
        found = []
        for ms in agent.profile.queues:
            for entry in self.waiting[ms.queue]:
                call = self.calls[entry[4]]
                if self.in_sticky_window(call, now) and call.sticky_agent != agent.profile.agent_id:
                    continue
                if self.eligible(agent, call):
                    found.append(call)
        return found


def new_core() -> CheckedCore:
    return CheckedCore(RoutingConfig(
        queues=tuple(QUEUES), agents=tuple(AGENTS), missed_retry_seconds=3,
        priority=PriorityRules(tiers=(("vip", 20),), intents=(("complaint", 8),)),
    ))


step = st.tuples(st.integers(0, 15), st.integers(0, 1000), st.integers(0, 1000),
                 st.floats(0, 40, allow_nan=False))


class Run:
    def __init__(self) -> None:
        self.core = new_core()
        self.now = T0
        self.entered: list[str] = []
        self.reserved: dict[str, str] = {}  # agent → call, from OfferCall until ReleaseAgent
        self.journey: dict[str, list[str]] = {}

    def apply(self, event: Input) -> None:
        if isinstance(event, ReservationLost) and self.reserved.get(event.agent_id) == event.call_id:
            del self.reserved[event.agent_id]  # the store refused it: that offer was never carried out
        out = self.core.handle(event, self.now)
        for decision in out:
            if isinstance(decision, ReleaseAgent):
                self.reserved.pop(decision.agent_id, None)
            elif isinstance(decision, OfferCall):
                held = self.reserved.get(decision.agent_id)
                assert held is None, f"{decision.agent_id} offered {decision.call_id} while holding {held}"
                self.reserved[decision.agent_id] = decision.call_id
            elif isinstance(decision, RecordJourney):
                self.journey.setdefault(decision.call_id, []).append(decision.step)
        self.check_state()

    def check_state(self) -> None:
        c = self.core
        holders: dict[str, str] = {}
        for call in c.calls.values():
            if call.agent_id is not None:
                assert call.agent_id not in holders, f"{call.agent_id} holds two calls"
                holders[call.agent_id] = call.call_id
        for idle in c.agents.values():
            if not c.is_offerable(idle, self.now) or idle.call_id is not None:
                continue
            for ms in idle.profile.queues:
                for entry in c.waiting[ms.queue]:
                    call = c.calls[entry[4]]
                    if c.in_sticky_window(call, self.now) and call.sticky_agent != idle.profile.agent_id:
                        continue
                    assert not c.eligible(idle, call), (
                        f"{idle.profile.agent_id} idle while {call.call_id} ({ms.queue}) waits for them")

    def event(self, kind: int, a: int, b: int) -> Input:
        c = self.core
        agent_id = IDS[a % len(IDS)]
        calls = sorted(c.calls)
        offered = sorted(x.call_id for x in c.calls.values() if x.status is CallStatus.OFFERED)
        connected = sorted(x.call_id for x in c.calls.values() if x.status is CallStatus.CONNECTED)
        if kind <= 3:
            call_id = f"c{len(self.entered)}"
            self.entered.append(call_id)
            last: dict[str, Any] = {}
            if b % 3 == 0:
                last = {"last_agent": IDS[b % len(IDS)], "last_agent_at": self.now - 3600}
            return CallEntered(CallAttributes(
                call_id=call_id, queue=QUEUES[b % 3].name, tier="vip" if b % 5 == 0 else None,
                intent="complaint" if b % 7 == 0 else None, priority=(b % 4) if b % 2 else None, **last))
        if kind in (4, 5) and offered:
            call = c.calls[offered[b % len(offered)]]
            return OfferAnswered(call.call_id, call.agent_id or "")
        if kind == 6 and offered:
            call = c.calls[offered[b % len(offered)]]
            agent_id = call.agent_id or ""
            if a % 3 == 0:
                return AgentRinging(call.call_id, agent_id)
            if a % 3 == 1:
                return OfferFailed(call.call_id, agent_id)
            return ReservationLost(call.call_id, agent_id)
        if kind == 7 and connected:
            return CallEnded(connected[b % len(connected)])
        if kind == 8 and calls:
            return CallerHungUp(calls[b % len(calls)]) if a % 4 else CallbackRequested(calls[b % len(calls)])
        if kind == 9:
            return LogIn(agent_id)
        if kind == 10:
            if b % 3 == 0:
                return LogOut(agent_id)
            return Unpause(agent_id) if b % 3 == 1 else EndWrapUp(agent_id)
        if kind == 11:
            return Pause(agent_id, "break")
        if kind == 12:
            return DeviceStateChanged(agent_id, [DeviceState.NOT_INUSE, DeviceState.INUSE,
                                                 DeviceState.UNAVAILABLE, DeviceState.NOT_INUSE][b % 4])
        return Tick()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=30, max_size=250))
def test_invariants_hold_over_random_event_sequences(steps: list[tuple[int, int, int, float]]) -> None:
    run = Run()
    for kind, a, b, dt in steps:
        run.now += dt
        run.apply(run.event(kind, a, b))
    # Drain: everyone works, offers are answered, calls end; time moves on.
    for agent_id in IDS:
        run.apply(DeviceStateChanged(agent_id, DeviceState.NOT_INUSE))
        run.apply(LogIn(agent_id))
        run.apply(Unpause(agent_id))
    for _ in range(400):
        if not run.core.calls:
            break
        for call in list(run.core.calls.values()):
            if call.status is CallStatus.OFFERED:
                run.apply(OfferAnswered(call.call_id, call.agent_id or ""))
            elif call.status is CallStatus.CONNECTED:
                run.apply(CallEnded(call.call_id))
        for agent_id in IDS:
            if run.core.agents[agent_id].state is AgentState.PAUSED:
                run.apply(Unpause(agent_id))
        run.now += 7
        run.apply(Tick())
    assert run.core.calls == {}, "calls left waiting forever"
    for call_id in run.entered:
        steps_of = run.journey.get(call_id, [])
        assert {"answered", "abandoned", "overflowed"} & set(steps_of), (call_id, steps_of)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=60))
def test_with_no_agent_every_call_still_leaves_by_overflow(seeds: list[int]) -> None:
    run = Run()
    for i, b in enumerate(seeds):
        run.now += b % 17
        run.apply(CallEntered(CallAttributes(call_id=f"c{i}", queue=QUEUES[b % 3].name)))
    for _ in range(100):
        run.now += 10
        run.apply(Tick())
    assert run.core.calls == {}
    assert all(run.journey[f"c{i}"][-1] == "overflowed" for i in range(len(seeds)))
