"""Bus messages the ACD publishes: frozen dataclasses of str/int/float/bool/None, tuples and nested
frozen dataclasses, so ``to_json`` is lossless. Each has a ``type`` (the websocket ``type`` field).

A console stands on ``AgentStateChanged``/``CallOffered``/``CallAnswered`` and ``AgentSnapshot``;
a wallboard on ``QueueSnapshot`` and ``Statistics`` (and the call events for live tickers).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, ClassVar

from routing.values import fast_init


@dataclass(frozen=True, slots=True)
class _Message:
    type: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **dataclasses.asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


@fast_init
@dataclass(frozen=True, slots=True)
class AgentStateChanged(_Message):
    type: ClassVar[str] = "agent_state_changed"
    agent_id: str
    state: str
    previous: str
    reason: str  # the pause reason ("missed" after a ring-no-answer), else ""
    since: float
    call_id: str | None


@fast_init
@dataclass(frozen=True, slots=True)
class CallQueued(_Message):
    type: ClassVar[str] = "call_queued"
    call_id: str
    queue: str
    priority: int
    customer_id: str | None
    tier: str | None
    caller_number: str
    caller_name: str
    at: float


@fast_init
@dataclass(frozen=True, slots=True)
class CallOffered(_Message):
    type: ClassVar[str] = "call_offered"
    call_id: str
    agent_id: str
    extension: str
    queue: str
    attempt: int
    customer_id: str | None
    tier: str | None
    intent: str | None
    caller_number: str
    caller_name: str
    waited: float
    at: float


@fast_init
@dataclass(frozen=True, slots=True)
class OfferMissed(_Message):
    type: ClassVar[str] = "offer_missed"
    call_id: str
    agent_id: str
    queue: str
    reason: str
    at: float


@fast_init
@dataclass(frozen=True, slots=True)
class CallAnswered(_Message):
    type: ClassVar[str] = "call_answered"
    call_id: str
    agent_id: str
    queue: str
    waited: float
    at: float


@fast_init
@dataclass(frozen=True, slots=True)
class CallAbandoned(_Message):
    type: ClassVar[str] = "call_abandoned"
    call_id: str
    queue: str
    waited: float
    short: bool  # under the short-abandon threshold: not counted against the service level
    at: float


@fast_init
@dataclass(frozen=True, slots=True)
class CallOverflowed(_Message):
    type: ClassVar[str] = "call_overflowed"
    call_id: str
    queue: str
    action: str  # queue / callback / voicemail
    target: str
    waited: float
    at: float


@fast_init
@dataclass(frozen=True, slots=True)
class AgentCounts:
    logged_out: int = 0
    available: int = 0
    reserved: int = 0
    ringing: int = 0
    on_call: int = 0
    wrap_up: int = 0
    paused: int = 0


@fast_init
@dataclass(frozen=True, slots=True)
class QueueStatistics:
    queue: str  # "" for the total
    waiting: int
    longest_wait: float
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    overflowed: int
    answered_in_sl: int
    service_level: float | None  # percent; None before the first call of the day
    asa: float | None  # average speed of answer, seconds
    aht: float | None  # average handle time (talk + wrap-up), seconds
    agents: AgentCounts


@fast_init
@dataclass(frozen=True, slots=True)
class QueueSnapshot(_Message):
    type: ClassVar[str] = "queue_snapshot"
    at: float
    stats: QueueStatistics
    waiting_calls: tuple[WaitingCall, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class WaitingCall:
    call_id: str
    position: int
    priority: float  # effective priority now
    waited: float
    customer_id: str | None
    tier: str | None
    caller_number: str
    status: str


@fast_init
@dataclass(frozen=True, slots=True)
class AgentSnapshot(_Message):
    type: ClassVar[str] = "agent_snapshot"
    agent_id: str
    name: str
    extension: str
    state: str
    reason: str
    since: float
    call_id: str | None
    device: str
    queues: tuple[str, ...]
    skills: tuple[tuple[str, int], ...]
    calls_today: int
    talk_today: float
    at: float


@fast_init
@dataclass(frozen=True, slots=True)
class Statistics(_Message):
    type: ClassVar[str] = "statistics"
    at: float
    total: QueueStatistics
    queues: tuple[QueueStatistics, ...]


BusMessage = (AgentStateChanged | CallQueued | CallOffered | OfferMissed | CallAnswered | CallAbandoned
              | CallOverflowed | QueueSnapshot | AgentSnapshot | Statistics)
