"""``/api/auth``: issue a bearer token (OAuth2 password flow or JSON) and tell who is logged in."""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool

from agent_console.auth.deps import AuthError, CurrentUser
from agent_console.auth.login_body import OPENAPI_BODY, read_login
from agent_console.auth.ratelimit import login_key
from agent_console.auth.schemas import LoginRequest, TokenResponse
from agent_console.auth.tokens import issue_token
from agent_console.deps import PlatformDep
from callcenter.platform import Platform
from tickets.db import unit_of_work
from tickets.deps import SessionDep, one_hop
from tickets.users.login import authenticate, find_user
from tickets.users.schemas import UserPublic

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])


class RateLimited(HTTPException):
    error_id = "too-many-attempts"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed logins; try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )


@router.post("/token", response_model=TokenResponse, openapi_extra=OPENAPI_BODY)
async def token(request: Request, platform: PlatformDep) -> TokenResponse:
    """Exchange username and password for a bearer token (form fields or a JSON object)."""
    credentials = await read_login(request)
    limiter = platform.login_limiter
    client = request.client.host if request.client else None  # X-Forwarded-For only via trusted proxies
    key = login_key(credentials.username, client)
    wait = await limiter.attempt(key)  # counted before the password is checked
    if wait > 0:
        log.warning("login refused (rate limit) for %r from %s", credentials.username, client)
        raise RateLimited(wait)
    user = await run_in_threadpool(_login, platform, credentials)
    if user is None:
        log.info("login failed for %r from %s", credentials.username, client)
        raise AuthError("wrong username or password", "invalid-credentials")
    await limiter.succeeded(key)
    settings = platform.settings
    ttl = timedelta(minutes=settings.api.token_ttl_minutes)
    access_token, expires_at = issue_token(
        username=user.username, role=user.role, secret=settings.api.secret_key, ttl=ttl
    )
    log.info("login ok for %r from %s", user.username, client)
    return TokenResponse(
        access_token=access_token, expires_in=int(ttl.total_seconds()), expires_at=expires_at, user=user
    )


def _login(platform: Platform, credentials: LoginRequest) -> UserPublic | None:
    with unit_of_work(platform.sessions) as session:
        user = authenticate(
            session,
            username=credentials.username,
            password=credentials.password,
            passwords=platform.passwords,
        )
        return None if user is None else UserPublic.model_validate(user)


@router.get("/me", response_model=UserPublic)
@one_hop
def me(session: SessionDep, user: CurrentUser) -> UserPublic:
    """The logged-in user's profile (read in the request's one session, as the token check was)."""
    found = find_user(session, user.username)
    if found is None:  # pragma: no cover - the token check found them in this same transaction
        raise AuthError("the user of this token is unknown or inactive", "invalid-token")
    return UserPublic.model_validate(found)
