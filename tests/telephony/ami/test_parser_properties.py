"""Hypothesis properties of the AMI parser (issue 10 §5).

- Any split of a valid stream into reads gives the same messages as one read.
- Junk between blank lines never costs the next message: whatever malformed frame precedes it,
  an event or response after a blank line arrives intact.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telephony.ami import FrameParser, Message

from .junk import BLANK_LINES, VALID, junk_frame

Pairs = list[tuple[str, str]]

KEYS = st.from_regex(r"[A-Z][A-Za-z0-9-]{0,14}", fullmatch=True).filter(
    lambda k: k not in ("Event", "Response")
)
# Values: any text without line breaks ("\r" alone would be ambiguous with CRLF at a line's end).
VALUES = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=30)
ENDINGS = st.sampled_from(["\r\n", "\n"])


@st.composite
def messages(draw: st.DrawFn) -> Pairs:
    if draw(st.booleans()):
        first = ("Event", draw(st.from_regex(r"[A-Z][A-Za-z]{0,20}", fullmatch=True)))
    else:
        first = ("Response", draw(st.sampled_from(["Success", "Error", "Goodbye"])))
    return [first, *draw(st.lists(st.tuples(KEYS, VALUES), max_size=8))]


def encode(pairs: Pairs, endings: list[str]) -> bytes:
    """One message, each line with its own ending (the last one doubled into the blank line)."""
    lines = [f"{k}: {v}" + endings[i % len(endings)] for i, (k, v) in enumerate(pairs)]
    return ("".join(lines) + endings[-1]).encode("utf-8")


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[Pairs], bytes]:
    msgs = draw(st.lists(messages(), min_size=1, max_size=8))
    data = b"Asterisk Call Manager/11.0.0\r\n" if draw(st.booleans()) else b""
    for pairs in msgs:
        data += encode(pairs, draw(st.lists(ENDINGS, min_size=1, max_size=3)))
        data += draw(st.sampled_from([b"", b"", b"\r\n", b"\n"]))  # extra blank lines between messages
    return msgs, data


def grouped(pairs: Pairs) -> Pairs:
    """``pairs`` as ``Message.pairs()`` gives them: repeated keys together, where the first was."""
    order: dict[str, list[str]] = {}
    for key, value in pairs:
        order.setdefault(key, []).append(value)
    return [(key, value) for key, values in order.items() for value in values]


def feed_in(data: bytes, cuts: list[int], parser: FrameParser | None = None) -> list[Message]:
    parser = parser or FrameParser()
    out: list[Message] = []
    pos = 0
    for cut in sorted(set(cuts)):
        out += parser.feed(data[pos:cut])
        pos = cut
    return out + parser.feed(data[pos:])


def without_banner(msgs: list[Message]) -> list[Message]:
    return [m for m in msgs if m.kind != "banner"]


@given(streams(), st.lists(st.integers(min_value=0, max_value=4000), max_size=20))
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_any_split_of_a_valid_stream_into_reads_gives_the_same_messages(
    stream: tuple[list[Pairs], bytes], cuts: list[int]
) -> None:
    sent, data = stream
    expected = [grouped(pairs) for pairs in sent]
    fresh = without_banner(feed_in(data, [c % (len(data) + 1) for c in cuts]))
    whole = without_banner(FrameParser().feed(data))
    split = without_banner(feed_in(data, [c % (len(data) + 1) for c in cuts]))
    assert [m.pairs() for m in whole] == expected
    assert [m.pairs() for m in split] == expected
    assert [m.kind for m in split] == [m.kind for m in whole]
    for msg, pairs in zip(fresh, sent, strict=True):  # lookups from the text (no table yet) agree
        for key, _ in pairs:
            assert msg[key] == msg.get(key) == next(v for k, v in pairs if k == key)
            assert msg.getall(key) == [v for k, v in pairs if k == key]


MAX_LINE = 256
MAX_FRAME = 2048


@given(
    st.randoms(use_true_random=False),
    messages(),
    messages(),
    st.lists(st.integers(min_value=0, max_value=20_000), max_size=10),
    st.binary(max_size=300),
)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_junk_between_blank_lines_never_costs_the_next_message(
    rng: random.Random, before: Pairs, after: Pairs, cuts: list[int], raw_junk: bytes
) -> None:
    junk = b"".join(junk_frame(rng, max_line=MAX_LINE, max_frame=MAX_FRAME) for _ in range(rng.randint(1, 4)))
    junk += raw_junk + rng.choice(BLANK_LINES)
    data = encode(before, ["\r\n"]) + junk + encode(after, [rng.choice(["\r\n", "\n"])])
    parser = FrameParser(max_line=MAX_LINE, max_frame=MAX_FRAME)
    out = feed_in(data, [c % (len(data) + 1) for c in cuts], parser)
    assert out[0].pairs() == grouped(before)
    assert out[-1].pairs() == grouped(after)
    assert not any(m.name == VALID for m in out)
    assert parser.pending == 0
