"""The pure decision core: strategies, priorities, escalation, overflow, ring-no-answer, wrap-up."""

from __future__ import annotations

import pytest

from routing.core import RoutingCore
from routing.decisions import (
    Announce,
    CancelOffer,
    OfferCallback,
    Overflow,
    PauseAgent,
    Publish,
    RecordJourney,
    Refused,
    ReleaseAgent,
    SendToVoicemail,
)
from routing.domain import (
    AgentState,
    DeviceState,
    EscalationStep,
    OverflowAction,
    Sticky,
    Strategy,
    StrategyName,
)
from routing.domain import Overflow as OverflowRule
from routing.events import (
    AgentRinging,
    CallbackRequested,
    CallEnded,
    CallerHungUp,
    DeviceStateChanged,
    EndWrapUp,
    LogIn,
    LogOut,
    OfferAnswered,
    OfferFailed,
    Pause,
    RemoveAgent,
    ReservationLost,
    Tick,
    UpsertAgent,
    UpsertQueue,
)
from routing.messages import AgentStateChanged, CallOffered
from tests.routing.builders import T0, agent, core, enter, log_in, offers, queue, skills


def answer_and_end(c: RoutingCore, call_id: str, agent_id: str, at: float, talk: float) -> None:
    c.handle(AgentRinging(call_id, agent_id), at)
    c.handle(OfferAnswered(call_id, agent_id), at)
    c.handle(CallEnded(call_id), at + talk)


def test_given_two_idle_agents_when_a_call_enters_then_the_longest_idle_is_offered_it() -> None:
    c = core([queue("q")], [agent("a", ["q"]), agent("b", ["q"])])
    log_in(c, "b", now=T0)
    log_in(c, "a", now=T0 + 5)
    assert offers(enter(c, "c1", "q", T0 + 10)) == [("c1", "b")]
    assert c.agents["b"].state is AgentState.RESERVED


def test_a_call_goes_only_to_an_agent_with_the_skill_at_the_minimum_proficiency() -> None:
    c = core([queue("q", skills=skills(billing=5))],
             [agent("low", ["q"], skills=skills(billing=4)), agent("ok", ["q"], skills=skills(billing=5))])
    log_in(c, "low", "ok")
    assert offers(enter(c, "c1", "q", T0 + 1)) == [("c1", "ok")]
    assert offers(enter(c, "c2", "q", T0 + 2)) == []


def test_best_proficiency_prefers_the_most_skilled_agent() -> None:
    c = core([queue("q", skills=skills(repair=3), strategy=Strategy(((StrategyName.BEST_PROFICIENCY, 1),)))],
             [agent("a", ["q"], skills=skills(repair=4)), agent("b", ["q"], skills=skills(repair=9))])
    log_in(c, "a", "b")
    assert offers(enter(c, "c1", "q", T0 + 1)) == [("c1", "b")]


def test_fewest_calls_and_least_talk_time_prefer_the_least_occupied_agent() -> None:
    for name in (StrategyName.FEWEST_CALLS, StrategyName.LEAST_TALK_TIME):
        c = core([queue("q", wrapup_seconds=0, strategy=Strategy(((name, 1),)))],
                 [agent("a", ["q"]), agent("b", ["q"])])
        log_in(c, "a", "b")
        first = offers(enter(c, "c1", "q", T0 + 1))[0][1]
        answer_and_end(c, "c1", first, T0 + 1, 60)
        other = "b" if first == "a" else "a"
        assert offers(enter(c, "c2", "q", T0 + 100)) == [("c2", other)]


def test_round_robin_offers_each_agent_in_turn() -> None:
    c = core([queue("q", wrapup_seconds=0, strategy=Strategy(((StrategyName.ROUND_ROBIN, 1),)))],
             [agent(x, ["q"]) for x in "abc"])
    log_in(c, "a", "b", "c")
    got = []
    for i in range(6):
        (call_id, agent_id), = offers(enter(c, f"c{i}", "q", T0 + 10 * i + 1))
        answer_and_end(c, call_id, agent_id, T0 + 10 * i + 1, 1)
        got.append(agent_id)
    assert got == ["a", "b", "c", "a", "b", "c"]


