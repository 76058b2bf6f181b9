"""The ACD's model: agents and their states, queues and their rules, calls in distribution.

Value objects are frozen; ``Agent`` and ``Call`` are the core's mutable run-time records (only
``routing.core`` changes them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    RESERVED = "reserved"  # an offer is decided, the agent's phone is not ringing yet
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class DeviceState(StrEnum):
    """The agent phone's device state as the PBX reports it (AMI DeviceStateChange, normalised)."""

    NOT_INUSE = "not_inuse"
    INUSE = "inuse"
    BUSY = "busy"
    RINGING = "ringing"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"


#: device states that make an agent not offerable while they have no call of ours
BLOCKING_DEVICE_STATES = frozenset({DeviceState.INUSE, DeviceState.BUSY, DeviceState.RINGING,
                                    DeviceState.UNAVAILABLE})


class Intent(StrEnum):
    INQUIRY = "inquiry"
    REPAIR = "repair"
    COMPLAINT = "complaint"


class StrategyName(StrEnum):
    LONGEST_IDLE = "longest_idle"
    LEAST_TALK_TIME = "least_talk_time"  # least occupied by talk time today
    FEWEST_CALLS = "fewest_calls"  # least occupied by calls today
    BEST_PROFICIENCY = "best_proficiency"
    ROUND_ROBIN = "round_robin"  # the agent offered a call from this queue least recently


class OverflowAction(StrEnum):
    QUEUE = "queue"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    OVERFLOWED = "overflowed"


@dataclass(frozen=True, slots=True)
class SkillLevel:
    skill: str
    level: int  # proficiency 1–10 (for a requirement: the minimum)


@dataclass(frozen=True, slots=True)
class Membership:
    """An agent serves ``queue``; among the agents able to take a call, priority 1 is offered first."""

    queue: str
    priority: int = 1


