"""FastAPI dependencies: the authenticated user from a bearer token, role checks, the tickets actor.

``CurrentUser`` is the user of a request (401 without a valid token); ``require_role("supervisor")``
admits that role and every role above it (agent < supervisor < admin).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from agent_console.auth.tokens import TokenClaims, TokenError, decode_token, to_millis
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


def user_for_token(conn: HTTPConnection, token: str, session: Session | None = None) -> AuthUser:
    """The active user a token names, read fresh from the database (role and active state are current).

    ``session`` is the request's own (one session per request); without it (a websocket) a short
    read-only one is opened.
    """
    platform = platform_of(conn)
    try:
        claims = decode_token(token, secret=platform.settings.api.secret_key)
    except TokenError as exc:
        error_id = "token-expired" if str(exc) == "token expired" else "invalid-token"
        raise AuthError(str(exc), error_id) from exc
    if session is None:
        with unit_of_work(platform.sessions, read_only=True) as own:
            return _user_of(own, claims)
    return _user_of(session, claims)


USER_BY_NAME = select(User).where(User.username == bindparam("username"))
"""The token's user (built once: every authenticated request runs it)."""


def _user_of(session: Session, claims: TokenClaims) -> AuthUser:
    user = session.scalar(USER_BY_NAME, {"username": claims.username})
    if user is None or not user.active:
        raise AuthError("the user of this token is unknown or inactive", "invalid-token")
    revoked = tokens_revoked_at(user)
    if revoked is not None and claims.issued_at < to_millis(revoked):
        raise AuthError(
            "this token was issued before the user's password, role or active state changed",
            "invalid-token",
        )
    return AuthUser(
        id=user.id,
        username=user.username,
        role=user.role,
        display_name=user.display_name,
        extension=user.extension,
        language=user.language,
    )


def get_current_user(
    conn: HTTPConnection, session: SessionDep, token: Annotated[str | None, Depends(bearer_scheme)]
) -> AuthUser:
    if not token:
        raise AuthError("not authenticated: send 'Authorization: Bearer <token>'")
    user = user_for_token(conn, token, session)
    authenticated(conn, user.actor)  # the tickets routers' ActorDep
    return user


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


def optional_user(
    conn: HTTPConnection, session: SessionDep, token: Annotated[str | None, Depends(bearer_scheme)]
) -> AuthUser | None:
    """The token's user, or ``None`` when no token is sent (a bad token is still 401)."""
    if not token:
        return None
    user = user_for_token(conn, token, session)
    authenticated(conn, user.actor)
    return user


OptionalUser = Annotated[AuthUser | None, Depends(optional_user)]


async def optional_actor(user: OptionalUser) -> Actor | None:
    """For routes that also accept other credentials (the web intake's ``X-Intake-Key``)."""
    return None if user is None else user.actor

