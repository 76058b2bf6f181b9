"""Priority derivation: the highest of the requested priority, the severity's and the tier's."""

from __future__ import annotations

from tickets.workflow.rules import PriorityRules
from tickets.workflow.vocab import Priority, Severity, TicketType, Tier, priority_rank


def highest(*priorities: Priority | None) -> Priority:
    present = [p for p in priorities if p is not None]
    return max(present, key=priority_rank) if present else Priority.NORMAL


def derive_priority(
    rules: PriorityRules,
    *,
    ticket_type: TicketType,
    requested: Priority | None = None,
    severity: Severity | None = None,
    tier: Tier | None = None,
) -> Priority:
    """A critical complaint is urgent, a VIP's ticket at least high (as configured), never lower
    than what the agent asked for."""
    base = requested if requested is not None else rules.default.get(ticket_type, Priority.NORMAL)
    from_severity = rules.by_severity.get(severity) if severity is not None else None
    from_tier = rules.by_tier.get(tier) if tier is not None else None
    return highest(base, from_severity, from_tier)
