"""SQLAlchemy adapters for the ``ConfigChangeStore`` and ``JourneyStore`` ports.

Each call runs in a worker thread with a session of its own and commits before it returns, so a
recorded change is stored when ``record`` returns (it survives a restart).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from routing.decisions import RecordJourney
from routing.models import ConfigChangeRow, JourneyStepRow
from routing.ports import ConfigChange, LastContact


def _dt(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def _change(row: ConfigChangeRow) -> ConfigChange:
    return ConfigChange(kind=row.kind, name=row.name, body=row.body, actor=row.actor, at=_epoch(row.at),
                        removed=row.removed)


class SqlConfigChangeStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    async def record(self, change: ConfigChange) -> None:
        await asyncio.to_thread(self._record, change)

    def _record(self, change: ConfigChange) -> None:
        with self._sessions() as session, session.begin():
            session.add(ConfigChangeRow(kind=change.kind, name=change.name, body=change.body,
                                        removed=change.removed, actor=change.actor, at=_dt(change.at)))

    async def current(self) -> Sequence[ConfigChange]:
        return await asyncio.to_thread(self._current)

    def _current(self) -> list[ConfigChange]:
        latest = (select(func.max(ConfigChangeRow.id)).group_by(ConfigChangeRow.kind, ConfigChangeRow.name)
                  .scalar_subquery())
        with self._sessions() as session:
            rows = session.scalars(select(ConfigChangeRow).where(ConfigChangeRow.id.in_(latest))
                                   .order_by(ConfigChangeRow.id))
            return [_change(row) for row in rows]

    async def history(self, kind: str, name: str) -> Sequence[ConfigChange]:
        return await asyncio.to_thread(self._history, kind, name)

    def _history(self, kind: str, name: str) -> list[ConfigChange]:
        with self._sessions() as session:
            rows = session.scalars(select(ConfigChangeRow)
                                   .where(ConfigChangeRow.kind == kind, ConfigChangeRow.name == name)
                                   .order_by(ConfigChangeRow.id))
            return [_change(row) for row in rows]


class SqlJourneyStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    async def append(self, steps: Sequence[RecordJourney]) -> None:
        if steps:
            await asyncio.to_thread(self._append, list(steps))

    def _append(self, steps: list[RecordJourney]) -> None:
        with self._sessions() as session, session.begin():
            session.add_all(
                JourneyStepRow(call_id=s.call_id, step=s.step, at=_dt(s.at), queue=s.queue,
                               agent_id=s.agent_id, customer_id=s.customer_id, detail=s.detail[:255])
                for s in steps)

    async def last_agent(self, customer_id: str, since: float) -> LastContact | None:
        return await asyncio.to_thread(self._last_agent, customer_id, since)

    def _last_agent(self, customer_id: str, since: float) -> LastContact | None:
        with self._sessions() as session:
            row = session.execute(
                select(JourneyStepRow.agent_id, JourneyStepRow.at)
                .where(JourneyStepRow.customer_id == customer_id, JourneyStepRow.step == "answered",
                       JourneyStepRow.at >= _dt(since))
                .order_by(JourneyStepRow.at.desc(), JourneyStepRow.id.desc()).limit(1)
            ).first()
        if row is None or row.agent_id is None:
            return None
        return LastContact(row.agent_id, _epoch(row.at))

    async def steps(self, call_id: str) -> list[RecordJourney]:
        return await asyncio.to_thread(self._steps, call_id)

    def _steps(self, call_id: str) -> list[RecordJourney]:
        with self._sessions() as session:
            rows = session.scalars(select(JourneyStepRow).where(JourneyStepRow.call_id == call_id)
                                   .order_by(JourneyStepRow.id))
            return [RecordJourney(r.call_id, r.step, _epoch(r.at), r.queue, r.agent_id, r.detail,
                                  r.customer_id) for r in rows]
