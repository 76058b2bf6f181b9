"""The call-session interface the interpreter runs against.

``ivr.agi_session.AgiCallSession`` implements it over FastAGI; unit tests use a fake. Speech is
what to play: Asterisk sound files and text in a language (the adapter turns text into a cached
prompt file, see ivr/prompts.py). Once the caller hangs up, every media method raises
``CallerHungUp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ivr.model import Language


class CallerHungUp(Exception):
    """The caller hung up; the interpreter stops and records where."""


@dataclass(frozen=True)
class Sound:
    """An Asterisk sound file by name (``vm-goodbye``, ``digits/1``), without extension."""

    name: str


@dataclass(frozen=True)
class Text:
    """Text spoken by the TTS voice of ``language``."""

    text: str
    language: Language


SpeechPart = Sound | Text
Speech = tuple[SpeechPart, ...]


@dataclass(frozen=True)
class Digits:
    digits: str
    timed_out: bool
    """No digit (or not all of them) within the timeout."""


@dataclass(frozen=True)
class Recording:
    """A message the caller left: where the adapter stored it and how long it is."""

    location: str
    seconds: float


class CallSession(Protocol):
    @property
    def caller_number(self) -> str:
        """The calling number as the network gave it (may be empty or ``anonymous``)."""
        ...

    @property
    def dialed_number(self) -> str:
        """The DID the caller dialled."""
        ...

    @property
    def call_id(self) -> str:
        """A stable id of this call (Asterisk's linkedid or uniqueid)."""
        ...

    async def play(self, speech: Speech, *, interrupt: str = "") -> str | None:
        """Play ``speech``; the digit in ``interrupt`` that stopped it, or ``None``."""
        ...

    async def get_digits(
        self, speech: Speech, *, timeout_ms: int, max_digits: int, terminator: str = "#"
    ) -> Digits:
        """Play ``speech`` (may be empty) and collect up to ``max_digits`` digits; ``terminator``
        ends the input early and is not included."""
        ...

    async def record(self, name: str, *, max_seconds: int, silence_seconds: int) -> Recording | None:
        """Record a message (after a beep; ``#`` ends it); ``None`` when nothing was recorded."""
        ...

    async def set_variable(self, name: str, value: str) -> None:
        """A channel variable for the dialplan (works after a hang-up too)."""
        ...

    async def hangup(self) -> None:
        """Hang up (nothing when the caller already did)."""
        ...
