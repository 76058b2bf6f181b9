"""Bearer tokens: JWT (HS256) signed with ``settings.api.secret_key``, carrying username and role."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
TOKEN_TYPE = "access"


class TokenError(Exception):
    """The token is malformed, badly signed, expired or not an access token."""


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: str
    issued_at: datetime
    expires_at: datetime


def issue_token(
    *, username: str, role: str, secret: str, ttl: timedelta, now: datetime | None = None
) -> tuple[str, datetime]:
    """A signed access token and its expiry time."""
    issued = to_millis(now or datetime.now(UTC))
    expires = (issued + ttl).replace(microsecond=0)
    payload = {
        "sub": username,
        "role": role,
        "typ": TOKEN_TYPE,
        # milliseconds (RFC 7519 allows fractions): a token issued right after a password change is
        # told apart from one issued right before it.
        "iat": round(issued.timestamp(), 3),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM), expires


def to_millis(moment: datetime) -> datetime:
    """``moment`` truncated to whole milliseconds (the precision of a token's ``iat``)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# A NumericDate outside 1970-01-01 .. 9999-12-31 names no moment a token of ours was issued or
# expires: refused like any forged token (never a 500 from a date conversion overflowing).
MAX_NUMERIC_DATE = 253_402_300_799


def _from_numeric_date(value: object) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_NUMERIC_DATE:
        raise TokenError("invalid token")
    millis = round(value * 1000)
    return datetime.fromtimestamp(millis // 1000, UTC) + timedelta(milliseconds=millis % 1000)


VERIFIED_TOKENS = 8192
"""How many verified tokens are remembered (an agent sends the same token with every request, and
checking its signature and claims again is a fair share of a small request's time)."""
_verified: dict[tuple[str, str], TokenClaims] = {}
_verified_lock = threading.Lock()  # websockets verify in the thread pool


def decode_token(token: str, *, secret: str) -> TokenClaims:
    """The claims of a valid token; raises ``TokenError`` (never echoing the token) otherwise.

    A token verified before under the same secret is not verified again; its expiry still is.
    """
    key = (secret, token)
    claims = _verified.get(key)
    if claims is None:
        claims = _verify(token, secret)
        with _verified_lock:
            if len(_verified) >= VERIFIED_TOKENS:
                _verified.pop(next(iter(_verified)), None)  # the oldest
            _verified[key] = claims
    if claims.expires_at <= datetime.now(UTC):
        raise TokenError("token expired")
    return claims


def _verify(token: str, secret: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except (jwt.PyJWTError, OverflowError, ValueError) as exc:  # a NumericDate no clock can hold
        raise TokenError("invalid token") from exc
    if payload.get("typ") != TOKEN_TYPE or not isinstance(payload.get("sub"), str):
        raise TokenError("invalid token")
    return TokenClaims(
        username=payload["sub"],
        role=str(payload.get("role", "")),
        issued_at=_from_numeric_date(payload["iat"]),
        expires_at=_from_numeric_date(payload["exp"]),
    )
