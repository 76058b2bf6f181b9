"""Run-time routing changes and journeys in the database (SQLite and PostgreSQL), read back by a
new store as after a restart."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from routing.config import RoutingConfigError, parse, read_document, with_changes
from routing.decisions import RecordJourney
from routing.ports import ConfigChange
from routing.repository import SqlConfigChangeStore, SqlJourneyStore
from tests.routing.builders import T0


@pytest.fixture
def sessions(db_sessionmaker: sessionmaker[Session]) -> sessionmaker[Session]:
    return db_sessionmaker


async def test_changes_are_audited_and_the_latest_per_entry_is_current(
        sessions: sessionmaker[Session]) -> None:
    store = SqlConfigChangeStore(sessions)
    body = {"skills": {"general": 1}, "max_wait": 100}
    await store.record(ConfigChange("queue", "night", json.dumps(body), "alice", T0))
    await store.record(ConfigChange("queue", "night", json.dumps({**body, "max_wait": 200}), "bob", T0 + 60))
    await store.record(ConfigChange("queue", "general", "", "bob", T0 + 61, removed=True))
    restarted = SqlConfigChangeStore(sessions)
    current = await restarted.current()
    assert [(c.name, c.actor, c.removed) for c in current] == [("night", "bob", False),
                                                               ("general", "bob", True)]
    history = await restarted.history("queue", "night")
    assert [(c.actor, c.at) for c in history] == [("alice", T0), ("bob", T0 + 60)]


def test_stored_changes_apply_over_the_seed_and_are_validated_together() -> None:
    seed = read_document()
    night = ConfigChange("queue", "night", json.dumps({"skills": {"general": 1}, "max_wait": 200}), "bob", T0)
    config = parse(with_changes(seed, [night]))
    assert config.queue("night").max_wait == 200
    broken = ConfigChange("queue", "billing", json.dumps({"strategy": "x"}), "bob", T0)
    with pytest.raises(RoutingConfigError, match=r"queues\.billing\.strategy: unknown strategy 'x'"):
        parse(with_changes(seed, [broken]))
    gone = ConfigChange("queue", "general", "", "bob", T0, removed=True)
    with pytest.raises(RoutingConfigError, match="unknown queue 'general'"):
        parse(with_changes(seed, [gone]))  # billing and complaints overflow to it


async def test_journey_steps_are_stored_in_order_and_give_the_last_agent(
        sessions: sessionmaker[Session]) -> None:
    store = SqlJourneyStore(sessions)
    await store.append([
        RecordJourney("c1", "entered", T0, "q", None, "", "cust-1"),
        RecordJourney("c1", "offered", T0 + 1, "q", "agent1", "", "cust-1"),
        RecordJourney("c1", "no_answer", T0 + 16, "q", "agent1", "no-answer", "cust-1"),
        RecordJourney("c1", "answered", T0 + 20, "q", "agent2", "", "cust-1"),
    ])
    assert [s.step for s in await store.steps("c1")] == ["entered", "offered", "no_answer", "answered"]
    last = await store.last_agent("cust-1", since=T0 - 86400)
    assert last is not None and (last.agent_id, last.at) == ("agent2", T0 + 20)
    assert await store.last_agent("cust-1", since=T0 + 21) is None
    assert await store.last_agent("nobody", since=0) is None


def test_the_models_match_the_migration(db_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from routing.models import metadata

    with db_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in diff if "routing_" in repr(d)]
    assert [d for d in ours if d[0] != "remove_table"] == []