def test_a_weighted_strategy_combines_idle_time_and_proficiency() -> None:
    weights = ((StrategyName.LONGEST_IDLE, 1.0), (StrategyName.BEST_PROFICIENCY, 3.0))
    c = core([queue("q", skills=skills(s=1), strategy=Strategy(weights))],
             [agent("idle", ["q"], skills=skills(s=2)), agent("expert", ["q"], skills=skills(s=10))])
    log_in(c, "idle", now=T0)
    log_in(c, "expert", now=T0 + 50)
    assert offers(enter(c, "c1", "q", T0 + 60)) == [("c1", "expert")]


def test_the_agents_per_queue_priority_comes_before_the_strategy() -> None:
    c = core([queue("q")], [agent("second", {"q": 2}), agent("first", {"q": 1})])
    log_in(c, "second", now=T0)
    log_in(c, "first", now=T0 + 30)
    assert offers(enter(c, "c1", "q", T0 + 31)) == [("c1", "first")]


def test_vip_and_complaint_calls_are_offered_before_standard_ones_then_fifo() -> None:
    c = core([queue("q", ageing_per_minute=0, ring_timeout=100)], [agent("a", ["q"])])
    enter(c, "std1", "q", T0)
    enter(c, "std2", "q", T0 + 1)
    enter(c, "complaint", "q", T0 + 2, intent="complaint")
    enter(c, "vip", "q", T0 + 3, tier="vip")
    order = []
    out = log_in(c, "a", now=T0 + 10)
    for i in range(4):
        (call_id, agent_id), = offers(out)
        order.append(call_id)
        c.handle(OfferAnswered(call_id, agent_id), T0 + 20 * i + 11)
        out = c.handle(CallEnded(call_id), T0 + 20 * i + 12)
        out += c.handle(EndWrapUp("a"), T0 + 20 * i + 13)
    assert order == ["vip", "complaint", "std1", "std2"]


def test_ageing_lets_an_old_low_priority_call_pass_a_new_higher_one() -> None:
    c = core([queue("q", ageing_per_minute=1.0, max_wait=3600)], [agent("a", ["q"])])
    enter(c, "old", "q", T0)  # priority 0, waits 20 minutes: effective 20
    enter(c, "new", "q", T0 + 1200, priority=15)
    assert offers(log_in(c, "a", now=T0 + 1200)) == [("old", "a")]


def test_between_queues_queue_weight_and_effective_priority_decide() -> None:
    c = core([queue("light", ageing_per_minute=0), queue("heavy", weight=5, ageing_per_minute=0)],
             [agent("a", ["light", "heavy"])])
    enter(c, "l1", "light", T0, priority=3)
    enter(c, "h1", "heavy", T0 + 1)
    assert offers(log_in(c, "a", now=T0 + 2)) == [("h1", "a")]  # 0 + 5 beats 3 + 0


def test_a_call_that_may_not_reach_an_agent_yet_never_holds_back_another_queues_call() -> None:
    # asterisk/asterisk#1561: a heavier queue's call the agent may not take yet blocked the lighter queue.
    c = core([queue("vip", weight=100, skills=skills(s=9),
                    escalation=(EscalationStep(after=60, lower_proficiency=5),)),
              queue("std")],
             [agent("a", ["vip", "std"], skills=skills(s=5))])
    enter(c, "v1", "vip", T0)
    enter(c, "s1", "std", T0 + 1)
    assert offers(log_in(c, "a", now=T0 + 2)) == [("s1", "a")]


