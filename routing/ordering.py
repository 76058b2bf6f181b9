"""The one ordering of waiting calls.

Effective priority of a call at time ``t``::

    effective(t) = priority + ageing_per_minute × (t − entered_at) / 60

where ``priority`` is the queue's default (or the IVR's) plus the value-tier and intent boosts, and
``entered_at`` is when the call entered distribution (kept across overflows).

Within one queue calls are served by: back-at-head first (a ring-no-answer put them there), then
higher effective priority, then earlier ``entered_at`` (FIFO), then arrival sequence. With linear
ageing that order never changes while the calls wait, so each queue keeps its calls in a sorted list
keyed by :func:`queue_order` (``priority − rate × entered_at`` is the time-invariant part).

Between queues, for an agent who serves several, the best of each queue's eligible calls compete by
:func:`cross_queue_rank`: back-at-head first, then ``effective(now) + queue weight``, then earlier
``entered_at``, then sequence.
"""

from __future__ import annotations

from routing.domain import Call, QueueConfig


def effective_priority(call: Call, queue: QueueConfig, now: float) -> float:
    return call.priority + queue.ageing_per_minute * (now - call.entered_at) / 60.0


def queue_order(call: Call, queue: QueueConfig) -> tuple[int, float, float, int, str]:
    """Ascending sort key inside one queue (smaller is served first); unique per call."""
    rate = queue.ageing_per_minute / 60.0
    return (0 if call.head else 1, rate * call.entered_at - call.priority, call.entered_at, call.seq,
            call.call_id)


def cross_queue_rank(call: Call, queue: QueueConfig, now: float) -> tuple[int, float, float, int]:
    """Ascending sort key between queues (smaller is offered first)."""
    return (0 if call.head else 1, -(effective_priority(call, queue, now) + queue.weight),
            call.entered_at, call.seq)


def store_score(order: tuple[int, float, float, int, str]) -> float:
    """The queue order as one number for a state store's sorted set (ties: arrival in the store)."""
    return order[0] * 1e12 + order[1]
