"""Checking a pooled database connection before use only when it sat idle for a while.

SQLAlchemy's ``pool_pre_ping`` sends a round trip to the server on every check-out: on a busy API
that is one more round trip per request (and one more wait for the interpreter lock when the reply
comes), for connections used a few milliseconds earlier. A connection that sat in the pool longer
than :data:`PING_AFTER_IDLE_SECONDS` is the one the server may have closed meanwhile (a restart, an
idle timeout, a failover); only that one is pinged. A failed ping discards the connection and the
pool hands out another (SQLAlchemy retries a check-out on ``DisconnectionError``), so the request
never sees the dead one. A connection that breaks while in use is handled as before: the error
invalidates the whole pool, and the connections are replaced.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

PING_AFTER_IDLE_SECONDS = 10.0
IDLE_SINCE = "cc_idle_since"  # ConnectionRecord.info: monotonic time of the last check-in


def ping_idle_connections(engine: Engine, after_seconds: float | None = None) -> None:
    """Install the check on ``engine``'s pool (instead of ``pool_pre_ping``); ``after_seconds``
    defaults to :data:`PING_AFTER_IDLE_SECONDS` as it is at each check-out."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(IDLE_SINCE)
        limit = PING_AFTER_IDLE_SECONDS if after_seconds is None else after_seconds
        if since is None or time.monotonic() - since <= limit:
            return  # new (just connected) or used moments ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # any failure means: not this connection
            raise exc.DisconnectionError(f"an idle connection failed its ping: {error}") from error