def test_escalation_lowers_the_minimum_proficiency_after_its_time() -> None:
    c = core([queue("q", skills=skills(s=8), escalation=(EscalationStep(after=30, lower_proficiency=3),))],
             [agent("a", ["q"], skills=skills(s=5))])
    log_in(c, "a")
    assert offers(enter(c, "c1", "q", T0 + 1)) == []
    assert offers(c.handle(Tick(), T0 + 30)) == []
    assert offers(c.handle(Tick(), T0 + 31)) == [("c1", "a")]


def test_escalation_accepts_more_skills_and_widens_the_team() -> None:
    c = core([queue("q", skills=skills(billing=5), teams=frozenset({"care"}),
                    escalation=(EscalationStep(after=10, accept_skills=skills(general=3)),
                                EscalationStep(after=20, add_teams=frozenset({"support"}))))],
             [agent("gen", ["q"], skills=skills(general=4), teams=frozenset({"care"})),
              agent("sup", ["q"], skills=skills(billing=9), teams=frozenset({"support"}))])
    log_in(c, "gen", "sup")
    enter(c, "c1", "q", T0 + 1)
    enter(c, "c2", "q", T0 + 2)
    assert offers(c.handle(Tick(), T0 + 11)) == [("c1", "gen")]
    assert offers(c.handle(Tick(), T0 + 22)) == [("c2", "sup")]


def test_after_the_maximum_wait_a_call_overflows_to_its_target_queue() -> None:
    c = core([queue("a", max_wait=60, overflow=OverflowRule(OverflowAction.QUEUE, "b")), queue("b")],
             [agent("x", ["b"])])
    enter(c, "c1", "a", T0)
    assert c.handle(Tick(), T0 + 59) == []
    out = c.handle(Tick(), T0 + 60)
    assert Overflow("c1", "a", "b") in out
    assert c.calls["c1"].queue == "b"
    assert offers(log_in(c, "x", now=T0 + 61)) == [("c1", "x")]


def test_after_the_maximum_wait_a_call_is_offered_a_callback_or_voicemail() -> None:
    c = core([queue("cb", max_wait=10, overflow=OverflowRule(OverflowAction.CALLBACK)),
              queue("vm", max_wait=10, overflow=OverflowRule(OverflowAction.VOICEMAIL, "1000"))], [])
    enter(c, "c1", "cb", T0)
    enter(c, "c2", "vm", T0)
    out = c.handle(Tick(), T0 + 10)
    assert OfferCallback("c1", "cb") in out and SendToVoicemail("c2", "vm", "1000") in out
    assert c.calls == {}
    stats = c.statistics(T0 + 10)
    assert stats.total.overflowed == 2


def test_ring_no_answer_pauses_the_agent_missed_and_requeues_the_call_at_the_head_not_to_them() -> None:
    c = core([queue("q", ring_timeout=15, ageing_per_minute=0)], [agent("a", ["q"]), agent("b", ["q"])])
    log_in(c, "a")
    enter(c, "c1", "q", T0 + 1)
    enter(c, "vip", "q", T0 + 2, tier="vip")
    c.handle(AgentRinging("c1", "a"), T0 + 2)
    out = c.handle(Tick(), T0 + 16)
    assert CancelOffer("c1", "a") in out and PauseAgent("a", "missed") in out
    assert c.agents["a"].state is AgentState.PAUSED and c.agents["a"].reason == "missed"
    assert c.position(c.calls["c1"]) == 1  # ahead of the VIP call that arrived meanwhile
    assert offers(log_in(c, "b", now=T0 + 17)) == [("c1", "b")]
    c.handle(CallerHungUp("c1"), T0 + 18)
    assert c.calls["vip"].agent_id == "b"


def test_a_failed_agent_leg_counts_as_a_miss() -> None:
    c = core([queue("q")], [agent("a", ["q"])])
    log_in(c, "a")
    enter(c, "c1", "q", T0)
    out = c.handle(OfferFailed("c1", "a", "busy"), T0 + 1)
    assert PauseAgent("a", "missed") in out and c.calls["c1"].tried == {"a"}


