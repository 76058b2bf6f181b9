"""The ticket status machine: allowed moves, their effects and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.workflow.domain import TRANSITIONS, IllegalTransition, TicketState, transition
from tickets.workflow.vocab import Status

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_given_new_ticket_when_agent_takes_it_then_in_progress_assigned_to_him_with_first_response():
    out = transition(TicketState(Status.NEW), Status.IN_PROGRESS, now=T0, actor="agent_wang")
    assert out.status is Status.IN_PROGRESS
    assert out.changes == {"status": Status.IN_PROGRESS, "assignee": "agent_wang", "first_response_at": T0}


def test_given_new_ticket_when_assigned_without_assignee_then_refused():
    with pytest.raises(IllegalTransition) as err:
        transition(TicketState(Status.NEW), Status.ASSIGNED, now=T0)
    assert err.value.details["reason"] == "an assignee is required"
    assert err.value.status_code == 409
    assert err.value.error_id == "illegal-transition"


def test_given_new_ticket_when_assigned_to_someone_then_assignee_set_and_no_first_response():
    out = transition(TicketState(Status.NEW), Status.ASSIGNED, now=T0, assignee="agent_zhao")
    assert out.changes == {"status": Status.ASSIGNED, "assignee": "agent_zhao"}


def test_given_new_ticket_when_closed_then_409_names_from_to_allowed_and_reason():
    with pytest.raises(IllegalTransition) as err:
        transition(TicketState(Status.NEW), Status.CLOSED, now=T0)
    assert err.value.details == {
        "from": "new",
        "to": "closed",
        "allowed": ["assigned", "in_progress", "resolved"],
        "reason": "a ticket is closed only after it is resolved",
    }
    assert "from 'new' to 'closed'" in err.value.message


def test_same_status_is_refused():
    with pytest.raises(IllegalTransition, match="already 'in_progress'"):
        transition(TicketState(Status.IN_PROGRESS, assignee="a"), Status.IN_PROGRESS, now=T0)


def test_given_assigned_when_returned_to_queue_then_assignee_cleared():
    out = transition(TicketState(Status.ASSIGNED, assignee="a"), Status.NEW, now=T0)
    assert out.changes == {"status": Status.NEW, "assignee": None}


def test_resolve_and_close_stamp_times():
    state = TicketState(Status.IN_PROGRESS, assignee="a", first_response_at=T0)
    resolved = transition(state, Status.RESOLVED, now=T0 + timedelta(hours=1))
    assert resolved.changes == {"status": Status.RESOLVED, "resolved_at": T0 + timedelta(hours=1)}
    closed = transition(resolved.apply_to(state), Status.CLOSED, now=T0 + timedelta(days=1))
    assert closed.changes == {"status": Status.CLOSED, "closed_at": T0 + timedelta(days=1)}


def test_given_closed_when_reopened_then_counted_times_cleared_and_fresh_sla():
    state = TicketState(
        Status.CLOSED, assignee="a", sla_due_at=T0, sla_breached_at=T0, escalation_level=2,
        first_response_at=T0, resolved_at=T0, closed_at=T0, reopened_count=1,
    )
    now = T0 + timedelta(days=3)
    out = transition(state, Status.IN_PROGRESS, now=now, reopen_sla_hours=24)
    assert out.reopened
    assert out.changes == {
        "status": Status.IN_PROGRESS,
        "reopened_count": 2,
        "resolved_at": None,
        "closed_at": None,
        "sla_due_at": now + timedelta(hours=24),
        "sla_breached_at": None,
        "escalation_level": 0,
    }


def test_given_resolved_when_reopened_keeping_sla_then_due_unchanged():
    state = TicketState(Status.RESOLVED, assignee="a", sla_due_at=T0, resolved_at=T0)
    out = transition(state, Status.ASSIGNED, now=T0 + timedelta(days=1))
    assert "sla_due_at" not in out.changes
    assert out.changes["reopened_count"] == 1


def test_pending_customer_pauses_the_sla_and_resuming_moves_due_by_the_pause():
    state = TicketState(Status.IN_PROGRESS, assignee="a", sla_due_at=T0 + timedelta(hours=8),
                        first_response_at=T0)
    paused = transition(state, Status.PENDING_CUSTOMER, now=T0 + timedelta(hours=2))
    assert paused.changes == {"status": Status.PENDING_CUSTOMER, "sla_paused_at": T0 + timedelta(hours=2)}
    resumed = transition(paused.apply_to(state), Status.IN_PROGRESS, now=T0 + timedelta(hours=5))
    assert resumed.changes == {
        "status": Status.IN_PROGRESS,
        "sla_paused_at": None,
        "sla_due_at": T0 + timedelta(hours=11),
    }


@pytest.mark.parametrize(
    ("current", "target"),
    [(Status.NEW, Status.PENDING_CUSTOMER), (Status.CLOSED, Status.RESOLVED), (Status.RESOLVED, Status.NEW),
     (Status.PENDING_CUSTOMER, Status.ASSIGNED)],
)
def test_moves_outside_the_workflow_are_refused(current: Status, target: Status) -> None:
    with pytest.raises(IllegalTransition) as err:
        transition(TicketState(current, assignee="a"), target, now=T0)
    assert target.value not in err.value.details["allowed"]


# -- properties --------------------------------------------------------------------------------

moves = st.lists(
    st.tuples(st.sampled_from(list(Status)), st.integers(min_value=0, max_value=10_000),
              st.sampled_from([None, "agent_a", "agent_b"])),
    max_size=40,
)


@given(moves)
def test_property_any_sequence_of_attempts_keeps_a_defined_consistent_state(steps):
    state = TicketState(Status.NEW, sla_due_at=T0 + timedelta(hours=48))
    now = T0
    history = [state.status]
    reopens = 0
    for target, minutes, who in steps:
        now = now + timedelta(minutes=minutes)
        try:
            out = transition(state, target, now=now, actor=who, reopen_sla_hours=24)
        except IllegalTransition as exc:
            assert target not in TRANSITIONS[state.status] or exc.reason.endswith("required") \
                or target == state.status
            continue
        assert target in TRANSITIONS[state.status]
        reopens += out.reopened
        if target is Status.CLOSED:
            assert state.status is Status.RESOLVED  # closed only after resolved
        state = out.apply_to(state)
        history.append(state.status)
        assert state.status in Status
        assert (state.resolved_at is not None) == (state.status in (Status.RESOLVED, Status.CLOSED))
        assert (state.closed_at is not None) == (state.status is Status.CLOSED)
        assert (state.sla_paused_at is not None) == (state.status is Status.PENDING_CUSTOMER)
        if state.status in (Status.ASSIGNED, Status.IN_PROGRESS):
            assert state.assignee is not None
        if state.status in (Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.RESOLVED):
            assert state.first_response_at is not None
        assert state.sla_due_at is not None and state.sla_due_at >= T0 + timedelta(hours=24)
    assert state.reopened_count == reopens


@given(st.sampled_from(list(Status)), st.sampled_from(list(Status)))
def test_property_every_pair_is_either_a_listed_move_or_an_illegal_transition(current, target):
    state = TicketState(current, assignee="a")
    if target in TRANSITIONS[current]:
        assert transition(state, target, now=T0).status is target
    else:
        with pytest.raises(IllegalTransition):
            transition(state, target, now=T0)


def test_every_status_is_reachable_from_new_and_closed_is_only_entered_from_resolved():
    seen = {Status.NEW}
    frontier = [Status.NEW]
    while frontier:
        s = frontier.pop()
        for t in TRANSITIONS[s]:
            if t not in seen:
                seen.add(t)
                frontier.append(t)
    assert seen == set(Status)
    assert [s for s, targets in TRANSITIONS.items() if Status.CLOSED in targets] == [Status.RESOLVED]


@given(st.lists(st.tuples(st.sampled_from([Status.PENDING_CUSTOMER, Status.IN_PROGRESS, Status.RESOLVED]),
                          st.integers(min_value=1, max_value=600)), max_size=30))
def test_property_due_time_moves_by_exactly_the_time_spent_waiting_on_the_customer(steps):
    due0 = T0 + timedelta(hours=8)
    state = TicketState(Status.IN_PROGRESS, assignee="a", sla_due_at=due0, first_response_at=T0)
    now = T0
    waited = timedelta(0)
    for target, minutes in steps:
        now = now + timedelta(minutes=minutes)
        if state.status is Status.RESOLVED:
            break
        try:
            out = transition(state, target, now=now)
        except IllegalTransition:
            continue
        if state.status is Status.PENDING_CUSTOMER:
            assert state.sla_paused_at is not None
            waited += now - state.sla_paused_at
        state = out.apply_to(state)
    assert state.sla_due_at == due0 + waited
