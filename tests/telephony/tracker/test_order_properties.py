"""Every call ends exactly once, whatever the order of events (property tests on the pure core).

AMI keeps the events of one channel in order; across channels the order seen by a client can differ
(several PBX threads publish at once), and a reconnecting client may be handed an event twice. So the
recorded logs (cacofonisk and our bundled-PBX recordings) are replayed with their per-channel
streams interleaved at random and events duplicated at random; the tracker must still start and end
each call once, in that order, with nothing left live.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telephony.tracker import CallEnded, CallEvent, CallStarted, CallTracker

DATA = Path(__file__).resolve().parents[2] / "data" / "ami"
LOGS = {
    str(path.relative_to(DATA)): json.loads(path.read_text(encoding="utf-8"))
    for path in sorted([*DATA.glob("cacofonisk/*/*.json"), *DATA.glob("bundled/*.json")])
}
"""The cacofonisk logs and our bundled-PBX recordings (transfers, pickups)."""


def shuffled(events: list[dict[str, str]], rng: random.Random) -> list[dict[str, str]]:
    """Interleave the per-channel streams at random (each stream keeps its order); sometimes
    deliver an event twice."""
    streams: dict[str, list[dict[str, str]]] = defaultdict(list)
    for event in events:
        streams[event.get("Uniqueid", "")].append(event)
    queues = [list(stream) for stream in streams.values()]
    speeds = [rng.expovariate(1.0) + 1e-9 for _ in queues]  # some channels run far ahead of others
    out: list[dict[str, str]] = []
    while queues:
        (index,) = rng.choices(range(len(queues)), weights=speeds)
        event = queues[index].pop(0)
        out.append(event)
        if rng.random() < 0.1:
            out.append(event)  # duplicated delivery
        if not queues[index]:
            queues.pop(index)
            speeds.pop(index)
    return out


def check_each_call_starts_and_ends_once(seen: list[CallEvent], tracker: CallTracker) -> None:
    started: dict[str, int] = defaultdict(int)
    ended: dict[str, int] = defaultdict(int)
    for event in seen:
        assert ended[event.call_id] == 0, f"{type(event).__name__} after the end of {event.call_id}"
        if isinstance(event, CallStarted):
            started[event.call_id] += 1
        else:
            assert started[event.call_id] == 1, f"{type(event).__name__} before {event.call_id} started"
        if isinstance(event, CallEnded):
            ended[event.call_id] += 1
    assert set(started) == set(ended)
    assert all(n == 1 for n in started.values()) and all(n == 1 for n in ended.values())
    assert tracker.live_calls == {}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(LOGS)), seed=st.integers(0, 2**32))
def test_any_interleaving_of_channels_and_duplicates_end_every_call_exactly_once(
    name: str, seed: int
) -> None:
    rng = random.Random(seed)
    tracker = CallTracker()
    seen: list[CallEvent] = []
    tracker.subscribe(seen.append)
    for n, ami_event in enumerate(shuffled(LOGS[name], rng)):
        tracker.feed(ami_event, now=float(n))
    check_each_call_starts_and_ends_once(seen, tracker)
    for event in seen:
        if isinstance(event, CallEnded):
            assert event.reason in ("hangup", "merged")
            assert (event.reason == "merged") == (event.merged_into is not None)
            assert event.merged_into != event.call_id
            for leg in event.legs:
                assert leg.a.uniqueid != leg.b.uniqueid
                assert leg.start is not None and (leg.end is None or leg.end >= leg.start)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_all_logs_interleaved_into_one_stream_end_every_call_exactly_once(seed: int) -> None:
    rng = random.Random(seed)
    tracker = CallTracker()
    seen: list[CallEvent] = []
    tracker.subscribe(seen.append)
    everything = [event for name in sorted(LOGS) for event in LOGS[name]]
    for n, ami_event in enumerate(shuffled(everything, rng)):
        tracker.feed(ami_event, now=float(n))
    check_each_call_starts_and_ends_once(seen, tracker)