def test_after_a_call_the_agent_wraps_up_for_the_queues_time_or_ends_it_early() -> None:
    c = core([queue("q", wrapup_seconds=30)], [agent("a", ["q"])])
    log_in(c, "a")
    enter(c, "c1", "q", T0)
    answer_and_end(c, "c1", "a", T0 + 1, 60)
    assert c.agent_snapshot("a", T0 + 61).state == "wrap_up"
    enter(c, "c2", "q", T0 + 70)
    assert offers(c.handle(Tick(), T0 + 90)) == []
    assert offers(c.handle(Tick(), T0 + 91)) == [("c2", "a")]
    answer_and_end(c, "c2", "a", T0 + 92, 10)
    out = c.handle(EndWrapUp("a"), T0 + 103)
    assert ReleaseAgent("a", "c2") in out and c.agents["a"].state is AgentState.AVAILABLE


def test_a_phone_busy_outside_our_calls_is_not_offered_calls() -> None:
    c = core([queue("q")], [agent("a", ["q"])])
    log_in(c, "a")
    c.handle(DeviceStateChanged("a", DeviceState.INUSE), T0)
    assert offers(enter(c, "c1", "q", T0 + 1)) == []
    assert offers(c.handle(DeviceStateChanged("a", DeviceState.NOT_INUSE), T0 + 2)) == [("c1", "a")]


def test_the_sticky_agent_is_offered_the_call_first_for_the_window_only() -> None:
    sticky = Strategy(sticky=Sticky(days=7, seconds=20))
    c = core([queue("q", strategy=sticky)], [agent("last", ["q"]), agent("other", ["q"])])
    log_in(c, "other")
    enter(c, "c1", "q", T0, last_agent="last", last_agent_at=T0 - 86400)
    enter(c, "c2", "q", T0 + 1)  # the sticky call does not hold this one back
    assert c.calls["c2"].agent_id == "other"
    c.handle(OfferAnswered("c2", "other"), T0 + 2)
    assert offers(log_in(c, "last", now=T0 + 5)) == [("c1", "last")]


def test_after_the_sticky_window_anyone_may_take_the_call_and_an_old_last_agent_is_ignored() -> None:
    c = core([queue("q", strategy=Strategy(sticky=Sticky(days=7, seconds=20)))],
             [agent("last", ["q"]), agent("other", ["q"])])
    log_in(c, "other")
    assert offers(enter(c, "c1", "q", T0, last_agent="last", last_agent_at=T0 - 3600)) == []
    assert offers(c.handle(Tick(), T0 + 20)) == [("c1", "other")]
    c.handle(CallerHungUp("c1"), T0 + 21)
    out = enter(c, "c2", "q", T0 + 22, last_agent="last", last_agent_at=T0 - 8 * 86400)
    assert offers(out) == [("c2", "other")]


def test_waiting_callers_hear_their_position_and_estimated_wait() -> None:
    c = core([queue("q", announce_interval=30, default_handle_seconds=120, ring_timeout=60)],
             [agent("a", ["q"]), agent("b", ["q"])])
    log_in(c, "a", "b")
    for i in range(4):
        enter(c, f"c{i}", "q", T0 + i * 0.1)
    out = c.handle(Tick(), T0 + 31)
    announced = {x.call_id: x for x in out if isinstance(x, Announce)}
    assert set(announced) == {"c2", "c3"}
    assert announced["c3"].position == 2 and announced["c3"].estimated_wait == pytest.approx(2 * 120 / 2)


