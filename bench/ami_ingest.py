"""AMI ingest benchmark: one recorded Asterisk 22 event stream through three parsers, same run.

    python bench/ami_ingest.py [--repeat N] [--chunk BYTES] [--rounds R]

The stream (tests/data/ami/recorded/sim-calls-300.ami.gz, raw bytes as received from the bundled
PBX) is repeated until it holds at least ``--min-events`` events, then fed to:

- ours: ``AmiClient``'s asyncio protocol (``data_received`` -> FrameParser -> dispatch to a ``*``
  subscriber), in ``--chunk``-byte reads as a socket delivers them;
- panoramisk 1.4: ``AMIProtocol.data_received`` (its parser and ``Message``) with a factory whose
  ``dispatch`` counts, same chunks;
- asterisk-ami 0.1.7: ``AMIClient.listen()`` reading from a socket-like object through its own
  ``recv`` loop (its default 1 KiB buffer) and ``fire_recv_pack`` to a listener.

Each consumer reads the event name and one header of every event (ours answers such lookups from
the frame text); ``ours_full_parse_eps`` also builds every event's complete header table, for
comparison.

The real consumer, the call tracker (``telephony.tracker.CallTracker``, public API only), fed in the
same run from two parsers over the same bytes:

- ``tracker_eps``: ours, as the platform wires it: ``attach(client, tracker)`` subscribes the
  tracked event names, our protocol parses and dispatches, the tracker applies each event;
- ``panoramisk_tracker_eps``: panoramisk's ``AMIProtocol`` parses, its dispatch hands the tracked
  events (the same names) to an identical tracker; ``tracker_ratio_vs_panoramisk`` = ours / theirs.

For these the copies of the stream get their own Uniqueids and Linkedids (a copy number put in
front of the sequence part), since the tracker rightly ignores a channel id that already hung
up; both trackers must emit the same number of call events (``tracker_call_events``).

CPU time (``process_time``) of this process is measured, so other load on the machine disturbs the
figures less; the best of ``--rounds`` per parser. All must count the same events.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import gzip
import json
import logging
import platform
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STREAM = ROOT / "tests" / "data" / "ami" / "recorded" / "sim-calls-300.ami.gz"
BANNER = b"Asterisk Call Manager/"


def load_stream(min_events: int, repeat: int | None) -> tuple[bytes, int]:
    raw = gzip.decompress(STREAM.read_bytes())
    assert raw.startswith(BANNER)
    banner_end = raw.index(b"\r\n") + 2
    body = raw[banner_end:]
    # The reply to our Logoff ends the recording; a repeated stream must look like one connection
    # (asterisk-ami stops reading at a Goodbye).
    goodbye = body.find(b"Response: Goodbye\r\n")
    if goodbye >= 0:
        end = body.index(b"\r\n\r\n", goodbye) + 4
        body = body[:goodbye] + body[end:]
    per_copy = body.count(b"\r\n\r\nEvent: ") + body.startswith(b"Event: ")
    copies = repeat or max(1, -(-min_events // per_copy))
    return raw[:banner_end] + body * copies, copies


_CHANNEL_IDS = re.compile(rb"((?:Uniqueid|Linkedid): \d+\.)(\d+)")
"""Uniqueid, Linkedid and their Dest/LocalOne/LocalTwo forms (BridgeUniqueid is a UUID)."""


def renumbered(data: bytes, copies: int) -> bytes:
    """``data`` (banner + ``copies`` equal bodies) with each copy's channel ids made its own."""
    banner_end = data.index(b"\r\n") + 2
    body = data[banner_end:]
    size = len(body) // copies
    parts = [data[:banner_end]]
    for copy in range(copies):
        prefix = b"%03d" % copy

        def own_id(match: re.Match[bytes], prefix: bytes = prefix) -> bytes:
            return match.group(1) + prefix + match.group(2)

        parts.append(_CHANNEL_IDS.sub(own_id, body[copy * size : (copy + 1) * size]))
    return b"".join(parts)


