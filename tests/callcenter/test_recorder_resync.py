"""The call recorder on the bus: a reliable subscriber that resyncs from the live calls after a gap."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bus import InProcessBus
from callcenter.call_records import CallRecorder
from callcenter.messages import CALL_EVENTS
from telephony.tracker import CallTracker
from tests.telephony.tracker.test_core import chan
from tickets.db import create_engine, session_factory
from tickets.models import Interaction


@pytest.fixture
def sessions(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_engine(fresh_db_url)
    yield session_factory(engine)
    engine.dispose()


def _start(tracker: CallTracker, call: str, now: float) -> None:
    tracker.feed(
        chan("Newchannel", f"{call}.1", f"PJSIP/caller-{call}", call, 0, num=f"13800{call}"), now=now
    )


def _hang_up(tracker: CallTracker, call: str, now: float) -> None:
    tracker.feed(
        chan("Hangup", f"{call}.1", f"PJSIP/caller-{call}", call, 4, num=f"13800{call}", Cause="16"), now=now
    )


async def test_given_a_recorder_that_falls_behind_when_its_queue_overflows_then_it_resyncs_the_record(
    sessions: sessionmaker[Session],
) -> None:
    bus = InProcessBus()
    tracker = CallTracker()
    tracker.subscribe(bus.publish)
    recorder = CallRecorder(sessions, tracker)
    recorder.start(bus.subscribe("call-recorder", *CALL_EVENTS, maxsize=3))
    # Ten calls start and the first six end before the recorder's task runs once: the queue of
    # three overflows, so most of those events never reach the recorder.
    for i in range(10):
        _start(tracker, f"90{i}", now=1000.0 + i)
    for i in range(6):
        _hang_up(tracker, f"90{i}", now=1100.0 + i)
    await recorder.drain()
    assert recorder.resyncs >= 1
    with sessions() as session:
        rows = {r.external_id: r for r in session.scalars(select(Interaction))}
    live = {f"90{i}" for i in range(6, 10)}
    assert live <= set(rows), "every live call is in the record after the resync"
    for call_id, row in rows.items():
        assert (row.ended_at is None) == (call_id in live), call_id
    # After the gap the recorder goes on with the events as they come.
    for i in range(6, 10):
        _hang_up(tracker, f"90{i}", now=1200.0 + i)
    await recorder.drain()
    with sessions() as session:
        assert all(r.ended_at is not None for r in session.scalars(select(Interaction)))
    assert recorder.failed == 0
    stats = {s.name: s for s in bus.stats()}
    assert stats["call-recorder"].overflows >= 1
    await recorder.close()
    await bus.close()
