"""Concurrent changes to customers, contact points, interactions and users over real HTTP, on
SQLite and PostgreSQL: crossed merges never lose a customer, duplicate keys end in 409 or the
idempotent result (never a 500), one primary phone, and the last active admin stays."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from agent_console.app import create_app
from callcenter.platform import build_platform
from config.settings import load_settings
from tests.agent_console.conftest import LiveApi
from tests.agent_console.live_server import Call, at_once, post, serve_in_thread
from tests.fixtures.api import TEST_HASHER, TEST_SECRET
from tickets.db import unit_of_work
from tickets.models import ContactPoint, Customer
from tickets.users.models import User
from tickets.users.passwords import Passwords
from tickets.users.schemas import UserCreate, UserUpdate
from tickets.users.service import create_user, update_user


def _customers(base: str, headers: dict[str, str], n: int) -> list[int]:
    ids = []
    for i in range(n):
        r = httpx.post(f"{base}/api/customers", headers=headers, json={"display_name": f"合并 {i}"})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def _live_end(live_api: LiveApi, customer_id: int) -> int | None:
    """Where a customer's merge chain ends: a live customer's id, or None on a cycle."""
    with unit_of_work(live_api.platform.sessions, read_only=True) as session:
        seen: set[int] = set()
        current = session.get(Customer, customer_id)
        while current is not None and current.merged_into_id is not None:
            if current.id in seen:
                return None
            seen.add(current.id)
            current = session.get(Customer, current.merged_into_id)
        return None if current is None else current.id


def test_given_crossed_merges_at_once_then_one_wins_and_no_customer_disappears(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("supervisor")
    for _round in range(5):
        a, b = _customers(live_api.base, headers, 2)
        responses = at_once(live_api.base, headers, [
            post(f"/api/customers/{a}/merge", {"duplicate_id": b}),
            post(f"/api/customers/{b}/merge", {"duplicate_id": a}),
        ])
        assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
        ends = {_live_end(live_api, a), _live_end(live_api, b)}
        assert len(ends) == 1 and None not in ends
        (survivor,) = ends
        shown = httpx.get(f"{live_api.base}/api/customers/{survivor}", headers=headers).json()
        assert shown["merged_into_id"] is None


def test_given_a_ring_of_merges_at_once_then_every_customer_still_leads_to_a_live_one(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("supervisor")
    for _round in range(3):
        a, b, c = _customers(live_api.base, headers, 3)
        responses = at_once(live_api.base, headers, [
            post(f"/api/customers/{a}/merge", {"duplicate_id": b}),
            post(f"/api/customers/{b}/merge", {"duplicate_id": c}),
            post(f"/api/customers/{c}/merge", {"duplicate_id": a}),
        ])
        codes = sorted(r.status_code for r in responses)
        assert set(codes) <= {200, 409} and 200 in codes and 409 in codes, codes
        ends = {_live_end(live_api, x) for x in (a, b, c)}
        assert len(ends) == 1 and None not in ends, ends


def test_given_merges_into_itself_or_into_a_merged_customer_then_409(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("supervisor")
    a, b, c = _customers(live_api.base, headers, 3)
    def merge(survivor: int, duplicate: int) -> httpx.Response:
        url = f"{live_api.base}/api/customers/{survivor}/merge"
        return httpx.post(url, headers=headers, json={"duplicate_id": duplicate})

    assert merge(a, a).status_code == 409
    assert merge(a, b).status_code == 200
    into_merged = merge(b, c)
    assert into_merged.status_code == 409 and into_merged.json()["error_id"] == "customer-merged"


def test_given_the_same_phone_added_at_once_then_it_is_stored_once_and_nothing_fails(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("agent")
    (customer,) = _customers(live_api.base, headers, 1)
    phone = f"+86139{random.randrange(10**8):08d}"
    responses = at_once(live_api.base, headers, [
        post(f"/api/customers/{customer}/contact-points", {"kind": "phone", "value": phone})
    ] * 30)
    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    with unit_of_work(live_api.platform.sessions, read_only=True) as session:
        rows = session.scalars(select(ContactPoint).where(ContactPoint.customer_id == customer)).all()
    assert [(cp.value, cp.is_primary) for cp in rows] == [(phone, True)]


def test_given_different_phones_added_at_once_then_exactly_one_is_primary(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("agent")
    (customer,) = _customers(live_api.base, headers, 1)
    phones = {f"+86137{random.randrange(10**8):08d}" for _ in range(40)}
    responses = at_once(live_api.base, headers, [
        post(f"/api/customers/{customer}/contact-points", {"kind": "phone", "value": p}) for p in phones
    ])
    assert [r.status_code for r in responses] == [201] * len(phones), [r.text for r in responses]
    with unit_of_work(live_api.platform.sessions, read_only=True) as session:
        rows = session.scalars(select(ContactPoint).where(ContactPoint.customer_id == customer)).all()
    assert {cp.value for cp in rows} == phones
    assert sum(cp.is_primary for cp in rows) == 1


def test_given_the_same_external_id_recorded_at_once_then_one_201_and_the_rest_409(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("agent")
    external_id = f"call-{uuid.uuid4().hex}"
    responses = at_once(live_api.base, headers, [
        post("/api/interactions", {"channel": "phone", "external_id": external_id})
    ] * 30)
    codes = [r.status_code for r in responses]
    others = [r.text for r in responses if r.status_code not in (201, 409)]
    assert codes.count(201) == 1 and codes.count(409) == 29, others


@pytest.fixture
def own_api(fresh_db_url: str) -> Iterator[LiveApi]:
    """The API on a database of this test's own (it counts every admin in it)."""
    settings = load_settings(database_url=fresh_db_url, api={"secret_key": TEST_SECRET})
    platform = build_platform(settings, passwords=Passwords(TEST_HASHER))
    with serve_in_thread(create_app(platform)) as base:
        yield LiveApi(base, platform)
    platform.engine.dispose()


def test_given_two_admins_deactivating_each_other_at_once_then_one_admin_stays(own_api: LiveApi) -> None:
    from tests.fixtures.api import MadeUser, token_for

    sessions = own_api.platform.sessions
    made: list[MadeUser] = []
    with unit_of_work(sessions) as session:
        for name in ("admin_a", "admin_b"):
            data = UserCreate(username=name, display_name=name, role="admin", password="password-123")
            row = create_user(session, data, passwords=Passwords(TEST_HASHER))
            made.append(MadeUser(row.id, row.username, "password-123", "admin", name))
    app: Any = type("App", (), {"state": type("S", (), {"platform": own_api.platform})})

    def deactivate(target: MadeUser, by: MadeUser) -> Call:
        auth = {"Authorization": f"Bearer {token_for(app, by)}"}
        return lambda client: client.delete(f"/api/users/{target.id}", headers=auth)

    a, b = made
    for _round in range(5):
        responses = at_once(own_api.base, {}, [deactivate(b, by=a), deactivate(a, by=b)])
        codes = sorted(r.status_code for r in responses)
        with unit_of_work(sessions) as session:
            active = session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True))).all()
            assert len(active) == 1, (codes, [r.text for r in responses])
            assert codes in ([200, 409], [200, 401]), [r.text for r in responses]
            for each in made:  # both active again for the next round
                update_user(session, each.id, UserUpdate(active=True))
