"""``config/routing.yaml``: loaded and validated with pydantic into ``routing.domain.RoutingConfig``.

Every problem is one line naming its entry, e.g. ``queues.repair.strategy: unknown strategy 'x'``;
``RoutingConfigError.problems`` holds them all.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from routing.domain import (
    AgentProfile,
    EscalationStep,
    Membership,
    Overflow,
    OverflowAction,
    PriorityRules,
    QueueConfig,
    RoutingConfig,
    SkillLevel,
    Sticky,
    Strategy,
    StrategyName,
)
from routing.ports import ConfigChange

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "config" / "routing.yaml"
_STRATEGIES = ", ".join(s.value for s in StrategyName)


class RoutingConfigError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid routing configuration:\n" + "\n".join(problems))


Proficiency = Field(ge=1, le=10)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _strategy_name(value: Any) -> StrategyName:
    try:
        return StrategyName(value)
    except ValueError:
        raise ValueError(f"unknown strategy {value!r} (one of {_STRATEGIES})") from None


class StickyIn(_Model):
    days: float = Field(gt=0)
    seconds: float = Field(gt=0)


class StrategyIn(_Model):
    weights: dict[str, float] = Field(min_length=1)
    sticky: StickyIn | None = None

    @field_validator("weights")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        for name, weight in value.items():
            _strategy_name(name)
            if weight <= 0:
                raise ValueError(f"weight of {name!r} must be positive")
        return value


class EscalationIn(_Model):
    after: float = Field(gt=0)
    lower_proficiency: int = Field(default=0, ge=0, le=9)
    accept_skills: dict[str, int] = {}
    add_teams: list[str] = []


class OverflowIn(_Model):
    action: OverflowAction = OverflowAction.VOICEMAIL
    target: str = ""


class QueueIn(_Model):
    skills: dict[str, int] = {}
    language: str | None = None
    teams: list[str] = []
    priority: int = 0
    weight: float = 0.0
    service_level_seconds: float = Field(default=20.0, gt=0)
    ring_timeout: float = Field(default=15.0, gt=0)
    wrapup_seconds: float = Field(default=10.0, ge=0)
    max_wait: float = Field(default=600.0, gt=0)
    overflow: OverflowIn = OverflowIn()
    announce_interval: float = Field(default=30.0, ge=0)
    strategy: StrategyIn = StrategyIn(weights={"longest_idle": 1.0})
    escalation: list[EscalationIn] = []
    ageing_per_minute: float = Field(default=1.0, ge=0)
    default_handle_seconds: float = Field(default=180.0, gt=0)

    @field_validator("strategy", mode="before")
    @classmethod
    def _strategy(cls, value: Any) -> Any:
        if isinstance(value, str):  # a plain strategy: its name
            _strategy_name(value)
            return {"weights": {value: 1.0}}
        return value

    @field_validator("escalation")
    @classmethod
    def _ascending(cls, value: list[EscalationIn]) -> list[EscalationIn]:
        afters = [step.after for step in value]
        if afters != sorted(set(afters)):
            raise ValueError("steps must have strictly increasing 'after'")
        return value


class AgentIn(_Model):
    extension: str = Field(min_length=1)
    name: str = ""
    skills: dict[str, int] = {}
    teams: list[str] = []
    languages: list[str] = []
    queues: dict[str, int] | list[str] = {}  # queue → per-queue priority (1 first), or a list (all 1)


class PriorityIn(_Model):
    tiers: dict[str, int] = {}
    intents: dict[str, int] = {}


class RoutingIn(_Model):
    priority: PriorityIn = PriorityIn()
    short_abandon_seconds: float = Field(default=5.0, ge=0)
    missed_retry_seconds: float = Field(default=2.0, gt=0)
    utc_offset_hours: float = Field(default=8.0, ge=-14, le=14)
    queues: dict[str, QueueIn] = Field(min_length=1)
    agents: dict[str, AgentIn] = {}


def _levels(where: str, levels: dict[str, int], problems: list[str]) -> tuple[SkillLevel, ...]:
    for skill, level in levels.items():
        if not 1 <= level <= 10:
            problems.append(f"{where}.{skill}: proficiency {level} is outside 1–10")
    return tuple(SkillLevel(skill, level) for skill, level in levels.items())


def _strategy(value: StrategyIn) -> Strategy:
    sticky = Sticky(value.sticky.days, value.sticky.seconds) if value.sticky else None
    return Strategy(tuple((StrategyName(n), w) for n, w in value.weights.items()), sticky)


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("dict[str,int]", "list[str]"))


def parse(data: Any) -> RoutingConfig:
    """Validate a parsed YAML document; raises ``RoutingConfigError`` listing every problem."""
    try:
        raw = RoutingIn.model_validate(data)
    except ValidationError as exc:
        found = {f"{_location(err['loc'])}: {err['msg'].removeprefix('Value error, ')}"
                 for err in exc.errors()}
        raise RoutingConfigError(sorted(found)) from None
    problems: list[str] = []
    queues: list[QueueConfig] = []
    for name, q in raw.queues.items():
        where = f"queues.{name}"
        if q.overflow.action is OverflowAction.QUEUE:
            if q.overflow.target not in raw.queues:
                problems.append(f"{where}.overflow.target: unknown queue {q.overflow.target!r}")
            elif q.overflow.target == name:
                problems.append(f"{where}.overflow.target: a queue cannot overflow to itself")
        steps = tuple(
            EscalationStep(s.after, s.lower_proficiency,
                           _levels(f"{where}.escalation.{i}.accept_skills", s.accept_skills, problems),
                           frozenset(s.add_teams))
            for i, s in enumerate(q.escalation)
        )
        queues.append(QueueConfig(
            name=name, skills=_levels(f"{where}.skills", q.skills, problems), language=q.language,
            teams=frozenset(q.teams), priority=q.priority, weight=q.weight,
            service_level_seconds=q.service_level_seconds, ring_timeout=q.ring_timeout,
            wrapup_seconds=q.wrapup_seconds, max_wait=q.max_wait,
            overflow=Overflow(q.overflow.action, q.overflow.target), announce_interval=q.announce_interval,
            strategy=_strategy(q.strategy), escalation=steps, ageing_per_minute=q.ageing_per_minute,
            default_handle_seconds=q.default_handle_seconds,
        ))
    problems.extend(_overflow_cycles(raw))
    agents: list[AgentProfile] = []
    extensions: dict[str, str] = {}
    for agent_id, a in raw.agents.items():
        where = f"agents.{agent_id}"
        if a.extension in extensions:
            problems.append(f"{where}.extension: {a.extension!r} is also {extensions[a.extension]}'s")
        extensions[a.extension] = agent_id
        memberships = a.queues if isinstance(a.queues, dict) else dict.fromkeys(a.queues, 1)
        for queue, prio in memberships.items():
            if queue not in raw.queues:
                problems.append(f"{where}.queues.{queue}: unknown queue")
            if prio < 1:
                problems.append(f"{where}.queues.{queue}: priority {prio} must be 1 or more")
        agents.append(AgentProfile(
            agent_id=agent_id, extension=a.extension, name=a.name,
            skills=_levels(f"{where}.skills", a.skills, problems), teams=frozenset(a.teams),
            languages=frozenset(a.languages),
            queues=tuple(Membership(q, p) for q, p in memberships.items()),
        ))
    if problems:
        raise RoutingConfigError(problems)
    return RoutingConfig(
        queues=tuple(queues), agents=tuple(agents),
        priority=PriorityRules(tuple(raw.priority.tiers.items()), tuple(raw.priority.intents.items())),
        short_abandon_seconds=raw.short_abandon_seconds, missed_retry_seconds=raw.missed_retry_seconds,
        utc_offset_hours=raw.utc_offset_hours,
    )


def _overflow_cycles(raw: RoutingIn) -> list[str]:
    problems = []
    for start in raw.queues:
        seen = [start]
        current = raw.queues[start]
        while current.overflow.action is OverflowAction.QUEUE and current.overflow.target in raw.queues:
            nxt = current.overflow.target
            if nxt in seen:
                if nxt == start and nxt != seen[-1]:
                    problems.append(f"queues.{start}.overflow: overflow loop {' → '.join([*seen, nxt])}")
                break
            seen.append(nxt)
            current = raw.queues[nxt]
    return problems


def read_document(path: Path | str = DEFAULT_FILE) -> Any:
    """The YAML document as plain data (not validated yet)."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RoutingConfigError([f"{path}: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        raise RoutingConfigError([f"{path}: not valid YAML ({exc})"]) from None


def load(path: Path | str = DEFAULT_FILE) -> RoutingConfig:
    return parse(read_document(path))


SECTIONS = {"queue": "queues", "agent": "agents"}


def with_changes(document: Any, changes: Iterable[ConfigChange]) -> dict[str, Any]:
    """The seed document with run-time changes applied in order (a removal drops the entry)."""
    data: dict[str, Any] = copy.deepcopy(document) if isinstance(document, dict) else {}
    for change in changes:
        section = SECTIONS.get(change.kind)
        if section is None:
            raise RoutingConfigError([f"{change.kind}.{change.name}: unknown kind of change {change.kind!r}"])
        entries = data.setdefault(section, {}) or {}
        data[section] = entries
        if change.removed:
            entries.pop(change.name, None)
        else:
            try:
                entries[change.name] = json.loads(change.body)
            except ValueError:
                raise RoutingConfigError([f"{section}.{change.name}: the stored entry is not JSON"]) from None
    return data
