"""Automatic assignment: which team a new ticket goes to and which member of it takes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tickets.workflow.rules import Strategy, WorkflowRules
from tickets.workflow.vocab import TicketType


@dataclass(frozen=True)
class Route:
    """The team a ticket goes to and how its member is chosen (``queue``: nobody, the team's queue)."""

    team: str
    strategy: Strategy
    members: tuple[str, ...]


def route_for(rules: WorkflowRules, *, ticket_type: TicketType, category: str | None) -> Route | None:
    """The first matching assignment rule's team, else the default team, else ``None``."""
    for rule in rules.assignment.rules:
        if rule.when.matches(ticket_type, category):
            team = rules.team(rule.team)
            assert team is not None  # validated when the rules were loaded
            return Route(team.name, rule.strategy or team.strategy, team.members)
    team = rules.team(rules.assignment.default_team)
    if team is None:
        return None
    return Route(team.name, team.strategy, team.members)


def pick_member(
    members: Sequence[str],
    strategy: Strategy,
    *,
    loads: Mapping[str, int] | None = None,
    last_assigned: str | None = None,
) -> str | None:
    """The member who gets the next ticket.

    ``least_loaded``: fewest open tickets (``loads``), ties to the earlier member in the list.
    ``round_robin``: the member after ``last_assigned`` in list order. ``queue``: nobody.
    """
    if not members or strategy == "queue":
        return None
    if strategy == "least_loaded":
        counts = loads or {}
        return min(members, key=lambda m: (counts.get(m, 0), members.index(m)))
    if last_assigned is not None and last_assigned in members:
        return members[(list(members).index(last_assigned) + 1) % len(members)]
    return members[0]
