"""Property tests of a subscriber's queue: whatever the interleaving, nothing is lost unaccounted."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from bus import Dropped, InProcessBus, Policy, SubscriberOverflow
from tests.bus.messages import Caller, CallStarted

ALICE = Caller("1", "a")
# Each step: publish k messages (k > 0) or read up to -k items (k < 0).
steps = st.lists(st.integers(min_value=-8, max_value=8).filter(bool), max_size=40)


def run(policy: Policy, maxsize: int, plan: list[int]) -> tuple[list[int], list[int], int]:
    """Play ``plan``; return the numbers delivered, the gap sizes in order, and how many were sent."""
    bus = InProcessBus()
    sub = bus.subscribe("s", CallStarted, policy=policy, maxsize=maxsize)
    delivered: list[int] = []
    gaps: list[int] = []
    sent = 0

    def read(limit: int) -> None:
        for _ in range(limit):
            try:
                item = sub.get_nowait()
            except asyncio.QueueEmpty:
                return
            except SubscriberOverflow as overflow:
                gaps.append(overflow.missed)
                delivered.append(-1)
                continue
            if isinstance(item, Dropped):
                gaps.append(item.count)
                delivered.append(-1)
            else:
                assert isinstance(item, CallStarted)
                delivered.append(item.n)

    for step in plan:
        if step > 0:
            for _ in range(step):
                bus.publish(CallStarted("c", sent, ALICE))
                sent += 1
        else:
            read(-step)
    read(10_000)
    return delivered, gaps, sent


@given(st.sampled_from(Policy), st.integers(min_value=1, max_value=6), steps)
def test_every_message_is_delivered_in_order_or_counted_in_the_gap_where_it_went_missing(
    policy: Policy, maxsize: int, plan: list[int],
) -> None:
    delivered, gaps, sent = run(policy, maxsize, plan)
    # Rebuild the sequence: each marker stands for exactly the numbers missing at that place.
    expected_next = 0
    gap_iter = iter(gaps)
    pending_gap = 0
    for n in delivered:
        if n == -1:
            pending_gap += next(gap_iter)
            continue
        assert n == expected_next + pending_gap, (delivered, gaps)
        expected_next = n + 1
        pending_gap = 0
    assert expected_next + pending_gap == sent  # the tail: delivered, or told as a final gap


@given(st.sampled_from(Policy), st.integers(min_value=1, max_value=6), steps)
def test_statistics_add_up_to_what_was_published(policy: Policy, maxsize: int, plan: list[int]) -> None:
    bus = InProcessBus()
    sub = bus.subscribe("s", policy=policy, maxsize=maxsize)
    sent = 0
    for step in plan:
        if step > 0:
            for _ in range(step):
                bus.publish(CallStarted("c", sent, ALICE))
                sent += 1
            assert sub.queued <= maxsize
        else:
            for _ in range(-step):
                try:
                    sub.get_nowait()
                except (asyncio.QueueEmpty, SubscriberOverflow):
                    pass
    (stats,) = bus.stats()
    assert stats.delivered + stats.queued + stats.dropped == sent
    assert stats.overflows <= stats.dropped
