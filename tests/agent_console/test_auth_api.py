"""Logging in and using tokens: form and JSON logins, failures, rate limit, expiry, /me, rehash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from agent_console.auth.tokens import decode_token, issue_token
from tests.fixtures.api import MadeUser
from tickets.users.models import User
from tickets.users.passwords import Passwords


def test_login_with_the_oauth2_password_form_returns_a_bearer_token(
    api_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent", display_name="王小明", extension="1001")
    resp = api_client.post(
        "/api/auth/token",
        data={"username": user.username, "password": user.password, "grant_type": "password"},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["display_name"] == "王小明"
    assert body["user"]["last_login_at"] is not None
    assert "password" not in str(body["user"])
    claims = decode_token(body["access_token"], secret=api_client.app.state.platform.settings.api.secret_key)  # type: ignore[attr-defined]
    assert (claims.username, claims.role) == (user.username, "agent")

    me = api_client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    assert me.json()["extension"] == "1001"


def test_login_with_a_json_body_and_mixed_case_username(
    api_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("supervisor")
    resp = api_client.post(
        "/api/auth/token", json={"username": user.username.upper(), "password": user.password}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["user"]["role"] == "supervisor"


def test_wrong_password_unknown_user_and_inactive_user_get_the_same_401(
    api_client: TestClient, make_user: Callable[..., MadeUser], auth_headers: Callable[..., dict[str, str]]
) -> None:
    user = make_user("agent")
    gone = make_user("agent")
    resp = api_client.delete(f"/api/users/{gone.id}", headers=auth_headers("admin"))
    assert resp.status_code == 200 and resp.json()["active"] is False
    attempts = [
        {"username": user.username, "password": "not-the-password"},
        {"username": "nobody-by-this-name", "password": "whatever-it-is"},
        {"username": gone.username, "password": gone.password},
    ]
    for attempt in attempts:
        resp = api_client.post("/api/auth/token", json=attempt)
        assert resp.status_code == 401
        assert resp.json()["error_id"] == "invalid-credentials"
        assert resp.headers["www-authenticate"] == "Bearer"
        assert "not-the-password" not in resp.text


def test_missing_credentials_are_422_naming_the_field_and_never_echo_the_password(
    api_client: TestClient,
) -> None:
    resp = api_client.post("/api/auth/token", data={"password": "hunter2-secret"})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.json()["details"]["errors"]] == ["body.username"]
    resp = api_client.post("/api/auth/token", json={"username": "x", "password": ""})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.json()["details"]["errors"]] == ["body.password"]
    resp = api_client.post(
        "/api/auth/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 422
    resp = api_client.post("/api/auth/token", content=b"x", headers={"content-type": "text/plain"})
    assert resp.status_code == 415
    assert resp.json()["error_id"] == "unsupported-media-type"
    resp = api_client.post("/api/auth/token", json={"username": "u", "password": "hunter2-secret" * 30})
    assert resp.status_code == 422
    assert "hunter2" not in resp.text


def test_five_failures_in_a_minute_lock_the_username_from_that_address_with_429(
    api_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent")
    other = make_user("agent")
    for _ in range(5):
        resp = api_client.post(
            "/api/auth/token", json={"username": user.username, "password": "wrong-password"}
        )
        assert resp.status_code == 401
    locked = api_client.post("/api/auth/token", json={"username": user.username, "password": user.password})
    assert locked.status_code == 429
    assert locked.json()["error_id"] == "too-many-attempts"
    assert 1 <= int(locked.headers["retry-after"]) <= 60
    # another user from the same address is not affected
    ok = api_client.post("/api/auth/token", json={"username": other.username, "password": other.password})
    assert ok.status_code == 200


def test_a_success_resets_the_failure_count(
    api_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent")
    for _round in range(2):
        for _ in range(4):
            bad = api_client.post(
                "/api/auth/token", json={"username": user.username, "password": "wrong-password"}
            )
            assert bad.status_code == 401
        good = api_client.post("/api/auth/token", json={"username": user.username, "password": user.password})
        assert good.status_code == 200


def test_expired_forged_and_missing_tokens_are_401(
    api_app: FastAPI, api_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent")
    secret = api_app.state.platform.settings.api.secret_key
    expired, _ = issue_token(
        username=user.username,
        role="agent",
        secret=secret,
        ttl=timedelta(minutes=1),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    forged, _ = issue_token(username=user.username, role="admin", secret="x" * 40, ttl=timedelta(minutes=5))
    cases = {
        "token-expired": {"Authorization": f"Bearer {expired}"},
        "invalid-token": {"Authorization": f"Bearer {forged}"},
        "not-authenticated": {},
    }
    for error_id, headers in cases.items():
        resp = api_client.get("/api/auth/me", headers=headers)
        assert resp.status_code == 401, error_id
        assert resp.json()["error_id"] == error_id
        assert resp.headers["www-authenticate"] == "Bearer"


def test_the_token_ttl_comes_from_the_settings(api_settings, make_user: Callable[..., MadeUser]) -> None:  # type: ignore[no-untyped-def]
    from agent_console.app import create_app
    from callcenter.platform import build_platform

    api_settings.api.token_ttl_minutes = 3
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    app = create_app(build_platform(api_settings, passwords=Passwords(hasher)))
    user = make_user("agent")
    with TestClient(app) as client:
        body = client.post(
            "/api/auth/token", json={"username": user.username, "password": user.password}
        ).json()
    assert body["expires_in"] == 180
    claims = decode_token(body["access_token"], secret=api_settings.api.secret_key)
    assert (
        timedelta(minutes=3) - timedelta(seconds=1)
        < claims.expires_at - claims.issued_at
        <= timedelta(minutes=3)
    )


def test_login_rehashes_a_password_stored_with_older_parameters(
    api_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    app: FastAPI = api_client.app  # type: ignore[assignment]
    user = make_user("agent")
    with app.state.platform.sessions() as session:
        before = session.scalar(select(User.password_hash).where(User.id == user.id))
    app.state.platform.passwords = Passwords(PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    resp = api_client.post("/api/auth/token", json={"username": user.username, "password": user.password})
    assert resp.status_code == 200
    with app.state.platform.sessions() as session:
        after = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert after != before and "t=2" in after
    again = api_client.post("/api/auth/token", json={"username": user.username, "password": user.password})
    assert again.status_code == 200
