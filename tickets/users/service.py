"""Managing users (the admins' job): create, list, update, deactivate, reset a password; who has a phone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tickets.errors import Conflict, NotFound
from tickets.models.types import utcnow
from tickets.users.models import User
from tickets.users.passwords import Passwords
from tickets.users.schemas import UserCreate, UserUpdate


def create_user(session: Session, data: UserCreate, *, passwords: Passwords) -> User:
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict(
            f"username {data.username!r} is taken", error_id="username-taken", details={"field": "username"}
        )
    _check_extension_free(session, data.extension)
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        password_hash=passwords.hash(data.password),
        extension=data.extension,
        language=data.language,
        active=True,
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent create of the same username
        raise Conflict(
            f"username {data.username!r} is taken", error_id="username-taken", details={"field": "username"}
        ) from exc
    return user


def list_users(session: Session, *, include_inactive: bool = True) -> list[User]:
    query = select(User).order_by(User.username)
    if not include_inactive:
        query = query.where(User.active.is_(True))
    return list(session.scalars(query))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}", error_id="no-such-user", details={"id": user_id})
    return user


def update_user(session: Session, user_id: int, changes: UserUpdate) -> User:
    """Apply the fields present in ``changes``; the last active admin cannot be demoted or deactivated."""
    user = get_user(session, user_id)
    fields = changes.model_dump(exclude_unset=True)
    for name in ("display_name", "role", "language", "active"):
        if fields.get(name, ...) is None:  # explicit null on a required field
            fields.pop(name)
    losing_admin = (
        user.role == "admin"
        and user.active
        and (fields.get("role", "admin") != "admin" or fields.get("active", True) is False)
    )
    if losing_admin and len(_lock_active_admins(session)) <= 1:
        raise Conflict(
            "the last active admin cannot be demoted or deactivated",
            error_id="last-admin",
            details={"id": user_id},
        )
    if fields.get("active", user.active) and fields.get("extension", user.extension):
        _check_extension_free(session, fields.get("extension", user.extension), except_id=user.id)
    revoke = fields.get("active", user.active) != user.active or fields.get("role", user.role) != user.role
    for name, value in fields.items():
        setattr(user, name, value)
    if revoke:  # tokens issued before a deactivation or a new role never work again
        user.tokens_revoked_at = utcnow()
    session.flush()
    return user


def _check_extension_free(session: Session, extension: str | None, *, except_id: int | None = None) -> None:
    """An extension is one agent's phone: calls on it are recorded as that agent's."""
    if not extension:
        return
    query = select(User.username).where(User.extension == extension, User.active.is_(True))
    if except_id is not None:
        query = query.where(User.id != except_id)
    holder = session.scalar(query.limit(1))
    if holder is not None:
        raise Conflict(
            f"extension {extension} belongs to {holder}",
            error_id="extension-taken",
            details={"field": "extension", "holder": holder},
        )


def agent_for_extension(session: Session, extension: str) -> str:
    """The username of the active user whose phone is ``extension`` (the extension itself if nobody's)."""
    username = session.scalar(
        select(User.username).where(User.extension == extension, User.active.is_(True)).limit(1)
    )
    return username or extension


def deactivate_user(session: Session, user_id: int) -> User:
    return update_user(session, user_id, UserUpdate(active=False))


def reset_password(session: Session, user_id: int, password: str, *, passwords: Passwords) -> User:
    user = get_user(session, user_id)
    user.password_hash = passwords.hash(password)
    user.password_changed_at = utcnow()
    session.flush()
    return user


def _lock_active_admins(session: Session) -> list[int]:
    """The ids of the active admins, their rows locked (in id order) until the transaction ends.

    Two admins demoting each other at once: the second waits for the first and then sees one admin
    fewer, so the last active admin always stays (SQLite serializes writers anyway).
    """
    stmt = (
        select(User.id)
        .where(User.role == "admin", User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    )
    return list(session.scalars(stmt))