def test_statistics_count_service_level_asa_aht_and_leave_short_abandons_out() -> None:
    c = core([queue("q", service_level_seconds=20, wrapup_seconds=10)], [agent("a", ["q"])],
             short_abandon_seconds=5)
    enter(c, "fast", "q", T0)
    enter(c, "slow", "q", T0)
    enter(c, "short", "q", T0)
    enter(c, "gone", "q", T0)
    c.handle(CallerHungUp("short"), T0 + 3)
    log_in(c, "a", now=T0 + 10)
    answer_and_end(c, "fast", "a", T0 + 10, 50)
    c.handle(CallerHungUp("gone"), T0 + 30)
    c.handle(Tick(), T0 + 70)
    answer_and_end(c, "slow", "a", T0 + 70, 30)
    c.handle(EndWrapUp("a"), T0 + 105)
    s = c.queue_statistics("q", T0 + 105)
    assert (s.offered, s.answered, s.abandoned, s.short_abandoned, s.answered_in_sl) == (4, 2, 2, 1, 1)
    assert s.service_level == pytest.approx(100 * 1 / 3)
    assert s.asa == pytest.approx((10 + 70) / 2)
    assert s.aht == pytest.approx((50 + 10 + 30 + 5) / 2)
    assert s.agents.available == 1


def test_a_reservation_lost_to_another_instance_holds_the_agent_back_briefly() -> None:
    c = core([queue("q")], [agent("a", ["q"]), agent("b", ["q"])], missed_retry_seconds=2)
    log_in(c, "a", now=T0)
    log_in(c, "b", now=T0 + 1)
    enter(c, "c1", "q", T0 + 5)
    out = c.handle(ReservationLost("c1", "a"), T0 + 5)
    assert offers(out) == [("c1", "b")]
    enter(c, "c2", "q", T0 + 6)
    assert c.calls["c2"].agent_id is None
    assert offers(c.handle(Tick(), T0 + 7)) == [("c2", "a")]


def test_a_pause_during_a_call_takes_effect_after_wrap_up() -> None:
    c = core([queue("q", wrapup_seconds=5)], [agent("a", ["q"])])
    log_in(c, "a")
    enter(c, "c1", "q", T0)
    c.handle(OfferAnswered("c1", "a"), T0 + 1)
    c.handle(Pause("a", "lunch"), T0 + 2)
    c.handle(CallEnded("c1"), T0 + 3)
    c.handle(Tick(), T0 + 8)
    assert (c.agents["a"].state, c.agents["a"].reason) == (AgentState.PAUSED, "lunch")


def test_a_caller_who_asks_for_a_callback_leaves_the_queue() -> None:
    c = core([queue("q")], [])
    enter(c, "c1", "q", T0)
    assert OfferCallback("c1", "q") in c.handle(CallbackRequested("c1"), T0 + 3)
    assert c.waiting["q"] == []


def test_the_journey_records_entered_offered_no_answer_answered_ended() -> None:
    c = core([queue("q", ring_timeout=5, wrapup_seconds=0)], [agent("a", ["q"]), agent("b", ["q"])])
    log_in(c, "a")
    out = enter(c, "c1", "q", T0)
    out += c.handle(Tick(), T0 + 5)
    out += log_in(c, "b", now=T0 + 6)
    out += c.handle(OfferAnswered("c1", "b"), T0 + 7)
    out += c.handle(CallEnded("c1"), T0 + 20)
    steps = [(x.step, x.agent_id) for x in out if isinstance(x, RecordJourney)]
    assert steps == [("entered", None), ("offered", "a"), ("no_answer", "a"), ("offered", "b"),
                     ("answered", "b"), ("ended", "b")]


def test_bus_messages_serialise_to_json_with_their_type() -> None:
    c = core([queue("q")], [agent("a", ["q"])])
    out = log_in(c, "a") + enter(c, "c1", "q", T0 + 1, caller_name="张三丰", caller_number="13800138000")
    messages = [x.message for x in out if isinstance(x, Publish)]
    assert any(isinstance(msg, AgentStateChanged) for msg in messages)
    offered = next(msg for msg in messages if isinstance(msg, CallOffered))
    assert '"type":"call_offered"' in offered.to_json() and "张三丰" in offered.to_json()
    assert '"type":"statistics"' in c.statistics(T0 + 2).to_json()
    assert c.queue_snapshot("q", T0 + 2).to_dict()["stats"]["agents"]["reserved"] == 1
    assert c.agent_snapshot("a", T0 + 2).to_dict()["state"] == "reserved"


