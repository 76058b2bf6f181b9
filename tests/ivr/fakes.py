"""Fakes for the IVR interpreter's unit tests: a scripted caller and in-memory ports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ivr.path import IvrPath
from ivr.ports import (
    CallbackRequest,
    CustomerInfo,
    IvrPorts,
    RouteRequest,
    RouteTarget,
    TicketInfo,
    VoicemailRequest,
)
from ivr.session import CallerHungUp, Digits, Recording, Speech, Text

HANGUP = "HANGUP"


class FakeCaller:
    """A caller who answers each get_digits with the next scripted entry: digits (``"1"``,
    ``"123#"``), ``None`` for silence (a timeout) or ``HANGUP``. After the script: silence."""

    def __init__(
        self,
        script: Iterable[str | None] = (),
        *,
        number: str = "13800138000",
        did: str = "4000",
        call_id: str = "call-1",
        record_seconds: float | None = 12.0,
    ) -> None:
        self.script = list(script)
        self._number = number
        self._did = did
        self._call_id = call_id
        self.record_seconds = record_seconds
        self.heard: list[Speech] = []
        self.variables: dict[str, str] = {}
        self.hung_up = False
        self.calls = 0

    @property
    def caller_number(self) -> str:
        return self._number

    @property
    def dialed_number(self) -> str:
        return self._did

    @property
    def call_id(self) -> str:
        return self._call_id

    def _check(self) -> None:
        self.calls += 1
        if self.hung_up:
            raise CallerHungUp("caller hung up")

    async def play(self, speech: Speech, *, interrupt: str = "") -> str | None:
        self._check()
        self.heard.append(speech)
        return None

    async def get_digits(
        self, speech: Speech, *, timeout_ms: int, max_digits: int, terminator: str = "#"
    ) -> Digits:
        self._check()
        if speech:
            self.heard.append(speech)
        entry = self.script.pop(0) if self.script else None
        if entry == HANGUP:
            self.hung_up = True
            raise CallerHungUp("caller hung up")
        if entry is None:
            return Digits("", True)
        digits = entry.split(terminator)[0] if terminator and terminator in entry else entry
        return Digits(digits[:max_digits], terminator not in entry and len(entry) < max_digits)

    async def record(self, name: str, *, max_seconds: int, silence_seconds: int) -> Recording | None:
        self._check()
        if self.record_seconds is None:
            return None
        return Recording(f"/var/spool/ivr/{name}.wav", self.record_seconds)

    async def set_variable(self, name: str, value: str) -> None:
        self.calls += 1
        self.variables[name] = value

    async def hangup(self) -> None:
        self.calls += 1
        self.hung_up = True

    def texts(self) -> list[str]:
        """Everything heard as text, one string per prompt."""
        return [" ".join(p.text for p in speech if isinstance(p, Text)) for speech in self.heard]


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        # Tuesday 2026-12-01 10:00 in Shanghai: business hours
        self.now = start or datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=10)
        return self.now


@dataclass
class FakePorts:
    customers_by_phone: dict[str, CustomerInfo] = field(default_factory=dict)
    customers_by_account: dict[str, CustomerInfo] = field(default_factory=dict)
    tickets: dict[str, TicketInfo] = field(default_factory=dict)
    routed: list[RouteRequest] = field(default_factory=list)
    voicemails: list[VoicemailRequest] = field(default_factory=list)
    callbacks: list[CallbackRequest] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    saved: list[IvrPath] = field(default_factory=list)
    route_fails: bool = False
    route_target: RouteTarget | None = None
    clock: Clock = field(default_factory=Clock)

    # CustomerDirectory
    async def by_phone(self, number: str) -> CustomerInfo | None:
        return self.customers_by_phone.get(number)

    async def by_account(self, account: str) -> CustomerInfo | None:
        return self.customers_by_account.get(account)

    # TicketDirectory
    async def by_reference(self, reference: str) -> TicketInfo | None:
        return self.tickets.get(reference)

    async def open_tickets(self, customer_id: str) -> list[TicketInfo]:
        found = [
            t
            for t in self.tickets.values()
            if t.customer_id == customer_id and t.status not in ("resolved", "closed")
        ]
        return sorted(found, key=lambda t: t.reference, reverse=True)

    # Distributor
    async def route(self, request: RouteRequest) -> RouteTarget | None:
        if self.route_fails:
            raise RuntimeError("ACD down")
        self.routed.append(request)
        return self.route_target

    # CallbackDesk
    async def voicemail(self, request: VoicemailRequest) -> str:
        self.voicemails.append(request)
        return f"INQ-{len(self.voicemails):06d}"

    async def callback(self, request: CallbackRequest) -> str:
        self.callbacks.append(request)
        return f"INQ-{100 + len(self.callbacks):06d}"

    # SurveyStore
    async def store(self, call_id: str, score: int) -> None:
        self.scores[call_id] = score

    # JourneyStore
    async def save(self, path: IvrPath) -> None:
        self.saved.append(path)

    async def paths(self, flow: str | None, since: datetime, until: datetime) -> list[IvrPath]:
        return [p for p in self.saved if (flow is None or p.flow == flow) and since <= p.started_at < until]

    def ports(self) -> IvrPorts:
        return _ports(self)


class _TicketsView:
    def __init__(self, fake: FakePorts) -> None:
        self.fake = fake

    async def by_reference(self, reference: str) -> TicketInfo | None:
        return await self.fake.by_reference(reference)

    async def open_tickets(self, customer_id: str) -> list[TicketInfo]:
        return await self.fake.open_tickets(customer_id)


class _SurveysView:
    def __init__(self, fake: FakePorts) -> None:
        self.fake = fake

    async def store(self, call_id: str, score: int) -> None:
        await self.fake.store(call_id, score)


def _ports(fake: FakePorts) -> IvrPorts:
    return IvrPorts(
        customers=fake,
        tickets=_TicketsView(fake),
        distributor=fake,
        callbacks=fake,
        surveys=_SurveysView(fake),
        journeys=fake,
        clock=fake.clock,
    )
