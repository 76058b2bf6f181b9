"""What the core is told: events (past tense) from the platform and commands (imperative) from
agents, supervisors and the configuration. ``routing.core.RoutingCore.handle`` takes any of them."""

from __future__ import annotations

from dataclasses import dataclass

from routing.domain import AgentProfile, CallAttributes, DeviceState, QueueConfig


# --- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LogIn:
    agent_id: str


@dataclass(frozen=True, slots=True)
class LogOut:
    agent_id: str


@dataclass(frozen=True, slots=True)
class Pause:
    agent_id: str
    reason: str = "break"


@dataclass(frozen=True, slots=True)
class Unpause:
    agent_id: str


@dataclass(frozen=True, slots=True)
class EndWrapUp:
    agent_id: str


@dataclass(frozen=True, slots=True)
class UpsertAgent:
    """Add an agent or change their skills, teams, languages or queues (state is kept)."""

    profile: AgentProfile


@dataclass(frozen=True, slots=True)
class RemoveAgent:
    agent_id: str


@dataclass(frozen=True, slots=True)
class UpsertQueue:
    queue: QueueConfig


# --- events -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CallEntered:
    """A call entered distribution (from the IVR, or the inbound dialplan with defaults).

    ``entered_at``: when it first entered distribution, for a call adopted after a restart (it keeps
    its place, its ageing and its escalation and maximum-wait clocks); ``None``: now."""

    attrs: CallAttributes
    entered_at: float | None = None


@dataclass(frozen=True, slots=True)
class CallsAdopted:
    """Calls found waiting in the holding dialplan by an engine that (re)started: all of them enter
    first, then agents are offered them in the one ordering (not in the order they were found).
    A call the core already distributes is left as it is."""

    calls: tuple[CallEntered, ...]


@dataclass(frozen=True, slots=True)
class AgentRinging:
    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferAnswered:
    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferFailed:
    """The agent's leg failed before answer: ``no-answer``, ``busy``, ``unreachable``, ``rejected``."""

    call_id: str
    agent_id: str
    reason: str = "no-answer"


@dataclass(frozen=True, slots=True)
class ReservationLost:
    """The state store refused the reservation: another engine instance holds the agent."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class AgentHandedOver:
    """Another engine instance freed ``agent_id`` and reserved them in the state store for this
    instance's ``call_id``, the first call in the global order the agent may take: offer it."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class CallerHungUp:
    call_id: str


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The conversation ended (either side hung up the agent leg)."""

    call_id: str


@dataclass(frozen=True, slots=True)
class CallTransferred:
    call_id: str
    target: str


@dataclass(frozen=True, slots=True)
class CallbackRequested:
    """The waiting caller pressed the key for a callback instead of waiting."""

    call_id: str


@dataclass(frozen=True, slots=True)
class DeviceStateChanged:
    agent_id: str
    state: DeviceState


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed: timers due by ``now`` (ring timeouts, escalation, max wait, wrap-up) fire."""


Command = LogIn | LogOut | Pause | Unpause | EndWrapUp | UpsertAgent | RemoveAgent | UpsertQueue
Event = (CallEntered | CallsAdopted | AgentRinging | OfferAnswered | OfferFailed | ReservationLost
         | AgentHandedOver | CallerHungUp | CallEnded | CallTransferred | CallbackRequested
         | DeviceStateChanged | Tick)
Input = Command | Event
