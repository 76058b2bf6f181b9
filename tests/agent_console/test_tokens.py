"""JWT access tokens: round trip, expiry, tampering, wrong key, wrong algorithm."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from agent_console.auth.tokens import TokenError, decode_token, issue_token

SECRET = "a-test-secret-that-is-long-enough-for-hs256!"


def test_issued_token_decodes_to_its_claims() -> None:
    now = datetime.now(UTC)
    token, expires = issue_token(
        username="wang", role="agent", secret=SECRET, ttl=timedelta(minutes=5), now=now
    )
    claims = decode_token(token, secret=SECRET)
    assert (claims.username, claims.role) == ("wang", "agent")
    assert claims.expires_at == expires
    assert timedelta(minutes=4) < claims.expires_at - now <= timedelta(minutes=5)


def test_expired_token_is_refused() -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    token, _ = issue_token(username="wang", role="agent", secret=SECRET, ttl=timedelta(minutes=1), now=past)
    with pytest.raises(TokenError, match="expired"):
        decode_token(token, secret=SECRET)


def test_tampered_or_foreign_tokens_are_refused() -> None:
    token, _ = issue_token(username="wang", role="agent", secret=SECRET, ttl=timedelta(minutes=5))
    header, _payload, signature = token.split(".")
    forged_payload = jwt.encode(
        {"sub": "wang", "role": "admin", "typ": "access", "iat": 1, "exp": 2**40}, SECRET
    ).split(".")[1]
    for bad in (
        f"{header}.{forged_payload}.{signature}",
        token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        "not a token",
        "",
    ):
        with pytest.raises(TokenError):
            decode_token(bad, secret=SECRET)
    with pytest.raises(TokenError):
        decode_token(token, secret="another-secret-that-is-long-enough-for-hs256")


def test_unsigned_and_non_access_tokens_are_refused() -> None:
    claims = {"sub": "wang", "role": "admin", "typ": "access", "iat": 1, "exp": 2**40}
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(TokenError):
        decode_token(unsigned, secret=SECRET)
    refresh = jwt.encode({**claims, "typ": "refresh"}, SECRET, algorithm="HS256")
    with pytest.raises(TokenError):
        decode_token(refresh, secret=SECRET)


def test_issued_at_keeps_milliseconds() -> None:
    now = datetime(2026, 11, 22, 10, 0, 0, 123_456, tzinfo=UTC)
    token, _ = issue_token(username="wang", role="agent", secret=SECRET, ttl=timedelta(days=36500), now=now)
    assert decode_token(token, secret=SECRET).issued_at == datetime(
        2026, 11, 22, 10, 0, 0, 123_000, tzinfo=UTC
    )


def test_a_token_verified_before_is_still_refused_once_it_expires() -> None:
    issued = datetime.now(UTC) - timedelta(seconds=59)
    token, _ = issue_token(username="wang", role="agent", secret=SECRET, ttl=timedelta(seconds=60),
                           now=issued)
    assert decode_token(token, secret=SECRET).username == "wang"  # verified and remembered
    time.sleep(max(0.0, (issued + timedelta(seconds=60) - datetime.now(UTC)).total_seconds()) + 1.1)
    with pytest.raises(TokenError, match="expired"):
        decode_token(token, secret=SECRET)


def test_a_token_verified_under_one_secret_is_not_trusted_under_another() -> None:
    token, _ = issue_token(username="wang", role="agent", secret=SECRET, ttl=timedelta(minutes=5))
    assert decode_token(token, secret=SECRET).username == "wang"
    with pytest.raises(TokenError):
        decode_token(token, secret="another-secret-that-is-long-enough-for-hs256")