def chunks_of(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def run_ours(chunks: list[bytes], full: bool = False) -> tuple[int, float]:
    """``full``: the consumer also builds every event's whole header table (``to_dict()``)."""
    from config.settings import AmiSettings
    from telephony.ami import AmiClient, Message

    async def main() -> tuple[int, float]:
        client = AmiClient(AmiSettings(secret="bench"))
        count = 0
        touched = 0

        def on_event(event: Message) -> None:
            nonlocal count, touched
            count += 1
            if event.get("Uniqueid"):
                touched += 1
            if full:
                event.to_dict()

        client.subscribe("*", on_event)
        protocol = client.make_protocol()
        feed = protocol.data_received
        t0 = time.process_time()
        for chunk in chunks:
            feed(chunk)
        return count, time.process_time() - t0

    return asyncio.run(main())


def feed_panoramisk(chunks: list[bytes], dispatch: Callable[[Any], None]) -> float:
    """CPU seconds for panoramisk's ``AMIProtocol`` to parse ``chunks``, each message to ``dispatch``."""
    from panoramisk.ami_protocol import AMIProtocol

    class Factory:
        def __init__(self) -> None:
            self.dispatch = dispatch

    class Transport:
        def write(self, data: bytes) -> None:
            pass

        def close(self) -> None:
            pass

    protocol = AMIProtocol()
    protocol.connection_made(Transport())
    protocol.factory = Factory()
    feed = protocol.data_received
    t0 = time.process_time()
    for chunk in chunks:
        feed(chunk)
    return time.process_time() - t0


def run_panoramisk(chunks: list[bytes]) -> tuple[int, float]:
    count = 0
    touched = 0

    def dispatch(message: Any) -> None:
        nonlocal count, touched
        count += 1
        if message.get("Uniqueid"):
            touched += 1

    seconds = feed_panoramisk(chunks, dispatch)
    return count, seconds


def run_ours_tracker(chunks: list[bytes]) -> tuple[int, int, float]:
    """Our protocol -> dispatch -> ``attach``ed tracker; (events fed, call events, seconds)."""
    from config.settings import AmiSettings
    from telephony.ami import AmiClient
    from telephony.tracker import CallTracker, attach

    class CountingTracker(CallTracker):
        fed = 0

        def feed(self, event: Any, now: float | None = None) -> list[Any]:
            self.fed += 1
            return super().feed(event, now)

    async def main() -> tuple[int, int, float]:
        client = AmiClient(AmiSettings(secret="bench"))
        tracker = CountingTracker()
        attach(client, tracker)
        calls = 0

        def on_call(_: object) -> None:
            nonlocal calls
            calls += 1

        tracker.subscribe(on_call)
        protocol = client.make_protocol()
        feed = protocol.data_received
        t0 = time.process_time()
        for chunk in chunks:
            feed(chunk)
        return tracker.fed, calls, time.process_time() - t0

    return asyncio.run(main())


def run_panoramisk_tracker(chunks: list[bytes]) -> tuple[int, int, float]:
    """panoramisk's protocol and ``Message`` -> the same tracked names -> an identical tracker."""
    from telephony.tracker import TRACKED_EVENTS, CallTracker

    tracker = CallTracker()
    tracked = frozenset(TRACKED_EVENTS)
    clock = time.time
    feed_tracker = tracker.feed
    counted = {"fed": 0, "calls": 0}

    def on_call(_: object) -> None:
        counted["calls"] += 1

    def dispatch(message: Any) -> None:
        if message.get("Event") in tracked:
            counted["fed"] += 1
            feed_tracker(message, clock())

    tracker.subscribe(on_call)
    seconds = feed_panoramisk(chunks, dispatch)
    return counted["fed"], counted["calls"], seconds


def run_asterisk_ami(data: bytes) -> tuple[int, float]:
    from asterisk.ami import AMIClient

    class Socket:
        """What AMIClient reads from: recv(n) hands out the stream n bytes at a time."""

        def __init__(self, payload: bytes) -> None:
            self.view = memoryview(payload)
            self.pos = 0

        def recv(self, size: int) -> bytes:
            piece = self.view[self.pos : self.pos + size].tobytes()
            self.pos += len(piece)
            return piece

        def close(self) -> None:
            pass

    counted = {"count": 0, "touched": 0}

    def on_event(source: Any, event: Any) -> None:
        counted["count"] += 1
        if event.keys.get("Uniqueid"):
            counted["touched"] += 1

    client = AMIClient()
    client.add_listener(on_event=on_event)
    client._socket = Socket(data)
    client.finished = threading.Event()
    t0 = time.process_time()
    client.listen()  # its reader loop, run here instead of in its thread
    return counted["count"], time.process_time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description="AMI ingest benchmark (prints one JSON line)")
    parser.add_argument("--min-events", type=int, default=200_000)
    parser.add_argument(
        "--repeat", type=int, default=None, help="copies of the stream (overrides --min-events)"
    )
    parser.add_argument("--chunk", type=int, default=65536, help="bytes per read for ours and panoramisk")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # peers log per message at DEBUG/INFO; keep output to the JSON line

    data, copies = load_stream(args.min_events, args.repeat)
    chunks = chunks_of(data, args.chunk)
    tracker_data = renumbered(data, copies)
    tracker_events = tracker_data.count(b"\r\n\r\nEvent: ")
    tracker_chunks = chunks_of(tracker_data, args.chunk)
    tracker_fed: dict[str, set[int]] = {"tracker": set(), "panoramisk_tracker": set()}
    call_events: dict[str, set[int]] = {"tracker": set(), "panoramisk_tracker": set()}
    best: dict[str, float] = {}
    counts: dict[str, set[int]] = {
        "ours": set(),
        "ours_full": set(),
        "panoramisk": set(),
        "asterisk_ami": set(),
    }
    parsers: list[tuple[str, Callable[[], tuple[int, float]]]] = [
        ("ours", lambda: run_ours(chunks)),
        ("ours_full", lambda: run_ours(chunks, full=True)),
        ("panoramisk", lambda: run_panoramisk(chunks)),
        ("asterisk_ami", lambda: run_asterisk_ami(data)),
    ]
    trackers: list[tuple[str, Callable[[], tuple[int, int, float]]]] = [
        ("tracker", lambda: run_ours_tracker(tracker_chunks)),
        ("panoramisk_tracker", lambda: run_panoramisk_tracker(tracker_chunks)),
    ]
    for _ in range(args.rounds):
        for name, run in parsers:
            gc.collect()
            count, seconds = run()
            counts[name].add(count)
            best[name] = max(best.get(name, 0.0), count / seconds)
        for name, run_tracker in trackers:
            gc.collect()
            fed, calls, seconds = run_tracker()
            tracker_fed[name].add(fed)
            call_events[name].add(calls)
            # events per second of the whole stream (every event is parsed; the tracked ones fed)
            best[name] = max(best.get(name, 0.0), tracker_events / seconds)
    events = next(iter(counts["ours"])) if len(counts["ours"]) == 1 else -1
    same = events > 0 and all(c == {events} for c in counts.values())
    fed_seen = set().union(*tracker_fed.values())  # tracked events that reached each tracker
    calls_seen = set().union(*call_events.values())  # call events each tracker emitted
    same = same and tracker_events == events and len(fed_seen) == len(calls_seen) == 1 and 0 not in calls_seen
    result = {
        "bench": "ami_ingest",
        "events": events,
        "bytes": len(data),
        "stream": STREAM.name,
        "copies": copies,
        "chunk": args.chunk,
        "rounds": args.rounds,
        "ours_eps": round(best["ours"]),
        "ours_full_parse_eps": round(best["ours_full"]),
        "panoramisk_eps": round(best["panoramisk"]),
        "asterisk_ami_eps": round(best["asterisk_ami"]),
        "ratio_vs_panoramisk": round(best["ours"] / best["panoramisk"], 2),
        "ratio_vs_asterisk_ami": round(best["ours"] / best["asterisk_ami"], 2),
        "full_parse_ratio_vs_panoramisk": round(best["ours_full"] / best["panoramisk"], 2),
        "tracker_eps": round(best["tracker"]),
        "panoramisk_tracker_eps": round(best["panoramisk_tracker"]),
        "tracker_ratio_vs_panoramisk": round(best["tracker"] / best["panoramisk_tracker"], 2),
        "tracker_events_fed": max(tracker_fed["tracker"]),
        "tracker_call_events": max(call_events["tracker"]),
        "clock": "process_time",
        "same_event_count": same,
        "python": platform.python_version(),
    }
    if not same:
        result["counts"] = {k: sorted(v) for k, v in counts.items()}
        result["tracker_counts"] = {
            "events": [events, tracker_events],
            "fed": {k: sorted(v) for k, v in tracker_fed.items()},
            "call_events": {k: sorted(v) for k, v in call_events.items()},
        }
    print(json.dumps(result))
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
