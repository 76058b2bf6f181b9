"""The authentication's user cache: a change to a user made in this process is seen by the very
next request, however it was made; one made by another process within ``api.auth_cache_seconds``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text, update
from sqlalchemy.orm import sessionmaker

from agent_console.app import create_app
from agent_console.auth.deps import AuthUser
from agent_console.auth.user_cache import ALL_USERS, KnownUser, UserCache
from callcenter.platform import build_platform
from config.settings import load_settings
from tests.fixtures.api import DEFAULT_PASSWORD, TEST_HASHER, TEST_SECRET, MadeUser, token_for
from tickets.db import unit_of_work
from tickets.users.models import User
from tickets.users.passwords import Passwords
from tickets.users.schemas import UserCreate
from tickets.users.service import create_user


def _me(client: TestClient, token: str) -> int:
    status: int = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
    return status


def test_given_a_cached_user_deactivated_by_a_bulk_update_in_this_process_then_the_next_request_is_refused(
    api_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent")
    token = token_for(api_client.app, user)  # type: ignore[arg-type]
    assert _me(api_client, token) == 200  # now cached
    app: Any = api_client.app
    with unit_of_work(app.state.platform.sessions) as session:
        session.execute(update(User).where(User.id == user.id).values(active=False))
    assert _me(api_client, token) == 401


def test_given_a_cached_user_changed_through_another_session_factory_then_the_next_request_is_refused(
    api_client: TestClient, make_user: Callable[..., MadeUser], db_url: str
) -> None:
    user = make_user("supervisor")
    token = token_for(api_client.app, user)  # type: ignore[arg-type]
    assert api_client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    engine = create_engine(db_url)  # e.g. a `callcenter` command run in this process
    try:
        with unit_of_work(sessionmaker(engine)) as session:
            row = session.get(User, user.id)
            assert row is not None
            row.active = False
    finally:
        engine.dispose()
    assert _me(api_client, token) == 401


@pytest.fixture
def client_with_cache(db_url: str, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    settings = load_settings(database_url=db_url,
                             api={"secret_key": TEST_SECRET, "auth_cache_seconds": request.param})
    with TestClient(create_app(build_platform(settings, passwords=Passwords(TEST_HASHER)))) as client:
        yield client


def _deactivate_with_plain_sql(db_url: str, user_id: int) -> None:
    """As another process would: no SQLAlchemy session of this one sees it."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE users SET active = :no WHERE id = :id"), {"no": False, "id": user_id})
    finally:
        engine.dispose()


@pytest.mark.parametrize(("client_with_cache", "wait"), [(0.0, 0.0), (0.5, 0.6)],
                         indirect=["client_with_cache"],
                         ids=["cache-off-seen-at-once", "seen-once-the-entry-expires"])
def test_given_a_change_by_another_process_then_it_is_seen_within_the_cache_time(
    client_with_cache: TestClient, wait: float, db_url: str
) -> None:
    client = client_with_cache
    user = _user(client)
    token = token_for(client.app, user)  # type: ignore[arg-type]
    assert _me(client, token) == 200
    _deactivate_with_plain_sql(db_url, user.id)
    time.sleep(wait)
    assert _me(client, token) == 401


def _user(client: TestClient) -> MadeUser:
    app: Any = client.app
    data = UserCreate(username=f"cache-{uuid.uuid4().hex[:10]}", display_name="缓存 测试", role="agent",
                      password=DEFAULT_PASSWORD)
    with unit_of_work(app.state.platform.sessions) as session:
        user = create_user(session, data, passwords=app.state.platform.passwords)
        return MadeUser(user.id, user.username, data.password, user.role, user.display_name)


def _known(name: str) -> KnownUser:
    user = AuthUser(id=1, username=name, role="agent", display_name=name, extension=None, language="en")
    return KnownUser(active=True, revoked_at=None, user=user)


def test_given_a_read_that_began_before_a_commit_forgot_the_user_then_it_is_not_remembered() -> None:
    cache = UserCache(ttl=60)
    read_at = time.monotonic()
    cache.forget({"li.na"})  # a commit changed the user while the read was under way
    cache.put("li.na", _known("li.na"), read_at=read_at)
    assert cache.get("li.na") is None
    cache.put("li.na", _known("li.na"), read_at=time.monotonic())
    assert cache.get("li.na") is not None


def test_given_a_bulk_change_then_every_user_is_forgotten_and_older_reads_are_refused() -> None:
    cache = UserCache(ttl=60)
    read_at = time.monotonic()
    cache.put("a", _known("a"), read_at=read_at)
    cache.forget({ALL_USERS})
    assert cache.get("a") is None
    cache.put("b", _known("b"), read_at=read_at)
    assert cache.get("b") is None


def test_given_an_entry_older_than_the_ttl_then_it_is_gone() -> None:
    cache = UserCache(ttl=0.05)
    cache.put("a", _known("a"), read_at=time.monotonic() - 0.1)
    assert cache.get("a") is None
