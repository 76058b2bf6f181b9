"""Hostile input gets a clear 4xx and stores nothing odd: lone surrogates, deep nesting, extreme
token times, control characters and bidi overrides, impossible durations, vanity phone numbers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.fixtures.api import TEST_SECRET, MadeUser
from tickets.interactions.service import answer_call, start_call
from tickets.text import check_text, clean_text

Headers = Callable[..., dict[str, str]]


def _customer(api_client: TestClient, headers: dict[str, str]) -> int:
    r = api_client.post("/api/customers", headers=headers, json={"display_name": "敌意 probe"})
    assert r.status_code == 201, r.text
    customer_id: int = r.json()["id"]
    return customer_id


@pytest.mark.parametrize("path,body", [
    ("/api/customers", '{"display_name": "\\ud800"}'),
    ("/api/users", '{"username": "x\\udfff", "display_name": "\\ud800", "password": "long-enough-1"}'),
    ("/api/auth/token", '{"username": "\\ud800", "password": "\\udc00"}'),
])
def test_a_lone_surrogate_is_422_with_a_json_body(api_client: TestClient, auth_headers: Headers, path: str,
                                                   body: str) -> None:
    r = api_client.post(path, content=body.encode(), headers={**auth_headers("admin"),
                                                              "content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert json.loads(r.content)["error_id"] == "validation-failed"


def test_a_deeply_nested_login_body_is_4xx_not_a_recursion_error(api_client: TestClient) -> None:
    for deep in (b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000):
        r = api_client.post("/api/auth/token", content=deep, headers={"content-type": "application/json"})
        assert 400 <= r.status_code < 500, r.text


@pytest.mark.parametrize("iat,exp", [(-1e15, 2e9), (1e300, 2e9), (-1e300, 2e9), (1.7e9, 1e300),
                                     (True, 2e9), ("1700000000", 2e9), (1.7e9, "never")])
def test_a_signed_token_with_impossible_times_is_401(
    api_client: TestClient, make_user: Callable[..., MadeUser], iat: Any, exp: Any
) -> None:
    user = make_user("agent")
    token = jwt.encode({"sub": user.username, "role": "agent", "typ": "access", "iat": iat, "exp": exp},
                       TEST_SECRET, algorithm="HS256")
    r = api_client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.text


HOSTILE = [
    "NUL\x00byte", "red \x1b[31malert\x1b[0m", "evil\u202egnp.exe", "iso\u2066late", "c1\x85mid", "bs\x08",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_control_characters_and_bidi_overrides_are_refused_in_every_human_readable_field(
    api_client: TestClient, auth_headers: Headers, text: str
) -> None:
    headers = auth_headers("supervisor")
    customer = _customer(api_client, headers)
    r = api_client.post("/api/tickets", headers=headers, json={"type": "inquiry", "customer_id": customer,
                                                               "subject": "ok"})
    ticket = r.json()["id"]
    attempts = [
        ("POST", "/api/customers", {"display_name": text}),
        ("POST", "/api/customers", {"display_name": "ok", "company": text}),
        ("POST", "/api/customers", {"display_name": "ok", "tags": [text]}),
        ("POST", "/api/customers", {"display_name": "ok", "notes": text}),
        ("PATCH", f"/api/customers/{customer}", {"display_name": text}),
        ("POST", f"/api/customers/{customer}/assets", {"product": text}),
        ("POST", "/api/tickets", {"type": "inquiry", "customer_id": customer, "subject": text}),
        ("PATCH", f"/api/tickets/{ticket}", {"description": text}),
        ("POST", f"/api/tickets/{ticket}/comments", {"body": text}),
        ("POST", "/api/interactions", {"channel": "web", "subject": text}),
        ("POST", "/api/users", {"username": "hostile", "display_name": text, "password": "long-enough-1"}),
    ]
    admin = auth_headers("admin")
    for method, path, body in attempts:
        r = api_client.request(method, path, json=body, headers=admin if path == "/api/users" else headers)
        assert r.status_code == 422, (method, path, body, r.status_code, r.text)


def test_line_breaks_stay_allowed_where_text_has_lines(api_client: TestClient, auth_headers: Headers) -> None:
    headers = auth_headers("agent")
    r = api_client.post("/api/customers", headers=headers,
                        json={"display_name": "עברית\u200f שלום", "notes": "line 1\nline 2\ttabbed"})
    assert r.status_code == 201, r.text
    assert r.json()["notes"] == "line 1\nline 2\ttabbed"
    r = api_client.post("/api/customers", headers=headers, json={"display_name": "two\nlines"})
    assert r.status_code == 422


def test_a_call_longer_than_a_day_is_refused(api_client: TestClient, auth_headers: Headers) -> None:
    headers = auth_headers("agent")
    r = api_client.post("/api/interactions", headers=headers, json={
        "channel": "phone", "started_at": "0001-01-01T00:00:00Z", "answered_at": "9999-12-31T23:59:59Z"})
    assert r.status_code == 422 and "answered_at" in r.text
    r = api_client.post("/api/interactions", headers=headers,
                        json={"channel": "phone", "wait_seconds": 10**11})
    assert r.status_code == 422


def test_a_pbx_clock_jump_stores_no_absurd_wait(db_session: Session) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    start_call(db_session, external_id="clock-jump-1", number="13800138000", direction="inbound",
               started_at=start)
    call = answer_call(db_session, external_id="clock-jump-1", answered_at=start + timedelta(days=3650))
    assert call.wait_seconds is None


@pytest.mark.parametrize("phone", ["1-800-FLOWERS", "+86 10 6552 9988 ext. 123", "+86 10 6552 9988 x123",
                                   "+861065529988;ext=5"])
def test_phone_numbers_with_letters_or_extensions_are_refused_not_converted(
    api_client: TestClient, auth_headers: Headers, phone: str
) -> None:
    headers = auth_headers("agent")
    r = api_client.post("/api/customers", headers=headers, json={"display_name": "vanity", "phones": [phone]})
    assert r.status_code == 422, r.text
    r = api_client.get("/api/customers/lookup", headers=headers, params={"phone": phone})
    assert r.status_code == 422


def test_a_caller_id_with_letters_is_kept_as_given_and_identifies_nobody(db_session: Session) -> None:
    call = start_call(db_session, external_id="vanity-1", number="1800FLOWERS", direction="inbound",
                      started_at=datetime(2026, 11, 1, tzinfo=UTC))
    assert (call.address, call.customer_id) == ("1800FLOWERS", None)


@given(st.text())
def test_clean_text_always_passes_the_check_and_the_check_never_changes_text(text: str) -> None:
    assert check_text(clean_text(text), multiline=True) == clean_text(text)
    try:
        assert check_text(text) == text
    except ValueError:
        assert clean_text(text, multiline=False) != text
