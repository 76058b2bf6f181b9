"""The users that tokens name, remembered for a few seconds so that a request's authentication
needs no database round trip (and no thread-pool hop) while its user is unchanged.

What is remembered is what the check needs: active or not, the moment before which tokens are
refused, and the :class:`AuthUser`. A change to a user made through any SQLAlchemy session of this
process (the users API, ``callcenter`` commands run in-process, an ORM ``update(User)``) forgets
the user when its transaction commits, so the next request reads the database again. A change made
by another process (``callcenter users`` on the command line, another API instance sharing the
database) is seen within ``api.auth_cache_seconds``; ``0`` turns the cache off.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from starlette.requests import HTTPConnection

from tickets.users.models import User

if TYPE_CHECKING:
    from agent_console.auth.deps import AuthUser

CHANGED_KEY = "cc_changed_usernames"  # Session.info: the users this transaction changed
ALL_USERS = "*"  # a bulk UPDATE/DELETE of users: forget every one


@dataclass(frozen=True, slots=True)
class KnownUser:
    """What a token's check needs to know about its user."""

    active: bool
    revoked_at: datetime | None  # tokens issued before it are refused (millisecond precision)
    user: AuthUser


class UserCache:
    """Usernames → :class:`KnownUser`, each for at most ``ttl`` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, KnownUser]] = {}
        self._forgotten: dict[str, float] = {}  # username -> when a commit last changed them
        self._cleared = 0.0  # when a bulk change last forgot everyone
        self._lock = threading.Lock()
        _CACHES.add(self)

    def get(self, username: str) -> KnownUser | None:
        if self.ttl <= 0:
            return None
        entry = self._entries.get(username)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            with self._lock:
                self._entries.pop(username, None)
            return None
        return entry[1]

    def put(self, username: str, known: KnownUser, *, read_at: float) -> None:
        """Remember ``known``, read from the database at ``read_at`` (monotonic), unless the user
        changed since: a commit that forgot them after the read wins."""
        if self.ttl <= 0:
            return
        with self._lock:
            if self._forgotten.get(username, self._cleared) > read_at:
                return
            self._entries[username] = (read_at + self.ttl, known)

    def forget(self, usernames: set[str]) -> None:
        now = time.monotonic()
        with self._lock:
            if ALL_USERS in usernames:
                self._entries.clear()
                self._forgotten.clear()
                self._cleared = now
                return
            for name in usernames:
                self._entries.pop(name, None)
                self._forgotten[name] = now
            if len(self._forgotten) > 10_000:  # bounded: older marks only matter for in-flight reads
                self._forgotten = {n: t for n, t in self._forgotten.items() if t > now - max(self.ttl, 60.0)}


_CACHES: weakref.WeakSet[UserCache] = weakref.WeakSet()


def user_cache_of(conn: HTTPConnection) -> UserCache:
    """The app's cache (``create_app`` sets it)."""
    cache: UserCache = conn.app.state.user_cache
    return cache


@event.listens_for(Session, "after_flush")
def _note_changed_users(session: Session, _context: Any) -> None:
    changed = [obj.username for obj in (*session.new, *session.dirty, *session.deleted)
               if isinstance(obj, User)]
    if changed:
        session.info.setdefault(CHANGED_KEY, set()).update(changed)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_user_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is User for mapper in state.all_mappers
    ):
        state.session.info.setdefault(CHANGED_KEY, set()).add(ALL_USERS)


@event.listens_for(Session, "after_commit")
def _forget_changed_users(session: Session) -> None:
    """(A rolled-back change keeps its mark: forgetting a user who did not change costs one read.)"""
    changed: set[str] | None = session.info.pop(CHANGED_KEY, None)
    if changed:
        for cache in list(_CACHES):
            cache.forget(changed)
