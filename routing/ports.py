"""What the ACD needs from the rest of the platform, as ``typing.Protocol`` ports.

The composition root (``callcenter/``) fills them with adapters over the customer record, the
event bus and call control; tests use fakes or the real adapters. Nothing here imports another
domain package.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from routing.decisions import RecordJourney
from routing.domain import AgentProfile
from routing.events import Event


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """A user with an extension, as the customer record knows them."""

    username: str
    extension: str
    name: str = ""
    active: bool = True


class AgentDirectory(Protocol):
    """Who may be an agent: the users with an extension."""

    async def users_with_extension(self) -> Sequence[DirectoryUser]: ...


class CustomerTiers(Protocol):
    """The customer's value tier (vip, gold, ...) from the record, or None when unknown."""

    async def tier(self, customer_id: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class LastContact:
    agent_id: str
    at: float  # epoch seconds


class JourneyStore(Protocol):
    """Each call's journey (entered, offered to X, no answer, answered, abandoned, transferred,
    overflowed, ended, with times), for reports, wallboards and the interaction record."""

    async def append(self, steps: Sequence[RecordJourney]) -> None: ...

    async def last_agent(self, customer_id: str, since: float) -> LastContact | None:
        """The agent who last answered this customer after ``since`` (for the sticky strategy)."""
        ...


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """One run-time change of the routing configuration, as stored and audited.

    ``kind``: ``queue`` or ``agent``; ``name``: the queue name or agent id; ``body``: the entry as
    in config/routing.yaml (a JSON object text), empty for a removal; ``actor``: who changed it."""

    kind: str
    name: str
    body: str
    actor: str
    at: float
    removed: bool = False


class ConfigChangeStore(Protocol):
    """Run-time configuration changes: stored, audited, replayed over the seed at start."""

    async def record(self, change: ConfigChange) -> None: ...

    async def current(self) -> Sequence[ConfigChange]:
        """The latest change per (kind, name), oldest first: what to apply over the seed."""
        ...

    async def history(self, kind: str, name: str) -> Sequence[ConfigChange]: ...


class AgentLegFailed(Exception):
    """The agent's phone did not take the call: ``no-answer``, ``busy``, ``unreachable``, ``rejected``."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


class CallControl(Protocol):
    """Carrying decisions out on the PBX (the adapter speaks AMI through telephony.control)."""

    async def ring_agent(self, call_id: str, extension: str, *, caller_number: str, caller_name: str,
                         ring_seconds: float) -> None:
        """Ring the agent's phone with the caller's number and name and connect them on answer;
        returns once the agent answered, raises ``AgentLegFailed`` when they did not."""
        ...

    async def cancel_agent_leg(self, call_id: str, agent_id: str) -> None: ...

    async def announce(self, call_id: str, position: int, estimated_wait: float | None) -> None: ...

    async def redirect(self, call_id: str, target: str) -> None:
        """Move the caller's leg: ``queue:<name>``, ``callback``, ``voicemail:<mailbox>``, ``fallback``."""
        ...

    async def heartbeat(self, ttl: float) -> None:
        """Tell the holding dialplan the engine is alive for ``ttl`` seconds (fail-open)."""
        ...


class EventSource(Protocol):
    """The platform's events, already in the ACD's vocabulary (the adapter maps tracker facts)."""

    def events(self) -> AsyncIterator[Event]: ...


__all__ = [
    "AgentDirectory",
    "AgentLegFailed",
    "AgentProfile",
    "CallControl",
    "ConfigChange",
    "ConfigChangeStore",
    "CustomerTiers",
    "DirectoryUser",
    "EventSource",
    "JourneyStore",
    "LastContact",
]
