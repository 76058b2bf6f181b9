"""Values the database cannot store (an id past its integer range, a NUL character) are 422, not 500."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

HUGE = "99999999999999999999"  # past int64 (SQLite) and int4 (PostgreSQL)


def test_an_id_too_large_for_the_database_is_422_naming_the_parameter(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("agent")
    for path, field in (
        (f"/api/customers/{HUGE}/record", "path.customer_id"),
        (f"/api/tickets/{HUGE}", "path.ref"),
        (f"/api/tickets?customer_id={HUGE}", "query.customer_id"),
    ):
        response = api_client.get(path, headers=headers)
        assert response.status_code == 422, (path, response.text)
        body = response.json()
        assert (body["error_id"], body["details"]["field"]) == ("invalid-value", field), path


def test_an_id_past_int4_is_404_or_422_by_backend(
    db_url: str, api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    response = api_client.get("/api/customers/3000000000", headers=auth_headers("agent"))
    # SQLite's INTEGER is 64-bit (no such customer); PostgreSQL's is 32-bit (a value it cannot hold).
    assert response.status_code == (404 if db_url.startswith("sqlite") else 422), response.text


def test_a_huge_id_in_a_body_is_422(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    response = api_client.post(
        "/api/tickets", headers=auth_headers("agent"),
        json={"type": "inquiry", "customer_id": int(HUGE), "subject": "x"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error_id"] in ("invalid-value", "invalid-input")


def test_a_nul_character_never_ends_in_500(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("agent")
    created = api_client.post("/api/customers", headers=headers, json={"display_name": "王\u0000五"})
    assert created.status_code in (201, 422), created.text  # SQLite stores it, PostgreSQL cannot
    search = api_client.get("/api/customers", headers=headers, params={"q": "a\x00b"})
    assert search.status_code in (200, 422), search.text
    if search.status_code == 422:
        assert search.json()["details"]["field"] == "query.q"
