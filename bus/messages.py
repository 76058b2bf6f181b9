"""The bus's own values: delivery policies, the drop marker lossy subscribers receive, statistics."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Policy(StrEnum):
    """How a subscriber is told about messages it did not get (chosen at subscribe time).

    ``RELIABLE`` (the call recorder, the ACD): ``get()`` raises ``SubscriberOverflow`` at the gap;
    the subscriber resyncs from state and continues. ``LOSSY`` (a UI fan-out): ``get()`` returns a
    ``Dropped(count)`` marker at the gap; the subscriber resends a snapshot and continues.
    """

    RELIABLE = "reliable"
    LOSSY = "lossy"


@dataclass(frozen=True, slots=True)
class Dropped:
    """Delivered to a lossy subscriber where ``count`` messages were dropped for it."""

    count: int


@dataclass(frozen=True, slots=True)
class SubscriberStats:
    """Counters of every subscription with one name and policy, alive or closed since the bus started.

    ``delivered``, ``dropped`` and ``overflows`` only grow (they survive closed subscriptions, so they
    are Prometheus counters); ``queued`` and ``subscriptions`` are the current values.
    ``overflows`` counts gaps (one marker or one ``SubscriberOverflow`` each), ``dropped`` the
    messages lost in them.
    """

    name: str
    policy: Policy
    subscriptions: int
    queued: int
    delivered: int
    dropped: int
    overflows: int
