"""Erlang C (M/M/N queue): probability of waiting, service level, ASA, staffing, position waits.

``traffic`` is the offered load in erlangs (arrival rate × AHT, same time unit), ``agents`` the
number of agents answering, ``aht`` the average handle time in seconds. With ``agents <= traffic``
the queue grows without bound: the probability of waiting is 1 and the waits are infinite.
"""

from __future__ import annotations

import math


def traffic(calls: float, period_seconds: float, aht: float) -> float:
    """Offered load in erlangs for ``calls`` arriving in ``period_seconds``."""
    if period_seconds <= 0:
        raise ValueError("period_seconds must be positive")
    return calls / period_seconds * aht


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability, by the stable recurrence B(n) = A·B(n−1) / (n + A·B(n−1))."""
    if agents < 0 or traffic < 0:
        raise ValueError("traffic and agents must not be negative")
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def probability_of_waiting(traffic: float, agents: int) -> float:
    """Erlang C: the probability that a call is not answered at once."""
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = erlang_b(traffic, agents)
    return agents * b / (agents - traffic * (1.0 - b))


def service_level(traffic: float, agents: int, aht: float, threshold: float) -> float:
    """The fraction of calls answered within ``threshold`` seconds."""
    if agents <= traffic:
        return 0.0 if traffic > 0 else 1.0
    pw = probability_of_waiting(traffic, agents)
    return max(0.0, 1.0 - pw * math.exp(-(agents - traffic) * threshold / aht))


def asa(traffic: float, agents: int, aht: float) -> float:
    """Average speed of answer in seconds (over all calls, those answered at once included)."""
    if agents <= traffic:
        return math.inf if traffic > 0 else 0.0
    return probability_of_waiting(traffic, agents) * aht / (agents - traffic)


def agents_for_service_level(traffic: float, aht: float, threshold: float, target: float,
                             limit: int = 100_000) -> int:
    """The fewest agents for which ``service_level >= target`` (a fraction, e.g. 0.8)."""
    if not 0 < target < 1:
        raise ValueError("target must be a fraction between 0 and 1")
    agents = max(1, math.floor(traffic) + 1)
    while agents <= limit:
        if service_level(traffic, agents, aht, threshold) >= target:
            return agents
        agents += 1
    raise ValueError(f"no staffing up to {limit} agents reaches the target")


def position_wait(position: int, agents: int, aht: float) -> float | None:
    """Expected wait of the caller at ``position`` (1 = next) while every agent is busy.

    With ``agents`` busy agents and exponential handle times, completions come at rate
    ``agents / aht``; the caller at position k is answered at the k-th completion, so waits
    ``k × aht / agents`` on average. ``None`` when no agent serves the queue.
    """
    if agents <= 0:
        return None
    return position * aht / agents
