"""Revocation: a token issued before a deactivation or a new role stays invalid after a
reactivation, and an open websocket is closed (1008) when its user is deactivated or demoted."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from agent_console.app import create_app
from callcenter.platform import build_platform
from config.settings import load_settings
from tests.fixtures.api import TEST_HASHER, TEST_SECRET, MadeUser, token_for
from tickets.db import unit_of_work
from tickets.users.models import User
from tickets.users.passwords import Passwords

CLOSE_WAIT_SECONDS = 15.0


def _closed_code(ws: WebSocketTestSession) -> int | None:
    """The close code the server sends next (None if it sends something else or nothing in time)."""
    result: dict[str, Any] = {}

    def receive() -> None:
        try:
            result["message"] = ws.receive_text()
        except WebSocketDisconnect as exc:
            result["code"] = exc.code

    reader = threading.Thread(target=receive, daemon=True)
    reader.start()
    reader.join(CLOSE_WAIT_SECONDS)
    return result.get("code")


def test_given_a_token_from_before_a_deactivation_when_reactivated_then_it_stays_invalid(
    api_client: TestClient, make_user: Callable[..., MadeUser], auth_headers: Callable[..., dict[str, str]]
) -> None:
    user = make_user("agent")
    old = {"Authorization": f"Bearer {token_for(api_client.app, user)}"}  # type: ignore[arg-type]
    assert api_client.get("/api/auth/me", headers=old).status_code == 200
    admin = auth_headers("admin")
    assert api_client.delete(f"/api/users/{user.id}", headers=admin).status_code == 200
    assert api_client.patch(f"/api/users/{user.id}", headers=admin, json={"active": True}).status_code == 200
    refused = api_client.get("/api/auth/me", headers=old)
    assert refused.status_code == 401 and refused.json()["error_id"] == "invalid-token"
    login = api_client.post("/api/auth/token", json={"username": user.username, "password": user.password})
    assert login.status_code == 200
    fresh = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert api_client.get("/api/auth/me", headers=fresh).status_code == 200


def test_given_a_demoted_supervisor_then_their_old_token_is_refused(
    api_client: TestClient, make_user: Callable[..., MadeUser], auth_headers: Callable[..., dict[str, str]]
) -> None:
    user = make_user("supervisor")
    old = {"Authorization": f"Bearer {token_for(api_client.app, user)}"}  # type: ignore[arg-type]
    admin = auth_headers("admin")
    assert api_client.patch(f"/api/users/{user.id}", headers=admin, json={"role": "agent"}).status_code == 200
    assert api_client.get("/api/tickets", headers=old).status_code == 401


@pytest.mark.parametrize("change", [{"active": False}, {"role": "agent"}], ids=["deactivated", "demoted"])
def test_given_an_open_websocket_when_its_user_is_deactivated_or_demoted_then_it_is_closed(
    change: dict[str, Any], api_client: TestClient, make_user: Callable[..., MadeUser],
    auth_headers: Callable[..., dict[str, str]],
) -> None:
    user = make_user("supervisor")
    token = token_for(api_client.app, user)  # type: ignore[arg-type]
    with api_client.websocket_connect(f"/ws/ping?token={token}") as ws:
        assert ws.receive_json()["type"] == "hello"
        r = api_client.patch(f"/api/users/{user.id}", headers=auth_headers("admin"), json=change)
        assert r.status_code == 200
        assert _closed_code(ws) == 1008


@pytest.fixture
def rechecking_client(db_url: str) -> Iterator[TestClient]:
    settings = load_settings(database_url=db_url,
                             api={"secret_key": TEST_SECRET, "websocket_recheck_seconds": 0.2})
    with TestClient(create_app(build_platform(settings, passwords=Passwords(TEST_HASHER)))) as client:
        yield client


def test_given_a_user_deactivated_elsewhere_then_their_websocket_is_closed_at_the_next_check(
    rechecking_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent")
    app: Any = rechecking_client.app
    with rechecking_client.websocket_connect(f"/ws/ping?token={token_for(app, user)}") as ws:
        assert ws.receive_json()["type"] == "hello"
        with unit_of_work(app.state.platform.sessions) as session:  # e.g. `callcenter users` on the CLI
            session.execute(update(User).where(User.id == user.id).values(active=False))
        assert _closed_code(ws) == 1008
