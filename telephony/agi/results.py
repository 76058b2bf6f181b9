"""Typed results of the session helpers that return more than one value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class GetDataResult(NamedTuple):
    """What GET DATA collected: the digits (``#`` not included) and whether input timed out."""

    digits: str
    timed_out: bool


@dataclass(frozen=True)
class StreamResult:
    """STREAM FILE outcome: the escape digit that interrupted playback (``None`` if none) and the
    sample offset where playback stopped."""

    digit: str | None
    endpos: int


@dataclass(frozen=True)
class RecordResult:
    """RECORD FILE outcome: why recording stopped (``dtmf``, ``timeout``, ``hangup``, ``writefile``
    ...; empty when Asterisk gave no reason), the digit pressed, and the end offset in samples."""

    reason: str
    digit: str | None
    endpos: int | None


def digit_from_code(code: int) -> str | None:
    """Asterisk reports a pressed digit as its character code; ``0`` means none."""
    if code <= 0:
        return None
    return chr(code)
