"""The closed vocabularies of tickets, stored as plain strings in the database."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    PENDING_CUSTOMER = "pending_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES: frozenset[Status] = frozenset(
    {Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING_CUSTOMER}
)
DONE_STATUSES: frozenset[Status] = frozenset({Status.RESOLVED, Status.CLOSED})


class TicketType(StrEnum):
    INQUIRY = "inquiry"
    REPAIR = "repair"
    COMPLAINT = "complaint"


class Priority(StrEnum):
    """Ordered from least to most pressing; compare with :func:`priority_rank`."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


PRIORITY_ORDER: tuple[Priority, ...] = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)


def priority_rank(priority: Priority) -> int:
    return PRIORITY_ORDER.index(priority)


class Tier(StrEnum):
    """Customer tiers from least to most valuable; VIP is the top tier."""

    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    VIP = "vip"


TIER_ORDER: tuple[Tier, ...] = (Tier.STANDARD, Tier.SILVER, Tier.GOLD, Tier.VIP)


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


NUMBER_PREFIXES: dict[TicketType, str] = {
    TicketType.INQUIRY: "INQ",
    TicketType.REPAIR: "REP",
    TicketType.COMPLAINT: "CMP",
}
