"""Pooled PostgreSQL connections are pinged before use only when they sat idle: one the server
closed meanwhile is replaced without the request seeing an error; a busy one costs no round trip."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.fixtures.db import postgres_admin_url
from tickets import idle_ping
from tickets.db import create_engine
from tickets.idle_ping import ping_idle_connections


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = sa_create_engine(postgres_admin_url(), pool_size=1, max_overflow=0)
    ping_idle_connections(engine, after_seconds=0.2)
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        pid: int = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        return pid


def _terminate(pid: int) -> None:
    admin = sa_create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        admin.dispose()


def test_given_an_idle_connection_the_server_closed_then_the_next_use_gets_a_fresh_one(
    engine: Engine,
) -> None:
    first = _backend_pid(engine)
    _terminate(first)
    time.sleep(0.3)  # idle past the threshold
    assert _backend_pid(engine) != first  # no error: the dead connection was pinged and replaced


def test_given_a_connection_used_moments_ago_then_it_is_not_pinged(engine: Engine) -> None:
    pings: list[object] = []
    real_ping = engine.dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    first = _backend_pid(engine)
    assert _backend_pid(engine) == first and pings == []  # reused at once: no round trip
    time.sleep(0.3)
    assert _backend_pid(engine) == first and len(pings) == 1


def test_the_platforms_postgresql_engines_ping_idle_connections_instead_of_every_check_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(idle_ping, "PING_AFTER_IDLE_SECONDS", 0.2)
    engine = create_engine(postgres_admin_url())
    try:
        assert engine.pool._pre_ping is False
        first = _backend_pid(engine)
        _terminate(first)
        time.sleep(0.3)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
