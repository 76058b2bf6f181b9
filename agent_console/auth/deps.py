"""FastAPI dependencies: the authenticated user from a bearer token, role checks, the tickets actor.

``CurrentUser`` is the user of a request (401 without a valid token); ``require_role("supervisor")``
admits that role and every role above it (agent < supervisor < admin).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from agent_console.auth.tokens import TokenClaims, TokenError, decode_token, to_millis
from agent_console.auth.user_cache import KnownUser, user_cache_of
from agent_console.deps import platform_of
from tickets.actors import Actor
from tickets.db import unit_of_work
from tickets.deps import SessionDep, authenticated
from tickets.errors import Forbidden
from tickets.users.models import User, tokens_revoked_at

ROLE_RANK = {"agent": 1, "supervisor": 2, "admin": 3}
TOKEN_URL = "/api/auth/token"

bearer_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


@dataclass(frozen=True)
class AuthUser:
    """The authenticated user of a request, detached from any database session."""

    id: int
    username: str
    role: str
    display_name: str
    extension: str | None
    language: str

    def has_role(self, role: str) -> bool:
        """True when this user's role is ``role`` or ranks above it."""
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role, self.display_name)


class AuthError(HTTPException):
    """401 with a stable ``error_id`` and the ``WWW-Authenticate: Bearer`` challenge."""

    def __init__(self, message: str, error_id: str = "not-authenticated") -> None:
        super().__init__(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})
        self.error_id = error_id


def _claims(conn: HTTPConnection, token: str) -> TokenClaims:
    try:
        return decode_token(token, secret=platform_of(conn).settings.api.secret_key)
    except TokenError as exc:
        error_id = "token-expired" if str(exc) == "token expired" else "invalid-token"
        raise AuthError(str(exc), error_id) from exc


def user_for_token(conn: HTTPConnection, token: str) -> AuthUser:
    """The active user a token names, read fresh from the database in a short read-only session of
    its own (a websocket's checks: role and active state are current, no cache)."""
    claims = _claims(conn, token)
    with unit_of_work(platform_of(conn).sessions, read_only=True) as own:
        return _checked(_read_user(own, claims.username), claims)


USER_BY_NAME = select(User).where(User.username == bindparam("username"))
"""The token's user (built once: every authenticated request that misses the cache runs it)."""


def _read_user(session: Session, username: str) -> KnownUser | None:
    user = session.scalar(USER_BY_NAME, {"username": username})
    if user is None:
        return None
    auth_user = AuthUser(
        id=user.id,
        username=user.username,
        role=user.role,
        display_name=user.display_name,
        extension=user.extension,
        language=user.language,
    )
    return KnownUser(active=user.active, revoked_at=tokens_revoked_at(user), user=auth_user)


def _checked(known: KnownUser | None, claims: TokenClaims) -> AuthUser:
    if known is None or not known.active:
        raise AuthError("the user of this token is unknown or inactive", "invalid-token")
    if known.revoked_at is not None and claims.issued_at < to_millis(known.revoked_at):
        raise AuthError(
            "this token was issued before the user's password, role or active state changed",
            "invalid-token",
        )
    return known.user


async def _authenticate(conn: HTTPConnection, session: Session, token: str) -> AuthUser:
    """The token's user, from the app's :class:`UserCache` or else read with the request's session
    (in the thread pool); recorded as the tickets routers' actor."""
    claims = _claims(conn, token)
    cache = user_cache_of(conn)
    known = cache.get(claims.username)
    if known is None:
        read_at = time.monotonic()
        known = await run_in_threadpool(_read_user, session, claims.username)
        if known is not None:
            cache.put(claims.username, known, read_at=read_at)
    user = _checked(known, claims)
    authenticated(conn, user.actor)  # the tickets routers' ActorDep
    return user


async def get_current_user(
    conn: HTTPConnection, session: SessionDep, token: Annotated[str | None, Depends(bearer_scheme)]
) -> AuthUser:
    if not token:
        raise AuthError("not authenticated: send 'Authorization: Bearer <token>'")
    return await _authenticate(conn, session, token)


CurrentUser = Annotated[AuthUser, Depends(get_current_user)]


def require_role(role: str) -> Callable[[AuthUser], AuthUser]:
    """A dependency admitting users of ``role`` or above; others get 403 ``insufficient-role``."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLE_RANK)}")

    def check(user: CurrentUser) -> AuthUser:
        if not user.has_role(role):
            raise Forbidden(
                f"this needs the {role} role", error_id="insufficient-role", details={"required_role": role}
            )
        return user

    check.__name__ = f"require_{role}"
    return check


SupervisorUser = Annotated[AuthUser, Depends(require_role("supervisor"))]
AdminUser = Annotated[AuthUser, Depends(require_role("admin"))]


async def optional_user(
    conn: HTTPConnection, session: SessionDep, token: Annotated[str | None, Depends(bearer_scheme)]
) -> AuthUser | None:
    """The token's user, or ``None`` when no token is sent (a bad token is still 401)."""
    if not token:
        return None
    return await _authenticate(conn, session, token)


OptionalUser = Annotated[AuthUser | None, Depends(optional_user)]


async def optional_actor(user: OptionalUser) -> Actor | None:
    """For routes that also accept other credentials (the web intake's ``X-Intake-Key``)."""
    return None if user is None else user.actor

