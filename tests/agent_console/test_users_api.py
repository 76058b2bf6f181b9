"""The admins' user management under /api/users, and who may use it."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.fixtures.api import TEST_HASHER, MadeUser
from tickets.errors import Conflict
from tickets.users.models import User
from tickets.users.passwords import Passwords
from tickets.users.schemas import UserCreate, UserUpdate
from tickets.users.service import create_user, update_user


def _name() -> str:
    return f"u{uuid.uuid4().hex[:10]}"


def test_an_admin_creates_lists_updates_and_deactivates_a_user(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    admin = auth_headers("admin")
    username = _name()
    created = api_client.post(
        "/api/users",
        headers=admin,
        json={
            "username": username,
            "display_name": "张三丰",
            "role": "agent",
            "password": "first-password",
            "extension": "1003",
            "language": "zh",
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["display_name"] == "张三丰" and user["active"] is True
    assert "password" not in created.text and "argon2" not in created.text

    listed = api_client.get("/api/users", headers=admin).json()
    assert username in [u["username"] for u in listed]

    patched = api_client.patch(
        f"/api/users/{user['id']}",
        headers=admin,
        json={"role": "supervisor", "extension": None, "language": "en"},
    )
    assert patched.status_code == 200
    assert (patched.json()["role"], patched.json()["extension"], patched.json()["language"]) == (
        "supervisor",
        None,
        "en",
    )
    assert patched.json()["display_name"] == "张三丰"  # untouched

    login = api_client.post("/api/auth/token", json={"username": username, "password": "first-password"})
    assert login.status_code == 200 and login.json()["user"]["role"] == "supervisor"

    gone = api_client.delete(f"/api/users/{user['id']}", headers=admin)
    assert gone.status_code == 200 and gone.json()["active"] is False
    active_only = api_client.get("/api/users", headers=admin, params={"include_inactive": False}).json()
    assert username not in [u["username"] for u in active_only]
    again = api_client.post("/api/auth/token", json={"username": username, "password": "first-password"})
    assert again.status_code == 401
    old_token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert api_client.get("/api/auth/me", headers=old_token).status_code == 401


def test_a_password_reset_changes_the_login_and_revokes_older_tokens(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]], make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent")
    old = api_client.post("/api/auth/token", json={"username": user.username, "password": user.password})
    old_headers = {"Authorization": f"Bearer {old.json()['access_token']}"}
    assert api_client.get("/api/auth/me", headers=old_headers).status_code == 200

    reset = api_client.post(
        f"/api/users/{user.id}/password",
        headers=auth_headers("admin"),
        json={"password": "brand-new-password"},
    )
    assert reset.status_code == 200

    refused = api_client.get("/api/auth/me", headers=old_headers)
    assert refused.status_code == 401 and refused.json()["error_id"] == "invalid-token"
    assert (
        api_client.post(
            "/api/auth/token", json={"username": user.username, "password": user.password}
        ).status_code
        == 401
    )
    new = api_client.post(
        "/api/auth/token", json={"username": user.username, "password": "brand-new-password"}
    )
    assert new.status_code == 200
    headers = {"Authorization": f"Bearer {new.json()['access_token']}"}
    assert api_client.get("/api/auth/me", headers=headers).status_code == 200


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_only_admins_manage_users(
    role: str,
    api_client: TestClient,
    auth_headers: Callable[..., dict[str, str]],
    make_user: Callable[..., MadeUser],
) -> None:
    headers = auth_headers(role)
    victim = make_user("agent")
    calls = [
        ("GET", "/api/users", None),
        ("POST", "/api/users", {"username": _name(), "display_name": "x", "password": "long-enough-pw"}),
        ("PATCH", f"/api/users/{victim.id}", {"role": "admin"}),
        ("DELETE", f"/api/users/{victim.id}", None),
        ("POST", f"/api/users/{victim.id}/password", {"password": "taken-over-pw"}),
    ]
    for method, url, body in calls:
        resp = api_client.request(method, url, headers=headers, json=body)
        assert resp.status_code == 403, (method, url)
        assert resp.json()["error_id"] == "insufficient-role"
        assert resp.json()["details"] == {"required_role": "admin"}
    assert api_client.get("/api/users").status_code == 401
    login = api_client.post(
        "/api/auth/token", json={"username": victim.username, "password": victim.password}
    )
    assert login.status_code == 200 and login.json()["user"]["role"] == "agent"


def test_duplicate_username_is_409_and_bad_fields_are_422_naming_them(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]], make_user: Callable[..., MadeUser]
) -> None:
    admin = auth_headers("admin")
    existing = make_user("agent")
    dup = api_client.post(
        "/api/users",
        headers=admin,
        json={"username": existing.username.upper(), "display_name": "dup", "password": "long-enough-pw"},
    )
    assert dup.status_code == 409
    assert dup.json()["error_id"] == "username-taken"
    bad = api_client.post(
        "/api/users",
        headers=admin,
        json={"username": "has space", "display_name": "", "role": "boss", "password": "Zq9!xk"},
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["details"]["errors"]}
    assert fields == {"body.username", "body.display_name", "body.role", "body.password"}
    assert "Zq9!xk" not in bad.text
    missing = api_client.get("/api/users/987654321", headers=admin)
    assert missing.status_code == 404 and missing.json()["error_id"] == "no-such-user"


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(db_session: Session) -> None:
    passwords = Passwords(TEST_HASHER)
    db_session.execute(update(User).where(User.role == "admin").values(active=False))
    admin = create_user(
        db_session,
        UserCreate(username=_name(), display_name="only", role="admin", password="long-enough-pw"),
        passwords=passwords,
    )
    for change in (UserUpdate(role="agent"), UserUpdate(active=False)):
        with pytest.raises(Conflict) as caught:
            update_user(db_session, admin.id, change)
        assert caught.value.error_id == "last-admin"
    second = create_user(
        db_session,
        UserCreate(username=_name(), display_name="second", role="admin", password="long-enough-pw"),
        passwords=passwords,
    )
    assert update_user(db_session, admin.id, UserUpdate(role="supervisor")).role == "supervisor"
    assert second.role == "admin"


def test_an_extension_belongs_to_one_active_user(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    admin = auth_headers("admin")
    body = {"display_name": "分机测试", "role": "agent", "password": "long-enough-pw", "extension": "7999"}
    first = api_client.post("/api/users", json={**body, "username": "ext_owner_a"}, headers=admin)
    assert first.status_code == 201, first.text
    second = api_client.post("/api/users", json={**body, "username": "ext_owner_b"}, headers=admin)
    assert second.status_code == 409 and second.json()["error_id"] == "extension-taken"
    assert second.json()["details"]["field"] == "extension"
    # Once the owner is deactivated the extension is free again.
    assert (
        api_client.patch(
            f"/api/users/{first.json()['id']}", json={"active": False}, headers=admin
        ).status_code
        == 200
    )
    third = api_client.post("/api/users", json={**body, "username": "ext_owner_c"}, headers=admin)
    assert third.status_code == 201, third.text
