"""Checking a login: username + password against the users table, with rehash-on-login."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.models.types import utcnow
from tickets.users.models import User
from tickets.users.passwords import Passwords


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def authenticate(
    session: Session, *, username: str, password: str, passwords: Passwords, now: datetime | None = None
) -> User | None:
    """The active user whose password matches, with ``last_login_at`` set; ``None`` otherwise.

    Unknown and inactive users cost as much time as a wrong password, so timing tells nothing.
    """
    user = find_user(session, username)
    if user is None or not user.active:
        passwords.burn(password)
        return None
    result = passwords.verify(user.password_hash, password)
    if not result.ok:
        return None
    if result.new_hash is not None:
        user.password_hash = result.new_hash
    user.last_login_at = now or utcnow()
    session.flush()
    return user
