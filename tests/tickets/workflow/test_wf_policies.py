"""SLA clock, priority derivation, automatic assignment and escalation steps (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tickets.workflow.assignment import Route, pick_member, route_for
from tickets.workflow.domain import TicketState
from tickets.workflow.escalation import reached_steps, recipients
from tickets.workflow.priority import derive_priority
from tickets.workflow.rules import load_rules
from tickets.workflow.sla import effective_due, is_overdue, sla_due
from tickets.workflow.vocab import PRIORITY_ORDER, Priority, Severity, Status, TicketType, Tier

RULES = load_rules()
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_sla_due_uses_type_priority_and_tier():
    due = sla_due(RULES.sla, start=T0, ticket_type=TicketType.COMPLAINT, priority=Priority.URGENT,
                  tier=Tier.GOLD)
    assert due == T0 + timedelta(hours=3)


@given(st.sampled_from(list(TicketType)), st.sampled_from(list(Tier)),
       st.sampled_from(PRIORITY_ORDER), st.sampled_from(PRIORITY_ORDER))
def test_property_sla_due_is_monotone_in_priority(ticket_type, tier, p1, p2):
    lo, hi = sorted((p1, p2), key=PRIORITY_ORDER.index)
    due_lo = sla_due(RULES.sla, start=T0, ticket_type=ticket_type, priority=lo, tier=tier)
    due_hi = sla_due(RULES.sla, start=T0, ticket_type=ticket_type, priority=hi, tier=tier)
    assert due_hi <= due_lo


def test_pending_ticket_is_never_overdue_and_its_effective_due_moves_with_the_pause():
    state = TicketState(Status.PENDING_CUSTOMER, sla_due_at=T0, sla_paused_at=T0 - timedelta(hours=1))
    now = T0 + timedelta(hours=5)
    assert not is_overdue(state, now=now)
    assert effective_due(state, now=now) == T0 + timedelta(hours=6)
    running = TicketState(Status.IN_PROGRESS, sla_due_at=T0)
    assert is_overdue(running, now=T0)
    assert not is_overdue(running, now=T0 - timedelta(seconds=1))
    assert not is_overdue(TicketState(Status.RESOLVED, sla_due_at=T0), now=now)


def test_critical_complaint_is_urgent_and_vip_at_least_high():
    p = RULES.priority
    assert derive_priority(p, ticket_type=TicketType.COMPLAINT, requested=Priority.LOW,
                           severity=Severity.CRITICAL) is Priority.URGENT
    assert derive_priority(p, ticket_type=TicketType.INQUIRY, tier=Tier.VIP) is Priority.HIGH
    assert derive_priority(p, ticket_type=TicketType.INQUIRY, tier=Tier.STANDARD) is Priority.NORMAL
    assert derive_priority(p, ticket_type=TicketType.INQUIRY, requested=Priority.LOW) is Priority.LOW
    assert derive_priority(p, ticket_type=TicketType.COMPLAINT, severity=Severity.LOW) is Priority.HIGH


@given(st.sampled_from(list(TicketType)), st.none() | st.sampled_from(PRIORITY_ORDER),
       st.none() | st.sampled_from(list(Severity)), st.none() | st.sampled_from(list(Tier)))
def test_property_derived_priority_is_never_below_the_request(ticket_type, requested, severity, tier):
    got = derive_priority(RULES.priority, ticket_type=ticket_type, requested=requested, severity=severity,
                          tier=tier)
    if requested is not None:
        assert PRIORITY_ORDER.index(got) >= PRIORITY_ORDER.index(requested)


def _route(ticket_type: TicketType, category: str | None) -> Route:
    route = route_for(RULES, ticket_type=ticket_type, category=category)
    assert route is not None
    return route


def test_routes_follow_the_first_matching_rule():
    assert _route(TicketType.COMPLAINT, "billing").team == "complaints"
    installation = _route(TicketType.REPAIR, "Installation")
    assert installation.team == "installers" and installation.strategy == "queue"
    assert _route(TicketType.REPAIR, None).team == "repairs"
    assert _route(TicketType.INQUIRY, "x").team == "service"


def test_pick_member_strategies():
    members = ("a", "b", "c")
    assert pick_member(members, "least_loaded", loads={"a": 2, "b": 1, "c": 1}) == "b"
    assert pick_member(members, "least_loaded", loads={}) == "a"
    assert pick_member(members, "round_robin", last_assigned="c") == "a"
    assert pick_member(members, "round_robin", last_assigned="a") == "b"
    assert pick_member(members, "round_robin", last_assigned="gone") == "a"
    assert pick_member(members, "queue") is None
    assert pick_member((), "least_loaded") is None


def test_escalation_steps_reached_once_each():
    steps = RULES.escalation.steps
    assert reached_steps(steps, sla_due_at=T0, now=T0 - timedelta(minutes=1), level=0) == []
    assert [s.level for s in reached_steps(steps, sla_due_at=T0, now=T0, level=0)] == [1]
    late = T0 + timedelta(hours=9)
    assert [s.level for s in reached_steps(steps, sla_due_at=T0, now=late, level=0)] == [1, 2]
    assert [s.level for s in reached_steps(steps, sla_due_at=T0, now=late, level=1)] == [2]
    assert reached_steps(steps, sla_due_at=T0, now=late, level=2) == []


def test_escalation_recipients():
    one, two = RULES.escalation.steps
    assert recipients(RULES, one, team="repairs", assignee="agent_zhao") == ["agent_zhao", "sup_chen"]
    assert recipients(RULES, two, team="repairs", assignee="agent_zhao") == ["sup_chen", "admin"]
    assert recipients(RULES, one, team=None, assignee=None) == ["admin"]
