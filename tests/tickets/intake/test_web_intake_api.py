"""POST /api/intake/web through the real app (auth, error mapping) on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from agent_console.app import create_app
from callcenter.platform import build_platform
from config.settings import Settings, load_settings
from tests.fixtures.api import TEST_HASHER, TEST_SECRET
from tickets.models import ContactPoint, Customer, FollowUpTask, Interaction, Ticket
from tickets.users.passwords import Passwords

KEY = "intake-key-for-tests-0123456789"


@pytest.fixture
def api_settings(db_url: str) -> Settings:
    return load_settings(database_url=db_url, api={"secret_key": TEST_SECRET, "intake_key": KEY})


def mobile() -> str:
    return f"139{random.randrange(10**8):08d}"


def body(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "李娜", "kind": "complaint", "subject": "安装师傅没有按时上门",
        "message": "约好周六上午安装空调，等了一天没人来。",
    }
    base.update(fields)
    return base


def db(client: TestClient) -> Any:
    return client.app.state.platform.sessions()  # type: ignore[attr-defined]


def test_given_the_intake_key_when_a_complaint_is_posted_then_customer_interaction_and_ticket_exist(
    api_client: TestClient,
) -> None:
    phone = mobile()
    resp = api_client.post("/api/intake/web", json=body(phone=f"{phone[:3]} {phone[3:7]} {phone[7:]}"),
                           headers={"X-Intake-Key": KEY})
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["ticket_number"].startswith("CMP-") and out["customer_created"] is True
    with db(api_client) as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == out["ticket_number"])).one()
        assert (ticket.type, ticket.channel, ticket.severity, ticket.team) == ("complaint", "web", "medium",
                                                                               "complaints")
        assert ticket.created_by == "web-intake"
        assert [i.id for i in ticket.interactions] == [out["interaction_id"]]
        interaction = session.get(Interaction, out["interaction_id"])
        assert (interaction.channel, interaction.direction, interaction.address) == ("web", "inbound",
                                                                                     f"+86{phone}")
        customer = session.get(Customer, out["customer_id"])
        assert customer.display_name == "李娜" and customer.phones == [f"+86{phone}"]
        assert customer.preferred_language == "zh"


def test_given_a_contact_request_then_a_callback_ticket_and_a_follow_up_call_are_created(
    api_client: TestClient,
) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    email = f"bob.{uuid.uuid4().hex[:8]}@example.com"
    resp = api_client.post("/api/intake/web", headers={"X-Intake-Key": KEY}, json=body(
        name="Bob Smith", email=email.upper(), kind="contact", subject="Warranty extension",
        message="Please call me about extending the warranty.", callback_at=when.isoformat(),
        callback_window="weekday mornings",
    ))
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["ticket_number"].startswith("INQ-") and out["follow_up_id"] is not None
    with db(api_client) as session:
        ticket = session.scalars(select(Ticket).where(Ticket.id == out["ticket_id"])).one()
        assert ticket.category == "callback" and "Warranty extension" in ticket.subject
        task = session.get(FollowUpTask, out["follow_up_id"])
        assert (task.kind, task.status, task.ticket_id, task.due_at) == ("call", "pending", ticket.id, when)
        assert task.notes == "weekday mornings"
        customer = session.get(Customer, out["customer_id"])
        assert customer.emails == [email] and customer.preferred_language == "en"


def test_given_a_known_email_with_a_new_phone_then_the_customer_is_reused_and_learns_the_phone(
    api_client: TestClient,
) -> None:
    email, phone = f"wang.{uuid.uuid4().hex[:8]}@example.cn", mobile()
    first = api_client.post("/api/intake/web", headers={"X-Intake-Key": KEY},
                            json=body(email=email, kind="inquiry")).json()
    second = api_client.post("/api/intake/web", headers={"X-Intake-Key": KEY},
                             json=body(email=email, phone=phone, kind="repair", subject="冰箱不制冷")).json()
    assert second["customer_id"] == first["customer_id"] and second["customer_created"] is False
    assert second["ticket_number"].startswith("REP-")
    with db(api_client) as session:
        values = session.scalars(
            select(ContactPoint.value).where(ContactPoint.customer_id == first["customer_id"])
        ).all()
        assert sorted(values) == sorted([email, f"+86{phone}"])


def test_given_the_same_reference_twice_then_the_first_result_is_returned(api_client: TestClient) -> None:
    ref = f"form-{uuid.uuid4().hex}"
    payload = body(phone=mobile(), reference=ref)
    first = api_client.post("/api/intake/web", headers={"X-Intake-Key": KEY}, json=payload)
    again = api_client.post("/api/intake/web", headers={"X-Intake-Key": KEY}, json=payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["ticket_number"] == first.json()["ticket_number"]
    assert again.json()["duplicate"] is True
    with db(api_client) as session:
        stored = session.scalars(select(Interaction).where(Interaction.external_id == f"web:{ref}")).all()
        assert len(stored) == 1


def test_a_bearer_token_of_any_role_is_accepted(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    resp = api_client.post("/api/intake/web", headers=auth_headers("agent"), json=body(phone=mobile()))
    assert resp.status_code == 201, resp.text
    with db(api_client) as session:
        ticket = session.get(Ticket, resp.json()["ticket_id"])
        assert ticket.created_by.startswith("agent-")


@pytest.mark.parametrize("headers, message", [
    ({}, "not authenticated"),
    ({"X-Intake-Key": "wrong"}, "invalid X-Intake-Key"),
    ({"Authorization": "Bearer not-a-token"}, ""),
])
def test_without_valid_credentials_then_401(
    api_client: TestClient, headers: dict[str, str], message: str
) -> None:
    resp = api_client.post("/api/intake/web", headers=headers, json=body(phone=mobile()))
    assert resp.status_code == 401
    assert message in resp.json()["message"]


@pytest.mark.parametrize("fields, field", [
    ({"phone": "12345"}, "body.phone"),
    ({"phone": None, "email": "not-an-address"}, "body.email"),
    ({"kind": "praise"}, "body.kind"),
    ({"message": ""}, "body.message"),
    ({"callback_at": "tomorrow"}, "body.callback_at"),
    ({"colour": "red"}, "body.colour"),
])
def test_bad_input_is_422_naming_the_field(
    api_client: TestClient, fields: dict[str, Any], field: str
) -> None:
    payload = body(**{"phone": mobile(), **fields})
    resp = api_client.post("/api/intake/web", headers={"X-Intake-Key": KEY}, json=payload)
    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["details"]["errors"]] == [field]


def test_neither_phone_nor_email_is_422_naming_phone(api_client: TestClient) -> None:
    resp = api_client.post("/api/intake/web", headers={"X-Intake-Key": KEY}, json=body())
    assert resp.status_code == 422
    assert resp.json()["details"] == {"field": "phone"}
    assert resp.json()["error_id"] == "contact-required"


def test_an_empty_intake_key_setting_turns_the_key_off(db_url: str) -> None:
    settings = load_settings(database_url=db_url, api={"secret_key": TEST_SECRET, "intake_key": ""})
    with TestClient(create_app(build_platform(settings, passwords=Passwords(TEST_HASHER)))) as client:
        for key in ("", "anything"):
            resp = client.post("/api/intake/web", headers={"X-Intake-Key": key}, json=body(phone=mobile()))
            assert resp.status_code == 401


def test_the_same_reference_posted_concurrently_is_one_ticket_and_never_a_500(api_client: TestClient) -> None:
    # A double-click or a retried POST from the website backend: the requests race past the check.
    ref = f"form-{uuid.uuid4().hex}"
    payload = body(phone=mobile(), reference=ref)

    def post(_: int) -> Any:
        return api_client.post("/api/intake/web", headers={"X-Intake-Key": KEY}, json=payload)

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(post, range(6)))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201], [r.text for r in responses]
    assert len({r.json()["ticket_number"] for r in responses}) == 1
    with db(api_client) as session:
        stored = session.scalars(select(Interaction).where(Interaction.external_id == f"web:{ref}")).all()
        assert len(stored) == 1
