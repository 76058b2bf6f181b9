"""Calls become interactions: the call tracker's domain events written to the customer record.

Database work runs in one worker thread, in the order the events happened, so the event loop that
reads AMI never waits on the database. A failure is logged with the call id and never stops the
recorder: the next event is handled as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from telephony.channels import agent_extension
from telephony.tracker import CallBridged, CallEnded, CallEvent, CallQueued, CallStarted, Party
from tickets.db import unit_of_work
from tickets.interactions import service as calls
from tickets.users.service import agent_for_extension

log = logging.getLogger(__name__)


def _when(at: float | None) -> datetime:
    return datetime.fromtimestamp(at, UTC) if at is not None else datetime.now(UTC)


def _direction(caller: Party) -> str:
    """A call placed from an agent's phone is outbound; every other call came in."""
    return "outbound" if agent_extension(caller.channel) else "inbound"


def _other_party(caller: Party, dialed: str) -> str:
    """The customer's number: the caller's for inbound calls, the dialed one for outbound calls."""
    return dialed if _direction(caller) == "outbound" else caller.number


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


class CallRecorder:
    """Subscribe to a ``CallTracker`` (``tracker.subscribe(recorder.submit)``) and ``start()`` it."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._queue: asyncio.Queue[CallEvent] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.recorded = 0
        self.failed = 0

    def submit(self, event: CallEvent) -> None:
        self._queue.put_nowait(event)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="call-recorder")

    async def drain(self) -> None:
        """Wait until every submitted event has been written (or has failed and been logged)."""
        await self._queue.join()

    async def close(self) -> None:
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout=5)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await asyncio.to_thread(self._write, event)
                self.recorded += 1
            except Exception:
                self.failed += 1
                log.exception("could not record %s of call %s", type(event).__name__, event.call_id)
            finally:
                self._queue.task_done()

    def _write(self, event: CallEvent) -> None:
        with unit_of_work(self._factory) as session:
            apply_call_event(session, event)
