"""Calls become interactions: the call tracker's domain events written to the customer record.

The recorder reads the tracker's events from its own reliable bus subscription and writes them in a
worker thread, in the order they happened, so the event loop that reads AMI never waits on the
database. A failure is logged with the call id and never stops the
recorder: the next event is handled as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bus import SubscriberOverflow, Subscription, SubscriptionClosed
from telephony.channels import agent_extension
from telephony.tracker import (
    CallBridged,
    CallEnded,
    CallerIdChanged,
    CallEvent,
    CallLeg,
    CallQueued,
    CallStarted,
    CallTracker,
    CallView,
    Party,
)
from tickets.db import unit_of_work
from tickets.interactions import service as calls
from tickets.users.service import agent_for_extension

log = logging.getLogger(__name__)


def _when(at: float | None) -> datetime:
    return datetime.fromtimestamp(at, UTC) if at is not None else datetime.now(UTC)


def _direction(caller: Party) -> str:
    """A call placed from an agent's phone is outbound; every other call came in."""
    return "outbound" if agent_extension(caller.channel) else "inbound"


def _other_party(caller: Party, dialed: str) -> str | None:
    """The customer's number: the caller's for inbound calls (``None`` when its presentation is
    restricted: it stays withheld in the record), the dialed one for outbound calls."""
    if _direction(caller) == "outbound":
        return dialed
    return None if caller.restricted else caller.number


def apply_call_event(session: Session, event: CallEvent) -> None:
    """Write one call event to the record (idempotent: replaying an event changes nothing)."""
    if isinstance(event, CallStarted):
        calls.start_call(
            session,
            external_id=event.call_id,
            number=_other_party(event.caller, event.dialed),
            direction=_direction(event.caller),
            started_at=_when(event.at),
        )
    elif isinstance(event, CallBridged):
        agents = [ext for party in event.parties if (ext := agent_extension(party.channel))]
        if agents and calls.find_interaction(session, external_id=event.call_id) is not None:
            calls.answer_call(
                session,
                external_id=event.call_id,
                answered_at=_when(event.at),
                agent=agent_for_extension(session, agents[0]),
            )
    elif isinstance(event, CallerIdChanged):
        if _direction(event.caller) == "inbound":
            calls.update_caller_id(session, external_id=event.call_id, number=_other_party(event.caller, ""))
    elif isinstance(event, CallQueued):
        if calls.find_interaction(session, external_id=event.call_id) is not None:
            calls.update_call(session, external_id=event.call_id, queue=event.queue)
    elif isinstance(event, CallEnded):
        # The start may have been missed (a call found by a resync): record it first.
        calls.start_call(
            session,
            external_id=event.call_id,
            number=_other_party(event.caller, event.dialed),
            direction=_direction(event.caller),
            started_at=_when(event.started_at if event.started_at is not None else event.at),
        )
        cause = event.hangup_cause_text or (str(event.hangup_cause) if event.hangup_cause else None)
        calls.end_call(
            session,
            external_id=event.call_id,
            ended_at=_when(event.at),
            hangup_cause=cause if event.reason == "hangup" else event.reason,
        )
        calls.update_call(
            session,
            external_id=event.call_id,
            legs=[_leg(session, leg) for leg in event.legs],
            merged_into=event.merged_into,
        )


def _leg(session: Session, leg: CallLeg) -> dict[str, Any]:
    """A leg as the record keeps it: both parties (with the agent's username for an agent phone)."""
    return {
        "a": _party(session, leg.a),
        "b": _party(session, leg.b),
        "start": _when(leg.start).isoformat() if leg.start is not None else None,
        "end": _when(leg.end).isoformat() if leg.end is not None else None,
    }


def _party(session: Session, party: Party) -> dict[str, Any]:
    extension = agent_extension(party.channel)
    shown = {
        "number": "" if party.restricted else party.number,
        "name": "" if party.restricted else party.name,
        "channel": party.channel,
    }
    if extension:
        shown["agent"] = agent_for_extension(session, extension)
    return shown


class CallRecorder:
    """Writes the call events of a bus subscription to the record; ``start(subscription)``.

    The subscription is reliable: when its queue overflowed (the database was slower than the
    calls for a long while), the recorder resyncs from the tracker's live calls: every live call is
    recorded (idempotently) and every call the record still shows open but the tracker no longer
    knows is ended with the cause ``resync``. Then it goes on with the events after the gap.
    """

    def __init__(self, factory: sessionmaker[Session], tracker: CallTracker) -> None:
        self._factory = factory
        self._tracker = tracker
        self._subscription: Subscription[CallEvent] | None = None
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self._idle = asyncio.Event()
        self.recorded = 0
        self.failed = 0
        self.resyncs = 0

    def start(self, subscription: Subscription[CallEvent]) -> None:
        if self._task is None:
            self._subscription = subscription
            self._task = asyncio.get_running_loop().create_task(self._run(subscription), name="call-recorder")

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until every event received so far has been written (or has failed and been logged)."""
        async with asyncio.timeout(timeout):
            while self._subscription is not None and (self._subscription.queued or self._busy):
                self._idle.clear()
                await self._idle.wait()

    async def close(self) -> None:
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await self.drain(timeout=5)
            if self._subscription is not None:
                self._subscription.close()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, subscription: Subscription[CallEvent]) -> None:
        while True:
            if not subscription.queued:
                self._idle.set()
            try:
                event = await subscription.get()
            except SubscriberOverflow as gap:
                self._busy = True
                self.resyncs += 1
                log.warning("call recorder missed events (%s); resyncing from the live calls", gap)
                try:
                    await asyncio.to_thread(self._resync, list(self._tracker.live_calls.values()))
                except Exception:
                    log.exception("call recorder resync failed")
                finally:
                    self._busy = False
                continue
            except SubscriptionClosed:
                return
            self._busy = True
            try:
                await asyncio.to_thread(self._write, event)
                self.recorded += 1
            except Exception:
                self.failed += 1
                log.exception("could not record %s of call %s", type(event).__name__, event.call_id)
            finally:
                self._busy = False

    def _write(self, event: CallEvent) -> None:
        with unit_of_work(self._factory) as session:
            apply_call_event(session, event)

    def _resync(self, live: list[CallView]) -> None:
        with unit_of_work(self._factory) as session:
            reconcile_calls(session, live, now=datetime.now(UTC))


def reconcile_calls(session: Session, live: list[CallView], *, now: datetime) -> None:
    """Make the record agree with the live calls: record each, end the open ones that are gone."""
    for view in live:
        calls.start_call(
            session,
            external_id=view.call_id,
            number=_other_party(view.caller, view.dialed),
            direction=_direction(view.caller),
            started_at=_when(view.started_at),
        )
    live_ids = {view.call_id for view in live}
    for external_id in calls.open_call_ids(session):
        if external_id not in live_ids:
            calls.end_call(session, external_id=external_id, ended_at=now, hangup_cause="resync")
