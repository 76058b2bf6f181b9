"""Concurrent writes over real HTTP (uvicorn), on SQLite and PostgreSQL: no "database is locked"
500s, no lost updates — exactly one of competing changes wins, the others get 409 with the current
state — and the audit chain stays unbroken."""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from tests.agent_console.conftest import LiveApi
from tests.agent_console.live_server import Call, at_once, post
from tests.fixtures.api import MadeUser
from tickets.db import unit_of_work
from tickets.models import FollowUpTask, TicketChange, utcnow


def _customer(base: str, headers: dict[str, str]) -> int:
    r = httpx.post(f"{base}/api/customers", headers=headers, json={"display_name": "并发 客户"}, timeout=10)
    assert r.status_code == 201, r.text
    customer_id: int = r.json()["id"]
    return customer_id


def _ticket_of(base: str, headers: dict[str, str], assignee: str) -> dict[str, Any]:
    customer_id = _customer(base, headers)
    r = httpx.post(f"{base}/api/tickets", headers=headers, timeout=10, json={
        "type": "inquiry", "customer_id": customer_id, "subject": "并发 ticket", "assignee": assignee})
    assert r.status_code == 201, r.text
    ticket: dict[str, Any] = r.json()
    return ticket


def _status_chain(live_api: LiveApi, ticket_id: int) -> list[tuple[str | None, str | None]]:
    with unit_of_work(live_api.platform.sessions, read_only=True) as session:
        rows = session.execute(
            select(TicketChange.old_value, TicketChange.new_value)
            .where(TicketChange.ticket_id == ticket_id, TicketChange.field == "status")
            .order_by(TicketChange.id)
        )
        return [(old, new) for old, new in rows]


def test_given_many_concurrent_creates_then_each_is_stored_and_none_fails(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("agent")
    tag = uuid.uuid4().hex[:8]
    calls = [
        post("/api/customers", {"display_name": f"并发 {tag} {i}",
                                 "phones": [f"+86138{random.randrange(10**8):08d}"]})
        for i in range(60)
    ]
    responses = at_once(live_api.base, headers, calls)
    failed = [r.text for r in responses if r.status_code != 201]
    assert not failed, failed
    found = httpx.get(f"{live_api.base}/api/customers", headers=headers,
                      params={"q": tag, "limit": 100}).json()
    assert found["total"] == 60


def test_given_competing_identical_transitions_then_exactly_one_wins_and_is_audited_once(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]], make_user: Callable[..., MadeUser]
) -> None:
    agent = make_user("agent")
    mine = auth_headers(user=agent)
    ticket = _ticket_of(live_api.base, auth_headers("supervisor"), agent.username)
    assert ticket["status"] == "assigned"
    calls: list[Call] = [
        lambda c: c.post(f"/api/tickets/{ticket['id']}/transitions", json={"to": "in_progress"})
    ] * 40
    responses = at_once(live_api.base, mine, calls)
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 1 and codes.count(409) == 39, codes
    refused = next(r.json() for r in responses if r.status_code == 409)
    assert refused["details"]["current"]["status"] == "in_progress"
    assert _status_chain(live_api, ticket["id"]) == [("assigned", "in_progress")]


def test_given_competing_mixed_transitions_then_the_audit_chain_is_unbroken(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]], make_user: Callable[..., MadeUser]
) -> None:
    agent = make_user("agent")
    ticket = _ticket_of(live_api.base, auth_headers("supervisor"), agent.username)
    targets = ["in_progress", "pending_customer", "assigned", "in_progress", "pending_customer"] * 8
    url = f"/api/tickets/{ticket['id']}/transitions"
    calls = [post(url, {"to": to}) for to in targets]
    responses = at_once(live_api.base, auth_headers(user=agent), calls)
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses]
    chain = _status_chain(live_api, ticket["id"])
    assert len(chain) == [r.status_code for r in responses].count(200)
    assert chain[0][0] == "assigned"
    assert all(prev[1] == row[0] for prev, row in itertools.pairwise(chain)), chain
    final = httpx.get(f"{live_api.base}/api/tickets/{ticket['id']}", headers=auth_headers(user=agent)).json()
    assert final["status"] == chain[-1][1]
    assert final["version"] == ticket["version"] + len(chain)


def test_given_competing_follow_up_completions_then_exactly_one_wins(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("agent")
    customer_id = _customer(live_api.base, headers)
    with unit_of_work(live_api.platform.sessions) as session:
        task = FollowUpTask(customer_id=customer_id, due_at=utcnow() - timedelta(hours=1), status="pending")
        session.add(task)
        session.flush()
        task_id = task.id
    calls = [post(f"/api/follow-ups/{task_id}/complete", {"outcome": f"call {i}"}) for i in range(30)]
    responses = at_once(live_api.base, headers, calls)
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 1 and codes.count(409) == 29, codes
    assert all(r.json()["details"]["current"]["status"] == "done" for r in responses if r.status_code == 409)


def test_given_two_edits_from_the_same_version_then_the_second_is_409_with_the_current_state(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]], make_user: Callable[..., MadeUser]
) -> None:
    agent = make_user("agent")
    headers = auth_headers(user=agent)
    ticket = _ticket_of(live_api.base, auth_headers("supervisor"), agent.username)
    url = f"{live_api.base}/api/tickets/{ticket['id']}"
    first = httpx.patch(url, headers=headers, json={"subject": "first", "version": ticket["version"]})
    assert first.status_code == 200 and first.json()["version"] == ticket["version"] + 1
    second = httpx.patch(url, headers=headers, json={"subject": "second", "version": ticket["version"]})
    assert second.status_code == 409
    body = second.json()
    assert body["error_id"] == "version-conflict"
    assert body["details"]["current"]["subject"] == "first"
    assert body["details"]["version"] == ticket["version"] + 1
