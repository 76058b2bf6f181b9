"""Small builders for core tests: queues, agents and calls with readable defaults."""

from __future__ import annotations

from typing import Any

from routing.core import RoutingCore
from routing.decisions import Decision, OfferCall
from routing.domain import (
    AgentProfile,
    CallAttributes,
    Membership,
    PriorityRules,
    QueueConfig,
    RoutingConfig,
    SkillLevel,
)
from routing.events import CallEntered, LogIn

T0 = 1_800_000_000.0


def skills(**levels: int) -> tuple[SkillLevel, ...]:
    return tuple(SkillLevel(k, v) for k, v in levels.items())


def queue(name: str, **kw: Any) -> QueueConfig:
    kw.setdefault("announce_interval", 0)
    return QueueConfig(name=name, **kw)


def agent(agent_id: str, queues: dict[str, int] | list[str], ext: str | None = None,
          **kw: Any) -> AgentProfile:
    members = queues if isinstance(queues, dict) else dict.fromkeys(queues, 1)
    return AgentProfile(agent_id=agent_id, extension=ext or f"6{abs(hash(agent_id)) % 1000:03d}",
                        queues=tuple(Membership(q, p) for q, p in members.items()), **kw)


def core(queues: list[QueueConfig], agents: list[AgentProfile], **kw: Any) -> RoutingCore:
    kw.setdefault("priority", PriorityRules(tiers=(("vip", 30),), intents=(("complaint", 10),)))
    return RoutingCore(RoutingConfig(queues=tuple(queues), agents=tuple(agents), **kw))


def enter(c: RoutingCore, call_id: str, queue_name: str, now: float, **kw: Any) -> list[Decision]:
    return c.handle(CallEntered(CallAttributes(call_id=call_id, queue=queue_name, **kw)), now)


def log_in(c: RoutingCore, *agent_ids: str, now: float = T0) -> list[Decision]:
    out: list[Decision] = []
    for agent_id in agent_ids:
        out += c.handle(LogIn(agent_id), now)
    return out


def offers(decisions: list[Decision]) -> list[tuple[str, str]]:
    return [(x.call_id, x.agent_id) for x in decisions if isinstance(x, OfferCall)]