def test_unknown_queues_and_agents_are_refused_with_a_clear_error_and_change_nothing() -> None:
    c = core([queue("q")], [agent("a", ["q"])])
    refused = Refused("CallEntered", "no-such-queue", "unknown queue 'nope'", "c1")
    assert enter(c, "c1", "nope", T0) == [refused]
    assert log_in(c, "zz") == [Refused("LogIn", "no-such-agent", "unknown agent 'zz'", "zz")]
    assert c.handle(Pause("a"), T0) == [Refused("Pause", "agent-logged-out", "agent 'a' is logged out", "a")]
    assert c.calls == {} and c.agents["a"].state is AgentState.LOGGED_OUT


def test_a_queue_change_at_run_time_lets_a_waiting_call_reach_an_idle_agent_at_once() -> None:
    c = core([queue("q", skills=skills(s=8))], [agent("a", ["q"], skills=skills(s=5))])
    log_in(c, "a")
    enter(c, "c1", "q", T0)
    out = c.handle(UpsertQueue(queue("q", skills=skills(s=5))), T0 + 1)
    assert offers(out) == [("c1", "a")]


def test_an_agent_given_a_skill_at_run_time_takes_the_call_waiting_for_it() -> None:
    c = core([queue("q", skills=skills(repair=4))], [agent("a", ["q"])])
    log_in(c, "a")
    enter(c, "c1", "q", T0)
    out = c.handle(UpsertAgent(agent("a", ["q"], skills=skills(repair=6))), T0 + 1)
    assert offers(out) == [("c1", "a")]
    assert c.agents["a"].state is AgentState.RESERVED


def test_logging_out_while_ringing_puts_the_call_back_at_the_head_for_someone_else() -> None:
    c = core([queue("q", ageing_per_minute=0)], [agent("a", ["q"]), agent("b", ["q"])])
    log_in(c, "a")
    enter(c, "c1", "q", T0)
    enter(c, "c2", "q", T0 + 1, tier="vip")
    c.handle(AgentRinging("c1", "a"), T0 + 1)
    out = c.handle(LogOut("a"), T0 + 2)
    assert CancelOffer("c1", "a") in out and c.agents["a"].state is AgentState.LOGGED_OUT
    assert c.position(c.calls["c1"]) == 1
    assert offers(log_in(c, "b", now=T0 + 3)) == [("c1", "b")]


def test_a_removed_agent_is_no_longer_offered_calls() -> None:
    c = core([queue("q")], [agent("a", ["q"])])
    log_in(c, "a")
    c.handle(RemoveAgent("a"), T0)
    assert "a" not in c.agents and offers(enter(c, "c1", "q", T0 + 1)) == []
    assert c.handle(LogIn("a"), T0 + 2)[0] == Refused("LogIn", "no-such-agent", "unknown agent 'a'", "a")


def test_device_states_of_our_own_call_do_not_make_the_agent_unofferable_afterwards() -> None:
    c = core([queue("q", wrapup_seconds=0)], [agent("a", ["q"])])
    log_in(c, "a")
    enter(c, "c1", "q", T0)
    c.handle(DeviceStateChanged("a", DeviceState.RINGING), T0 + 1)
    c.handle(OfferAnswered("c1", "a"), T0 + 2)
    c.handle(DeviceStateChanged("a", DeviceState.INUSE), T0 + 2)
    c.handle(CallEnded("c1"), T0 + 30)
    c.handle(DeviceStateChanged("a", DeviceState.NOT_INUSE), T0 + 30)
    assert offers(enter(c, "c2", "q", T0 + 31)) == [("c2", "a")]
