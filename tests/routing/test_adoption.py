"""Calls adopted after an engine restart (``CallsAdopted``): they keep their entry time, so the one
ordering, ageing, escalation and the maximum wait go on from before."""

from __future__ import annotations

from routing.core import RoutingCore
from routing.decisions import OfferCallback, RecordJourney, Refused
from routing.domain import CallAttributes, EscalationStep, OverflowAction
from routing.domain import Overflow as OverflowRule
from routing.events import CallEnded, CallEntered, CallsAdopted, OfferAnswered, Tick
from tests.routing.builders import T0, agent, core, enter, log_in, offers, queue, skills


def adopted(call_id: str, queue_name: str, entered_at: float, tier: str | None = None) -> CallEntered:
    return CallEntered(CallAttributes(call_id=call_id, queue=queue_name, tier=tier), entered_at=entered_at)


def serve_one_by_one(c: RoutingCore, agent_id: str, at: float) -> list[str]:
    """The agent answers and ends each call offered, until none is left; the calls in order."""
    order: list[str] = []
    out = log_in(c, agent_id, now=at)
    while made := offers(out):
        call_id = made[0][0]
        order.append(call_id)
        at += 1
        c.handle(OfferAnswered(call_id, agent_id), at)
        at += 1
        out = c.handle(CallEnded(call_id), at)
    return order


def test_adopted_calls_keep_their_entry_time_so_they_are_served_before_newer_calls_vip_first() -> None:
    c = core([queue("q", wrapup_seconds=0)], [agent("a", ["q"])])
    enter(c, "new", "q", T0)  # entered this engine after the restart
    out = c.handle(CallsAdopted((adopted("old2", "q", T0 - 50), adopted("old1", "q", T0 - 60),
                                 adopted("vip", "q", T0 - 40, tier="vip"))), T0 + 1)
    assert c.calls["old1"].entered_at == T0 - 60 and c.calls["old1"].queue_entered_at == T0 - 60
    assert [x.detail for x in out if isinstance(x, RecordJourney) and x.step == "entered"] == ["adopted"] * 3
    assert serve_one_by_one(c, "a", T0 + 2) == ["vip", "old1", "old2", "new"]


def test_with_agents_free_the_batch_enters_first_and_the_best_calls_are_offered_not_the_first_found() -> None:
    c = core([queue("q")], [agent("a", ["q"]), agent("b", ["q"])])
    log_in(c, "a", "b")
    out = c.handle(CallsAdopted((adopted("c1", "q", T0 - 30), adopted("c2", "q", T0 - 20),
                                 adopted("v", "q", T0 - 10, tier="vip"))), T0)
    assert sorted(call for call, _ in offers(out)) == ["c1", "v"]
    assert c.position(c.calls["c2"]) == 1


def test_the_maximum_wait_and_escalation_count_from_the_first_entry() -> None:
    c = core([queue("cb", max_wait=120, overflow=OverflowRule(OverflowAction.CALLBACK)),
              queue("esc", skills=skills(s=8), escalation=(EscalationStep(after=30, lower_proficiency=3),))],
             [agent("x", ["esc"], skills=skills(s=5))])
    log_in(c, "x")
    out = c.handle(CallsAdopted((adopted("late", "cb", T0 - 150), adopted("relaxed", "esc", T0 - 40))), T0)
    assert offers(out) == [("relaxed", "x")]  # its escalation step was reached before the restart
    assert OfferCallback("late", "cb") in c.handle(Tick(), T0 + 0.5)


def test_a_call_the_core_distributes_already_is_left_as_it_is_and_an_unknown_queue_changes_nothing() -> None:
    c = core([queue("q")], [agent("a", ["q"])])
    enter(c, "c1", "q", T0)
    c.handle(CallsAdopted((adopted("c1", "q", T0 - 100),)), T0 + 1)
    assert c.calls["c1"].entered_at == T0
    out = c.handle(CallsAdopted((adopted("c2", "q", T0), adopted("c3", "nope", T0))), T0 + 2)
    assert [x.error_id for x in out if isinstance(x, Refused)] == ["no-such-queue"]
    assert set(c.calls) == {"c1"}
