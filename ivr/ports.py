"""What the IVR needs from the rest of the platform, as Protocols the composition root fills
(``callcenter``: adapters over ``tickets`` services and ``routing``). The interpreter only talks
to these; unit tests pass fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ivr.path import IvrPath


@dataclass(frozen=True)
class CustomerInfo:
    id: str
    name: str
    tier: str = "standard"
    """``standard``, ``silver``, ``gold`` or ``vip`` (tickets.workflow.vocab.Tier)."""
    language: str | None = None
    """Preferred language (``zh`` / ``en``) when known."""


@dataclass(frozen=True)
class TicketInfo:
    reference: str
    """``REP-000123``."""
    status: str
    type: str
    """``inquiry``, ``repair`` or ``complaint``."""
    customer_id: str | None = None


@dataclass(frozen=True)
class RouteRequest:
    """Hand the call to distribution: a queue plus the attributes it is distributed by."""

    call_id: str
    queue: str
    caller: str
    intent: str | None = None
    language: str | None = None
    tier: str | None = None
    customer_id: str | None = None
    ticket: str | None = None
    skills: tuple[str, ...] = ()
    priority: int = 0
    survey: bool = False
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VoicemailRequest:
    call_id: str
    caller: str
    recording: str
    """Where the adapter stored the message (a path Asterisk and the API can read)."""
    seconds: float
    customer_id: str | None = None
    language: str | None = None
    intent: str | None = None


@dataclass(frozen=True)
class CallbackRequest:
    call_id: str
    number: str
    """The number to call back (confirmed or entered by the caller)."""
    not_before: datetime
    customer_id: str | None = None
    language: str | None = None
    intent: str | None = None
    ticket: str | None = None


@dataclass(frozen=True)
class RouteTarget:
    """Where a routed call goes on: the distribution's answer to ``Distributor.route``."""

    queue: str | None = None
    """Run ``Queue(queue)`` inside the IVR session (the survey can follow when the agent hangs up)."""
    dialplan: str | None = None
    """Or continue the dialplan at ``context,exten,priority`` (``CC_NEXT``)."""


class CustomerDirectory(Protocol):
    async def by_phone(self, number: str) -> CustomerInfo | None: ...

    async def by_account(self, account: str) -> CustomerInfo | None: ...


class TicketDirectory(Protocol):
    async def by_reference(self, reference: str) -> TicketInfo | None: ...

    async def open_tickets(self, customer_id: str) -> list[TicketInfo]:
        """The customer's open tickets, newest first."""
        ...


class Distributor(Protocol):
    async def route(self, request: RouteRequest) -> RouteTarget | None:
        """Enter the call into distribution (the ACD); where the call goes on, ``None`` for the
        dialplan's fallback queue; raises when it cannot take the call (then: the fallback)."""
        ...


class CallbackDesk(Protocol):
    async def voicemail(self, request: VoicemailRequest) -> str:
        """Create the callback ticket holding the recording; returns its reference."""
        ...

    async def callback(self, request: CallbackRequest) -> str:
        """Schedule a callback (a ticket / job the ACD places when an agent is free); its reference."""
        ...


class SurveyStore(Protocol):
    async def store(self, call_id: str, score: int) -> None:
        """Store the 1–5 score on the call's interaction."""
        ...


class JourneyStore(Protocol):
    async def save(self, path: IvrPath) -> None:
        """Keep the call's IVR path (screen pop, analytics)."""
        ...

    async def paths(self, flow: str | None, since: datetime, until: datetime) -> list[IvrPath]: ...


Clock = Callable[[], datetime]


@dataclass(frozen=True)
class IvrPorts:
    customers: CustomerDirectory
    tickets: TicketDirectory
    distributor: Distributor
    callbacks: CallbackDesk
    surveys: SurveyStore
    journeys: JourneyStore
    clock: Clock
