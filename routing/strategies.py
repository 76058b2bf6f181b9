"""Choosing the agent for a call among those able to take it: the agents with the best (lowest)
per-queue priority first, then the queue's strategy — one strategy or a weighted combination of
normalised scores — then the agent id, so the choice is deterministic."""

from __future__ import annotations

from collections.abc import Sequence

from routing.domain import Agent, QueueConfig, SkillLevel, StrategyName

_NEVER = -1e18


def _raw(name: StrategyName, agent: Agent, queue: QueueConfig, skills: tuple[SkillLevel, ...],
         now: float) -> float:
    """Higher is better."""
    if name is StrategyName.LONGEST_IDLE:
        return now - agent.since
    if name is StrategyName.LEAST_TALK_TIME:
        return -agent.talk_today
    if name is StrategyName.FEWEST_CALLS:
        return -float(agent.calls_today)
    if name is StrategyName.BEST_PROFICIENCY:
        return float(sum(agent.profile.level(req.skill) for req in skills))
    last = agent.last_offer.get(queue.name)
    return now - last if last is not None else now - _NEVER


def choose(candidates: Sequence[Agent], queue: QueueConfig, skills: tuple[SkillLevel, ...],
           now: float) -> Agent:
    weights = queue.strategy.weights
    if len(candidates) == 1:
        return candidates[0]
    if len(weights) == 1:
        name = weights[0][0]
        return min(candidates, key=lambda a: (-_raw(name, a, queue, skills, now), a.profile.agent_id))
    totals = [0.0] * len(candidates)
    for name, weight in weights:
        values = [_raw(name, a, queue, skills, now) for a in candidates]
        low, high = min(values), max(values)
        span = high - low
        if span <= 0:
            continue
        for i, value in enumerate(values):
            totals[i] += weight * (value - low) / span
    best = min(range(len(candidates)), key=lambda i: (-totals[i], candidates[i].profile.agent_id))
    return candidates[best]
