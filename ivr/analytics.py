"""IVR analytics per flow and node, computed from recorded IVR paths (pure), and the small
service that reads the paths through the journey-store port for the API.

Per node: times entered, each option taken (digit → count), timeouts, invalid input, ``*``
repeats, callers who hung up there. Per flow: calls, outcomes, and self-service completed (a
self-service node reached and the call ended without an agent).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ivr.path import IvrPath
from ivr.ports import JourneyStore

AGENT_OUTCOMES = frozenset({"route", "fallback"})


@dataclass
class NodeStats:
    entered: int = 0
    options: Counter[str] = field(default_factory=Counter)
    timeouts: int = 0
    invalid: int = 0
    repeats: int = 0
    hangups: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "entered": self.entered,
            "options": dict(sorted(self.options.items())),
            "timeouts": self.timeouts,
            "invalid": self.invalid,
            "repeats": self.repeats,
            "hangups": self.hangups,
        }


@dataclass
class FlowStats:
    flow: str
    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    self_service_completed: int = 0
    nodes: dict[str, NodeStats] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "calls": self.calls,
            "outcomes": dict(sorted(self.outcomes.items())),
            "self_service_completed": self.self_service_completed,
            "nodes": {node: stats.as_dict() for node, stats in self.nodes.items()},
        }


def aggregate(paths: Iterable[IvrPath]) -> dict[str, FlowStats]:
    """Flow name → its statistics over ``paths``."""
    flows: dict[str, FlowStats] = {}
    for path in paths:
        stats = flows.setdefault(path.flow, FlowStats(path.flow))
        stats.calls += 1
        stats.outcomes[path.outcome or "unfinished"] += 1
        if path.self_service and path.outcome is not None and path.outcome not in AGENT_OUTCOMES:
            stats.self_service_completed += 1
        for step in path.steps:
            node = stats.nodes.setdefault(step.node, NodeStats())
            if step.event == "entered":
                node.entered += 1
            elif step.event == "option" and step.digits:
                node.options[step.digits] += 1
            elif step.event == "timeout":
                node.timeouts += 1
            elif step.event == "invalid":
                node.invalid += 1
            elif step.event == "repeat":
                node.repeats += 1
            elif step.event == "hangup":
                node.hangups += 1
    return flows


class IvrAnalytics:
    """What the API exposes: ``await analytics.report(flow, since, until)``."""

    def __init__(self, journeys: JourneyStore) -> None:
        self.journeys = journeys

    async def report(self, flow: str | None, since: datetime, until: datetime) -> list[dict[str, Any]]:
        paths = await self.journeys.paths(flow, since, until)
        return [stats.as_dict() for _, stats in sorted(aggregate(paths).items())]