@dataclass(frozen=True, slots=True)
class AgentProfile:
    agent_id: str  # the user's username
    extension: str
    name: str = ""
    skills: tuple[SkillLevel, ...] = ()
    teams: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    queues: tuple[Membership, ...] = ()
    levels: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    queue_names: tuple[str, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", {item.skill: item.level for item in self.skills})
        object.__setattr__(self, "queue_names", tuple(ms.queue for ms in self.queues))

    def level(self, skill: str) -> int:
        return self.levels.get(skill, 0)


@dataclass(frozen=True, slots=True)
class Sticky:
    """Offer the caller's last agent (within ``days``) first, for up to ``seconds``."""

    days: float
    seconds: float


@dataclass(frozen=True, slots=True)
class Strategy:
    """A weighted combination of scores; one entry of weight 1 is a plain strategy."""

    weights: tuple[tuple[StrategyName, float], ...] = ((StrategyName.LONGEST_IDLE, 1.0),)
    sticky: Sticky | None = None


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """From ``after`` seconds in the queue: minimum proficiencies lowered by ``lower_proficiency``
    (never below 1), the ``accept_skills`` alternatives accepted instead of the required skills, the
    ``add_teams`` teams allowed as well. Steps are cumulative."""

    after: float
    lower_proficiency: int = 0
    accept_skills: tuple[SkillLevel, ...] = ()
    add_teams: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Overflow:
    action: OverflowAction = OverflowAction.VOICEMAIL
    target: str = ""  # a queue name for QUEUE, a mailbox for VOICEMAIL


@dataclass(frozen=True, slots=True)
class QueueConfig:
    name: str
    skills: tuple[SkillLevel, ...] = ()
    language: str | None = None
    teams: frozenset[str] = frozenset()  # empty: any team
    priority: int = 0  # default priority of its calls
    weight: float = 0.0  # added to effective priority when queues compete for an agent
    service_level_seconds: float = 20.0
    ring_timeout: float = 15.0
    wrapup_seconds: float = 10.0
    max_wait: float = 600.0
    overflow: Overflow = Overflow()
    announce_interval: float = 30.0  # 0: no announcements
    strategy: Strategy = Strategy()
    escalation: tuple[EscalationStep, ...] = ()
    ageing_per_minute: float = 1.0  # effective priority gained per minute of wait
    default_handle_seconds: float = 180.0  # AHT used for estimates before any call is handled


@dataclass(frozen=True, slots=True)
class PriorityRules:
    tiers: tuple[tuple[str, int], ...] = ()  # value tier → priority added
    intents: tuple[tuple[str, int], ...] = ()  # intent → priority added

    def boost(self, tier: str | None, intent: str | None) -> int:
        total = 0
        for name, value in self.tiers:
            if name == tier:
                total += value
        for name, value in self.intents:
            if name == intent:
                total += value
        return total


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    queues: tuple[QueueConfig, ...] = ()
    agents: tuple[AgentProfile, ...] = ()
    priority: PriorityRules = PriorityRules()
    short_abandon_seconds: float = 5.0
    missed_retry_seconds: float = 2.0  # a reservation lost to another instance: retry the agent after this
    utc_offset_hours: float = 8.0  # where "today" begins for the statistics

    def queue(self, name: str) -> QueueConfig:
        for queue in self.queues:
            if queue.name == name:
                return queue
        raise KeyError(name)


@dataclass(slots=True)
class Agent:
    profile: AgentProfile
    state: AgentState = AgentState.LOGGED_OUT
    since: float = 0.0
    reason: str = ""  # the pause reason
    device: DeviceState = DeviceState.UNKNOWN
    call_id: str | None = None
    held_until: float = 0.0  # reserved by another instance: not offered before this
    resumed_since: float = 0.0  # ``since`` before the last reservation (restored when it is lost)
    pending: AgentState | None = None  # paused or logged out once the current call's wrap-up ends
    pending_reason: str = ""
    wrap_queue: str = ""  # the queue whose wrap-up the agent is in
    calls_today: int = 0
    talk_today: float = 0.0
    last_offer: dict[str, float] = field(default_factory=dict)  # queue → time of the last offer
    indexed: bool = False  # in the core's offerable set of each queue they serve


@dataclass(frozen=True, slots=True)
class CallAttributes:
    """What the IVR (or the inbound dialplan) says about a call entering distribution."""

    call_id: str
    queue: str
    caller_number: str = ""
    caller_name: str = ""
    priority: int | None = None  # None: the queue's default priority
    customer_id: str | None = None
    tier: str | None = None
    language: str | None = None
    intent: str | None = None
    skills: tuple[SkillLevel, ...] = ()  # required on top of the queue's
    last_agent: str | None = None
    last_agent_at: float | None = None  # when the caller last spoke with last_agent


class CallStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"


@dataclass(slots=True)
class Call:
    attrs: CallAttributes
    queue: str
    priority: int  # base priority: queue default or given, plus tier and intent boosts
    entered_at: float  # entered distribution (kept across overflows: the order key)
    queue_entered_at: float  # entered the current queue (escalation counts from here)
    seq: int
    status: CallStatus = CallStatus.WAITING
    attempts: int = 0
    tried: set[str] = field(default_factory=set)
    last_agent: str | None = None  # the last agent offered this call
    agent_id: str | None = None  # the agent it is offered to or connected with
    offered_at: float = 0.0
    answered_at: float = 0.0
    step: int = 0  # escalation steps reached
    head: bool = False  # back at the head of its queue after a ring-no-answer
    sticky_agent: str | None = None
    sticky_until: float = 0.0
    visited: tuple[str, ...] = ()
    order: tuple[int, float, float, int, str] = (0, 0.0, 0.0, 0, "")
    call_id: str = field(init=False)  # ``attrs.call_id``, read on every decision: a slot, not a property

    def __post_init__(self) -> None:
        self.call_id = self.attrs.call_id
