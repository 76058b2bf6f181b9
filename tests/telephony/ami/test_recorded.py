"""Our own recording of the bundled Asterisk 22 (tests/data/ami/recorded) through parser and tracker."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from config.settings import AmiSettings
from telephony.ami import AmiClient, FrameParser, Message
from telephony.tracker import CallEnded, CallEvent, CallStarted, CallTracker, attach

RECORDED = Path(__file__).resolve().parents[2] / "data" / "ami" / "recorded" / "sim-calls-300.ami.gz"


@pytest.fixture(scope="module")
def raw() -> bytes:
    return gzip.decompress(RECORDED.read_bytes())


def test_every_event_is_parsed_and_utf8_names_survive_random_chunking(raw: bytes) -> None:
    parser = FrameParser()
    rng = random.Random(5)
    messages: list[Message] = []
    pos = 0
    while pos < len(raw):
        size = rng.choice((1, 3, 100, 1460, 65536))
        messages += parser.feed(raw[pos : pos + size])
        pos += size
    assert parser.pending == 0
    events = [m for m in messages if m.kind == "event"]
    assert len(events) == raw.count(b"\r\n\r\nEvent: ") == 22209
    assert messages[0].kind == "banner" and messages[0].name == "Asterisk Call Manager/11.0.0"
    names = sum(m.get("CallerIDName") == "张三丰" for m in events)
    assert names == raw.count("\r\nCallerIDName: 张三丰\r\n".encode())
    assert names > 0


def test_lookups_from_the_text_match_the_full_header_table(raw: bytes) -> None:
    lazy = FrameParser().feed(raw)
    full = FrameParser().feed(raw)
    for a, b in zip(lazy, full, strict=True):
        table = b.pairs()  # builds the table
        for key, _ in table:
            assert a.get(key) == b.getall(key)[0]
            assert key in a
        assert "NoSuchHeader" not in a and a.get("NoSuchHeader") is None
    repeated = [m for m in full if len(m.getall("State")) > 1]
    assert repeated and all(m.name == "TestEvent" for m in repeated)


async def test_tracker_sees_all_300_calls_start_and_end(raw: bytes) -> None:
    client = AmiClient(AmiSettings(secret="unused"))
    tracker = CallTracker()
    seen: list[CallEvent] = []
    tracker.subscribe(seen.append)
    attach(client, tracker)
    protocol = client.make_protocol()
    for pos in range(0, len(raw), 4096):
        protocol.data_received(raw[pos : pos + 4096])
    started = [e for e in seen if isinstance(e, CallStarted)]
    ended = [e for e in seen if isinstance(e, CallEnded)]
    assert len(started) == len(ended) == 300 and tracker.live_calls == {}
    assert {e.call_id for e in started} == {e.call_id for e in ended}
    queue_calls = [e for e in ended if e.dialed == "4000"]
    assert len(queue_calls) == 150
    assert sum(e.answered for e in queue_calls) == raw.count(b"Event: AgentConnect\r\n") == 79
    assert sum(e.caller.name == "张三丰" for e in ended) == 30
    assert {e.dtmf for e in queue_calls} == {"1", "42#", "2*9", ""}
