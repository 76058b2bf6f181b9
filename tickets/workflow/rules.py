"""The workflow rules file (config/workflow.yaml): loading and validation.

:func:`load_rules` returns a frozen :class:`WorkflowRules` or raises :class:`RulesError` whose
message names the file and every offending entry (``sla.hours.repair.urgent: ...``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tickets.workflow.vocab import (
    PRIORITY_ORDER,
    TIER_ORDER,
    Priority,
    Severity,
    TicketType,
    Tier,
)

Strategy = Literal["least_loaded", "round_robin", "queue"]
Recipient = Literal["assignee", "supervisor", "managers"]
Username = Annotated[str, Field(min_length=1, max_length=100)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Team(_Frozen):
    """A group of agents with a supervisor; ``strategy`` picks the member a new ticket goes to."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    supervisor: Username
    members: tuple[Username, ...] = ()
    strategy: Strategy = "least_loaded"

    @model_validator(mode="after")
    def _unique_members(self) -> Team:
        if len(set(self.members)) != len(self.members):
            raise ValueError(f"team {self.name!r} lists a member twice")
        return self


class Match(_Frozen):
    type: TicketType | None = None
    category: str | None = None

    def matches(self, ticket_type: TicketType, category: str | None) -> bool:
        if self.type is not None and self.type != ticket_type:
            return False
        if self.category is not None and (category or "").casefold() != self.category.casefold():
            return False
        return True


class AssignmentRule(_Frozen):
    when: Match
    team: str
    strategy: Strategy | None = None  # overrides the team's strategy for tickets this rule sends


class Assignment(_Frozen):
    """Rules tried in order; the first whose ``when`` matches sends the ticket to its team."""

    default_team: str | None = None
    rules: tuple[AssignmentRule, ...] = ()


class PriorityRules(_Frozen):
    """A ticket's priority is the highest of: requested (or the type's default), severity's, tier's."""

    default: dict[TicketType, Priority] = Field(
        default_factory=lambda: {t: Priority.NORMAL for t in TicketType}
    )
    by_severity: dict[Severity, Priority] = Field(default_factory=dict)
    by_tier: dict[Tier, Priority] = Field(default_factory=dict)


class Sla(_Frozen):
    """Hours to resolve: ``hours[type][priority] * tier_factor[tier]``."""

    hours: dict[TicketType, dict[Priority, Annotated[float, Field(gt=0)]]]
    tier_factor: dict[Tier, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {t: 1.0 for t in Tier}
    )
    reopen: Literal["fresh", "keep"] = "fresh"

    @model_validator(mode="after")
    def _complete_and_monotone(self) -> Sla:
        for ticket_type in TicketType:
            row = self.hours.get(ticket_type)
            if row is None:
                raise ValueError(f"hours: missing type {ticket_type.value!r}")
            missing = [p.value for p in PRIORITY_ORDER if p not in row]
            if missing:
                raise ValueError(f"hours.{ticket_type.value}: missing priorities {missing}")
            values = [row[p] for p in PRIORITY_ORDER]
            if any(b > a for a, b in itertools.pairwise(values)):
                raise ValueError(
                    f"hours.{ticket_type.value}: a higher priority may not get more hours "
                    f"(low→urgent: {values})"
                )
        missing_tiers = [t.value for t in TIER_ORDER if t not in self.tier_factor]
        if missing_tiers:
            raise ValueError(f"tier_factor: missing tiers {missing_tiers}")
        return self

    def hours_for(self, ticket_type: TicketType, priority: Priority, tier: Tier) -> float:
        return self.hours[ticket_type][priority] * self.tier_factor[tier]


class EscalationStep(_Frozen):
    """Reached ``after_hours`` after the SLA due time; notifies ``notify`` once."""

    level: Annotated[int, Field(ge=1)]
    after_hours: Annotated[float, Field(ge=0)] = 0
    notify: tuple[Recipient, ...] = ("assignee", "supervisor")


