"""Database plumbing shared by every model: the declarative base, engines and sessions.

Services take a ``Session`` and ``flush()``; the request edge (or the job runner) commits.

SQLite is the embedded default and must serve many requests at once, so its engines get WAL (readers
never wait for the writer), a busy timeout, and writes serialized in the process: every transaction
that is not read-only starts with ``BEGIN IMMEDIATE`` behind one writer lock per engine, so two
writers never meet inside SQLite and "database is locked" never reaches a client. A writer that
waits longer than :data:`WRITER_WAIT_SECONDS` for the lock gets :class:`DatabaseBusy` (the API
answers 503 with ``Retry-After``). Read-only sessions (``unit_of_work(..., read_only=True)``, the
API's GET requests) start a plain deferred ``BEGIN`` and run beside the writer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy import create_engine as _sa_create_engine
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from tickets.idle_ping import ping_idle_connections

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

READ_ONLY = "cc_read_only"
"""Execution option marking a connection whose transaction only reads (SQLite: no writer lock)."""
WRITER_WAIT_SECONDS = 15.0
"""How long a SQLite writer waits for the process's writer lock before :class:`DatabaseBusy`."""
BUSY_TIMEOUT_MS = 15_000
"""SQLite's own wait for a lock held by another process (the CLI, a second server)."""
POOL_SIZE = 20
MAX_OVERFLOW = 20


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DatabaseBusy(Exception):
    """The database could not take this write in time (too many writers waiting); retry later."""

    retry_after = 1


class SqliteWriter:
    """One writer at a time on a SQLite engine: ``BEGIN IMMEDIATE`` behind a lock, released when the
    transaction ends (commit, rollback, or the connection closing)."""

    def __init__(self, wait_seconds: float = WRITER_WAIT_SECONDS) -> None:
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self._holder: int | None = None  # id() of the DB-API connection holding the lock

    def begin(self, dbapi_conn: Any, *, read_only: bool) -> None:
        raw = _raw(dbapi_conn)
        if raw.in_transaction:  # someone (a test fixture's listener) began it already
            return
        if read_only:
            raw.execute("BEGIN")
            return
        if not self._lock.acquire(timeout=self.wait_seconds):
            raise DatabaseBusy(f"no write slot within {self.wait_seconds:g} s")
        self._holder = id(raw)
        try:
            raw.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.release(raw)
            raise

    def release(self, dbapi_conn: Any) -> None:
        if self._holder is not None and self._holder == id(_raw(dbapi_conn)):
            self._holder = None
            self._lock.release()

    def install(self, engine: Engine) -> None:
        dialect: Any = engine.dialect
        commit, rollback, close = dialect.do_commit, dialect.do_rollback, dialect.do_close

        @event.listens_for(engine, "begin")
        def _mark(conn: Connection) -> None:
            conn.connection.info[READ_ONLY] = bool(conn.get_execution_options().get(READ_ONLY))

        def do_begin(dbapi_conn: Any) -> None:
            self.begin(dbapi_conn, read_only=bool(getattr(dbapi_conn, "info", {}).get(READ_ONLY)))

        def ending(step: Any) -> Any:
            def run(dbapi_conn: Any) -> None:
                try:
                    step(dbapi_conn)
                finally:
                    self.release(dbapi_conn)

            return run

        dialect.do_begin = do_begin
        dialect.do_commit = ending(commit)
        dialect.do_rollback = ending(rollback)
        dialect.do_close = ending(close)


def _raw(dbapi_conn: Any) -> Any:
    return getattr(dbapi_conn, "dbapi_connection", None) or dbapi_conn


def create_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL, a busy timeout, one writer at a time and a
    created parent folder. Both get a pool larger than the API's admitted requests."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = not parsed.database or parsed.database == ":memory:"
        if not memory:
            Path(parsed.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
            if "poolclass" not in kwargs:
                kwargs.setdefault("pool_size", POOL_SIZE)
                kwargs.setdefault("max_overflow", MAX_OVERFLOW)
        engine = _sa_create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # transactions are begun explicitly (SqliteWriter)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.close()

        SqliteWriter().install(engine)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", MAX_OVERFLOW)
    engine = _sa_create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        ping_idle_connections(engine)  # a ping only for a connection that sat idle (tickets/idle_ping.py)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def read_only_factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions like ``factory``'s whose transactions are marked read-only when they begin, with no
    I/O when a session is made (an engine carrying the option; SQLite then runs them beside the
    writer). A factory bound to a connection (a test's) is returned as it is."""
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine):
        return factory
    return sessionmaker(**{**factory.kw, "bind": bind.execution_options(**{READ_ONLY: True})})


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


@contextmanager
def unit_of_work(factory: sessionmaker[Session], *, read_only: bool = False) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises.

    ``read_only`` sessions never write (SQLite runs them beside the writer instead of queueing them).
    """
    session = factory()
    try:
        if read_only:
            session.connection(execution_options={READ_ONLY: True})
        yield session
    except BaseException:
        discard(session)
        raise
    finish(session)


def finish(session: Session) -> None:
    """Commit and close ``session``; a commit that fails is rolled back and its error raised."""
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def discard(session: Session) -> None:
    """Roll back and close ``session``."""
    try:
        session.rollback()
    finally:
        session.close()
