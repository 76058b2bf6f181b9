"""Malformed AMI frames of every kind seen when fuzzing the client, and valid events to mix in.

``junk_frame(rng, ...)`` returns bytes that are never terminated by a blank line themselves (the
caller adds one); they may hold blank lines inside. Valid events carry ``Event: FuzzValid`` and a
``Seq`` header, a name no junk kind produces.
"""

from __future__ import annotations

import random
from collections.abc import Callable

Pairs = list[tuple[str, str]]

VALID = "FuzzValid"


def valid_event(seq: int, rng: random.Random) -> tuple[Pairs, bytes]:
    """A well-formed event (CRLF or LF line endings) and its expected headers."""
    pairs: Pairs = [
        ("Event", VALID),
        ("Privilege", "call,all"),
        ("Seq", str(seq)),
        ("CallerIDName", rng.choice(["张三丰", "Zoë", "", "<unknown>"])),
        ("AppData", rng.choice(["Caller: a: b", "s,1", ""])),
        ("Uniqueid", f"1700000000.{seq}"),
    ]
    nl = rng.choice(["\r\n", "\r\n", "\n"])
    return pairs, (nl.join(f"{k}: {v}" for k, v in pairs) + nl + nl).encode("utf-8")


def _over_long_line(rng: random.Random, max_line: int) -> bytes:
    return b"Event: Long\r\nData: " + b"y" * (max_line + rng.randint(1, 500)) + b"\r\nUniqueid: 1.1"


def _over_size_frame(rng: random.Random, max_frame: int) -> bytes:
    line = b"Key: " + b"v" * rng.randint(10, 200) + b"\r\n"
    return b"Event: Big\r\n" + line * (max_frame // len(line) + rng.randint(1, 20))


def _binary(rng: random.Random) -> bytes:
    return rng.randbytes(rng.randint(1, 400))


def _lone_cr(rng: random.Random) -> bytes:
    return rng.choice([b"Event: Cr\rFoo: bar\rBaz\r", b"\r", b"Event: Cr2\r\nA: 1\rB: 2\r", b"\r\r\r"])


def _missing_colon(rng: random.Random) -> bytes:
    return rng.choice([b"this line has no colon", b"Event: NoColon\r\nno colon here\r\nA: 1", b"Foo bar"])


def _stray_follows(rng: random.Random) -> bytes:
    body = rng.choice([b"", b"\r\nsome output", b"\r\nChannel  Location\r\n\r\nmore output"])
    return b"Response: Follows\r\nPrivilege: Command\r\nActionID: junk-" + str(rng.random()).encode() + body


def _half_frame(rng: random.Random) -> bytes:
    whole = b"Event: Newchannel\r\nChannel: PJSIP/agent-0001\r\nUniqueid: 1700000000.99\r\nCause: 16"
    return whole[: rng.randint(1, len(whole))]


def _nuls(rng: random.Random) -> bytes:
    return rng.choice([b"\x00" * rng.randint(1, 50), b"Event: Nul\x00\r\nA: \x00\x00\r\n\x00", b"\x00: \x00"])


def _invalid_utf8(rng: random.Random) -> bytes:
    return rng.choice(
        [
            b"Event: BadUtf\r\nCallerIDName: \xe5\xbc\xa0\xff\xfe",
            b"\xc3\x28\xa0\xa1",
            b"Event: \xe5\xbc\r\nX: \x80",
        ]
    )


def _line_endings(rng: random.Random) -> bytes:
    return rng.choice(
        [b"Event: LfOnly\nA: 1\nB: 2", b"Event: Mixed\r\nA: 1\nB: 2\r\n\n\r\nC: 3", b"\n\r\n\n"]
    )


def _glued_and_orphans(rng: random.Random) -> bytes:
    return rng.choice(
        [
            b"[218 bytes missing]Event: Glued\r\nA: 1",
            b"Response: Success\r\nActionID: nobody-waits-for-this",
            b"Foo: bar\r\nBaz: 1",
            b"Privilege: call,all\r\nEvent: HeaderFirst",
            b"--END COMMAND--",
        ]
    )


def junk_kinds(max_line: int, max_frame: int) -> list[Callable[[random.Random], bytes]]:
    return [
        lambda rng: _over_long_line(rng, max_line),
        lambda rng: _over_size_frame(rng, max_frame),
        _binary,
        _lone_cr,
        _missing_colon,
        _stray_follows,
        _half_frame,
        _nuls,
        _invalid_utf8,
        _line_endings,
        _glued_and_orphans,
    ]


BLANK_LINES = (b"\r\n\r\n", b"\n\n", b"\r\n\n", b"\n\r\n")
"""A blank line in each spelling (after junk that may not end its last line)."""


def junk_frame(rng: random.Random, *, max_line: int, max_frame: int) -> bytes:
    """One malformed frame of a random kind, followed by a blank line."""
    kind = rng.choice(junk_kinds(max_line, max_frame))
    return kind(rng) + rng.choice(BLANK_LINES)