class Escalation(_Frozen):
    managers: tuple[Username, ...] = ()
    steps: tuple[EscalationStep, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> Escalation:
        levels = [s.level for s in self.steps]
        if levels != list(range(1, len(levels) + 1)):
            raise ValueError(f"steps: levels must be 1, 2, 3, ... in order (got {levels})")
        hours = [s.after_hours for s in self.steps]
        if hours != sorted(hours):
            raise ValueError(f"steps: after_hours may not decrease from one level to the next ({hours})")
        if any("managers" in s.notify for s in self.steps) and not self.managers:
            raise ValueError("a step notifies 'managers' but no managers are listed")
        return self


class FollowUpRule(_Frozen):
    """``days_after_resolved`` after a ticket of ``type`` is resolved, one follow-up call is due."""

    type: TicketType
    days_after_resolved: Annotated[float, Field(ge=0)]
    # Tickets resolved longer ago than days_after_resolved + max_age_days get none (old data).
    max_age_days: Annotated[float, Field(gt=0)] = 30
    kind: Literal["call"] = "call"


class ValueWeights(_Frozen):
    """Points per unit of each customer-history measure (a negative weight lowers the score)."""

    asset: float = 0.0
    purchase_per_1000: float = 0.0
    interaction: float = 0.0
    tenure_year: float = 0.0
    complaint: float = 0.0


class TierThresholds(_Frozen):
    """Minimum score of each tier above standard; VIP is the top tier."""

    silver: float = 10.0
    gold: float = 30.0
    vip: float = 60.0

    @model_validator(mode="after")
    def _increasing(self) -> TierThresholds:
        if not self.silver < self.gold < self.vip:
            raise ValueError(
                f"silver < gold < vip required (got {self.silver}, {self.gold}, {self.vip})"
            )
        return self

    def tier_for(self, score: float) -> Tier:
        if score >= self.vip:
            return Tier.VIP
        if score >= self.gold:
            return Tier.GOLD
        if score >= self.silver:
            return Tier.SILVER
        return Tier.STANDARD


class ValueRules(_Frozen):
    weights: ValueWeights = ValueWeights()
    interaction_window_days: Annotated[int, Field(ge=1)] = 365
    thresholds: TierThresholds = TierThresholds()
    batch_size: Annotated[int, Field(ge=1, le=1_000_000)] = 20_000


class WorkflowRules(_Frozen):
    version: Literal[1] = 1
    teams: tuple[Team, ...] = ()
    assignment: Assignment = Assignment()
    priority: PriorityRules = PriorityRules()
    sla: Sla
    escalation: Escalation = Escalation()
    follow_up: tuple[FollowUpRule, ...] = ()
    value: ValueRules = ValueRules()

    @model_validator(mode="after")
    def _references(self) -> WorkflowRules:
        names = [t.name for t in self.teams]
        if len(set(names)) != len(names):
            raise ValueError(f"teams: names must be unique (got {names})")
        known = set(names)
        if self.assignment.default_team is not None and self.assignment.default_team not in known:
            raise ValueError(f"assignment.default_team: unknown team {self.assignment.default_team!r}")
        for i, rule in enumerate(self.assignment.rules):
            if rule.team not in known:
                raise ValueError(f"assignment.rules.{i}.team: unknown team {rule.team!r}")
        types = [r.type for r in self.follow_up]
        if len(set(types)) != len(types):
            raise ValueError("follow_up: one rule per ticket type")
        return self

    # -- look-ups -------------------------------------------------------------------------------

    def team(self, name: str | None) -> Team | None:
        return next((t for t in self.teams if t.name == name), None) if name else None

    def teams_of(self, username: str) -> tuple[Team, ...]:
        return tuple(t for t in self.teams if username in t.members)

    def supervisor_for(self, *, team: str | None, assignee: str | None) -> str | None:
        """The ticket team's supervisor, else the supervisor of the assignee's first team."""
        found = self.team(team)
        if found is not None:
            return found.supervisor
        if assignee is not None:
            teams = self.teams_of(assignee)
            if teams:
                return teams[0].supervisor
        return None

    def follow_up_for(self, ticket_type: TicketType) -> FollowUpRule | None:
        return next((r for r in self.follow_up if r.type == ticket_type), None)


class RulesError(ValueError):
    """The rules file cannot be used; the message names the file and each problem."""


def default_rules_path() -> Path:
    """config/workflow.yaml beside the ``tickets`` package."""
    return Path(__file__).resolve().parents[2] / "config" / "workflow.yaml"


def parse_rules(data: Mapping[str, Any], *, source: str = "<rules>") -> WorkflowRules:
    try:
        return WorkflowRules.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            message = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"  {where}: {message}")
        raise RulesError(f"{source}: invalid workflow rules:\n" + "\n".join(problems)) from None


def load_rules(path: str | Path | None = None) -> WorkflowRules:
    """Read and validate a rules file (default: config/workflow.yaml)."""
    file = Path(path) if path is not None else default_rules_path()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{file}: cannot read workflow rules: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"{file}: not valid YAML: {exc}") from None
    if not isinstance(data, Mapping):
        raise RulesError(f"{file}: the rules file must be a mapping at the top level")
    return parse_rules(data, source=str(file))
