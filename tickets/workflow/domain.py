"""The ticket status machine: which moves are allowed and what each move changes.

    new ─────▶ assigned ─────▶ in_progress ─────▶ pending_customer
     │  ◀─────── │  ◀───────────── │  ◀───────────────── │
     │ (also new ──▶ in_progress: an agent takes it)     │
     └───────────┴────────┬────────┴─────────────────────┘
                          ▼ resolve (from every open status)
                       resolved ─────▶ closed
                          │              │
                          └── reopen ────┴──▶ in_progress | assigned

:func:`transition` is pure: it takes a snapshot of the ticket, the target status and ``now`` and
returns the field changes to apply, or raises :class:`IllegalTransition` (HTTP 409) with the reason
and the allowed targets. docs/workflow.md explains each decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tickets.errors import Conflict
from tickets.workflow.vocab import DONE_STATUSES, Status

TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    # Resolving is allowed from every open status: many inquiries are answered at first contact.
    Status.NEW: frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED}),
    # assigned -> new returns the ticket to its team's queue (the assignee is cleared).
    Status.ASSIGNED: frozenset({Status.NEW, Status.IN_PROGRESS, Status.RESOLVED}),
    # in_progress -> assigned: the agent stops working on it but keeps it.
    Status.IN_PROGRESS: frozenset({Status.ASSIGNED, Status.PENDING_CUSTOMER, Status.RESOLVED}),
    Status.PENDING_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    # Reopen: back to work (in_progress) or to an assignee's pile (assigned).
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS, Status.ASSIGNED}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS, Status.ASSIGNED}),
}

# The moves that count as the first response of an agent to the customer.
_RESPONDING: frozenset[Status] = frozenset({Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.RESOLVED})

_REASONS: Mapping[tuple[Status, Status], str] = {
    (Status.NEW, Status.CLOSED): "a ticket is closed only after it is resolved",
    (Status.ASSIGNED, Status.CLOSED): "a ticket is closed only after it is resolved",
    (Status.IN_PROGRESS, Status.CLOSED): "a ticket is closed only after it is resolved",
    (Status.PENDING_CUSTOMER, Status.CLOSED): "a ticket is closed only after it is resolved",
    (Status.NEW, Status.PENDING_CUSTOMER): "someone must take the ticket (in_progress) before waiting",
    (Status.ASSIGNED, Status.PENDING_CUSTOMER): "the assignee must start work (in_progress) before waiting",
    (Status.RESOLVED, Status.NEW): "a reopened ticket goes back to assigned or in_progress",
    (Status.CLOSED, Status.NEW): "a reopened ticket goes back to assigned or in_progress",
    (Status.RESOLVED, Status.PENDING_CUSTOMER): "reopen the ticket (in_progress) first",
    (Status.CLOSED, Status.PENDING_CUSTOMER): "reopen the ticket (in_progress) first",
    (Status.CLOSED, Status.RESOLVED): "a closed ticket must be reopened before it is resolved again",
}


class IllegalTransition(Conflict):
    """A refused status move; ``details`` name ``from``, ``to`` and the ``allowed`` targets."""

    error_id = "illegal-transition"

    def __init__(self, current: Status, target: Status, reason: str) -> None:
        allowed = sorted(TRANSITIONS[current])
        super().__init__(
            f"cannot move a ticket from '{current}' to '{target}': {reason}",
            details={"from": str(current), "to": str(target), "allowed": [str(s) for s in allowed],
                     "reason": reason},
        )
        self.current = current
        self.target = target
        self.reason = reason


@dataclass(frozen=True)
class TicketState:
    """What the machine needs to know about a ticket."""

    status: Status
    assignee: str | None = None
    sla_due_at: datetime | None = None
    sla_paused_at: datetime | None = None
    sla_breached_at: datetime | None = None
    escalation_level: int = 0
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_count: int = 0


@dataclass(frozen=True)
class Outcome:
    """The result of an allowed move: the fields that change (model attribute names) and what happened."""

    previous: Status
    status: Status
    changes: Mapping[str, Any] = field(default_factory=dict)
    reopened: bool = False

    def apply_to(self, state: TicketState) -> TicketState:
        """The snapshot after the move (used by property tests and by callers that chain moves)."""
        values = {k: v for k, v in self.changes.items() if k in TicketState.__dataclass_fields__}
        return TicketState(**{**state.__dict__, **values})


def allowed_targets(status: Status) -> frozenset[Status]:
    return TRANSITIONS[status]


def is_reopen(current: Status, target: Status) -> bool:
    return current in DONE_STATUSES and target not in DONE_STATUSES


def transition(
    state: TicketState,
    target: Status,
    *,
    now: datetime,
    actor: str | None = None,
    assignee: str | None = None,
    reopen_sla_hours: float | None = None,
) -> Outcome:
    """Move ``state`` to ``target`` at ``now``.

    ``actor`` is the username doing it: an agent who moves an unassigned ticket to in_progress
    takes it. ``assignee`` assigns someone as part of the move. ``reopen_sla_hours`` gives a
    reopened ticket a fresh SLA budget counted from ``now`` (``None`` keeps the old due time).
    """
    current = state.status
    if target == current:
        raise IllegalTransition(current, target, f"the ticket is already '{current}'")
    if target not in TRANSITIONS[current]:
        reason = _REASONS.get((current, target), "this move is not part of the workflow")
        raise IllegalTransition(current, target, reason)

    changes: dict[str, Any] = {"status": target}
    new_assignee = assignee if assignee is not None else state.assignee
    if target is Status.NEW:
        new_assignee = None
    elif target is Status.ASSIGNED and new_assignee is None:
        raise IllegalTransition(current, target, "an assignee is required")
    elif target is Status.IN_PROGRESS and new_assignee is None:
        if actor is None:
            raise IllegalTransition(current, target, "an assignee is required")
        new_assignee = actor
    if new_assignee != state.assignee:
        changes["assignee"] = new_assignee

    if target in _RESPONDING and state.first_response_at is None:
        changes["first_response_at"] = now

    due = state.sla_due_at
    if current is Status.PENDING_CUSTOMER:
        # The SLA clock stood still while the ticket waited on the customer.
        if state.sla_paused_at is not None and due is not None:
            due = due + max(now - state.sla_paused_at, timedelta(0))
        changes["sla_paused_at"] = None
    if target is Status.PENDING_CUSTOMER:
        changes["sla_paused_at"] = now

    reopened = is_reopen(current, target)
    if reopened:
        changes["reopened_count"] = state.reopened_count + 1
        changes["resolved_at"] = None
        changes["closed_at"] = None
        if reopen_sla_hours is not None:
            due = now + timedelta(hours=reopen_sla_hours)
            changes["sla_breached_at"] = None
            changes["escalation_level"] = 0
    if due != state.sla_due_at:
        changes["sla_due_at"] = due

    if target is Status.RESOLVED:
        changes["resolved_at"] = now
    elif target is Status.CLOSED:
        changes["closed_at"] = now

    return Outcome(previous=current, status=target, changes=_only_differences(state, changes),
                   reopened=reopened)


def _only_differences(state: TicketState, changes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in changes.items() if getattr(state, k, object()) != v}
