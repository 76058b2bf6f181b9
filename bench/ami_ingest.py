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
comparison. CPU time (``process_time``) of this process is measured, so other load on the machine
disturbs the figures less; the best of ``--rounds`` per parser. All must count the same events.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import gzip
import json
import logging
import platform
import sys
import threading
import time
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


def run_panoramisk(chunks: list[bytes]) -> tuple[int, float]:
    from panoramisk.ami_protocol import AMIProtocol

    class Factory:
        count = 0
        touched = 0

        def dispatch(self, message: Any) -> None:
            self.count += 1
            if message.get("Uniqueid"):
                self.touched += 1

    class Transport:
        def write(self, data: bytes) -> None:
            pass

        def close(self) -> None:
            pass

    protocol = AMIProtocol()
    protocol.connection_made(Transport())
    factory = Factory()
    protocol.factory = factory
    feed = protocol.data_received
    t0 = time.process_time()
    for chunk in chunks:
        feed(chunk)
    return factory.count, time.process_time() - t0


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
    best: dict[str, float] = {}
    counts: dict[str, set[int]] = {
        "ours": set(),
        "ours_full": set(),
        "panoramisk": set(),
        "asterisk_ami": set(),
    }
    for _ in range(args.rounds):
        for name, run in (
            ("ours", lambda: run_ours(chunks)),
            ("ours_full", lambda: run_ours(chunks, full=True)),
            ("panoramisk", lambda: run_panoramisk(chunks)),
            ("asterisk_ami", lambda: run_asterisk_ami(data)),
        ):
            gc.collect()
            count, seconds = run()
            counts[name].add(count)
            best[name] = max(best.get(name, 0.0), count / seconds)
    events = next(iter(counts["ours"])) if len(counts["ours"]) == 1 else -1
    same = events > 0 and all(c == {events} for c in counts.values())
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
        "clock": "process_time",
        "same_event_count": same,
        "python": platform.python_version(),
    }
    if not same:
        result["counts"] = {k: sorted(v) for k, v in counts.items()}
    print(json.dumps(result))
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
