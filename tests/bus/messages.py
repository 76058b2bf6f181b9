"""Message types of the bus tests (the domain packages define their own the same way)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from bus import Codec


class Tier(StrEnum):
    STANDARD = "standard"
    VIP = "vip"


@dataclass(frozen=True, slots=True)
class Caller:
    number: str
    name: str
    restricted: bool = False


@dataclass(frozen=True, slots=True)
class Leg:
    party: Caller
    started: float
    ended: float | None


@dataclass(frozen=True, slots=True)
class CallStarted:
    call_id: str
    n: int
    caller: Caller


@dataclass(frozen=True, slots=True)
class CallEnded:
    call_id: str
    n: int
    legs: tuple[Leg, ...] = ()
    cause: int | None = None


@dataclass(frozen=True, slots=True)
class AgentPaused:
    agent: str
    n: int
    reason: Literal["break", "lunch"] | None = None


@dataclass(frozen=True, slots=True)
class ScreenPop:
    """A bit of everything the codec carries."""

    agent: str
    caller: Caller | None
    tier: Tier
    at: datetime
    scores: dict[str, float]
    pair: tuple[Caller, Leg | None]
    who: Caller | Leg


CODEC = Codec()
for _cls in (CallStarted, CallEnded, AgentPaused, ScreenPop):
    CODEC.register(_cls)
