"""The CRM routers over HTTP (a bare app with the tickets router; see conftest.crm_client)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.tickets.conftest import ADMIN, AGENT, SUPERVISOR, CrmClient
from tickets.actors import SYSTEM


def _unique() -> str:
    return datetime.now(UTC).strftime("%H%M%S%f")


def _create(client: CrmClient, **body: object) -> dict[str, Any]:
    response = client.post("/api/customers", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_get_update_a_customer(crm_client: CrmClient) -> None:
    created = _create(
        crm_client,
        display_name="欧阳娜娜",
        phones=["+86 138-0013-8000"],
        emails=["Nana@Example.com"],
        tier="gold",
    )
    assert created["display_name"] == "欧阳娜娜" and created["tier"] == "gold"
    assert [(c["kind"], c["value"]) for c in created["contact_points"]] == [
        ("phone", "+8613800138000"),
        ("email", "nana@example.com"),
    ]
    got = crm_client.get(f"/api/customers/{created['id']}")
    assert got.status_code == 200 and got.json()["id"] == created["id"]
    patched = crm_client.patch(
        f"/api/customers/{created['id']}", json={"company": "娜娜文化", "tags": ["明星"]}
    )
    assert patched.status_code == 200 and (patched.json()["company"], patched.json()["tags"]) == (
        "娜娜文化",
        ["明星"],
    )


def test_validation_errors_are_422_naming_the_field(crm_client: CrmClient) -> None:
    bad_phone = crm_client.post("/api/customers", json={"display_name": "X", "phones": ["13800138000", "12"]})
    assert bad_phone.status_code == 422
    assert "phones" in bad_phone.text and "phones[1]" in bad_phone.text
    missing = crm_client.post("/api/customers", json={"phones": []})
    assert missing.status_code == 422 and "display_name" in missing.text
    bad_tier = crm_client.patch("/api/customers/1", json={"tier": "platinum"})
    assert bad_tier.status_code == 422 and "tier" in bad_tier.text
    bad_lookup = crm_client.get("/api/customers/lookup", params={"phone": "abc"})
    assert bad_lookup.status_code == 422 and bad_lookup.json()["details"]["field"] == "phone"
    # JSON has no infinity: 1e400 parses as one, would be stored and read back as null.
    json_type = {"content-type": "application/json"}
    for score in ("1e400", '"inf"', '"NaN"'):
        body = '{"display_name": "X", "value_score": ' + score + "}"
        infinite = crm_client.post("/api/customers", content=body, headers=json_type)
        assert infinite.status_code == 422 and "body.value_score" in infinite.text, infinite.text
    huge = crm_client.post("/api/customers", json={"display_name": "王" * 100_000})
    assert huge.status_code == 422 and "body.display_name" in huge.text
    assert len(huge.content) < 5_000  # the refused input is not echoed back whole


def test_unknown_customer_is_404_with_an_error_id(crm_client: CrmClient) -> None:
    response = crm_client.get("/api/customers/99999999")
    assert response.status_code == 404 and response.json()["error_id"] == "customer-not-found"


def test_lookup_by_phone(crm_client: CrmClient) -> None:
    created = _create(crm_client, display_name="Lookup Me", phones=["13812341234"])
    found = crm_client.get("/api/customers/lookup", params={"phone": "0086 138 1234 1234"})
    assert found.status_code == 200 and [c["id"] for c in found.json()] == [created["id"]]
    missing = crm_client.get("/api/customers/lookup", params={"phone": "13812340000"})
    assert missing.status_code == 404
    assert missing.json()["error_id"] == "customer-not-found"
    assert missing.json()["details"] == {"phone": "+8613812340000"}


def test_search_with_pagination(crm_client: CrmClient) -> None:
    tag = "api-" + _unique()
    for name in ("王小明", "王小红", "李小龙"):
        _create(crm_client, display_name=name, tags=[tag])
    page = crm_client.get("/api/customers", params={"q": "王小", "tag": tag, "limit": 1, "offset": 1})
    assert page.status_code == 200
    body = page.json()
    assert (body["total"], body["limit"], body["offset"]) == (2, 1, 1)
    assert [c["display_name"] for c in body["items"]] == ["王小红"]
    assert crm_client.get("/api/customers", params={"limit": 0}).status_code == 422


def test_merging_needs_a_supervisor(crm_client: CrmClient) -> None:
    survivor = _create(crm_client, display_name="Keep Me", phones=["13955550001"])
    duplicate = _create(crm_client, display_name="Keep Me 2", phones=["13955550002"])
    refused = crm_client.post(
        f"/api/customers/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]}
    )
    assert refused.status_code == 403 and refused.json()["error_id"] == "forbidden"

    crm_client.act_as(SUPERVISOR)
    merged = crm_client.post(f"/api/customers/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]})
    assert merged.status_code == 200, merged.text
    assert {c["value"] for c in merged.json()["contact_points"]} == {"+8613955550001", "+8613955550002"}
    dup = crm_client.get(f"/api/customers/{duplicate['id']}").json()
    assert dup["merged_into_id"] == survivor["id"] and dup["merged_by"] == SUPERVISOR.username

    crm_client.act_as(ADMIN)
    again = crm_client.post(f"/api/customers/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]})
    assert again.status_code == 409 and again.json()["error_id"] == "customer-merged"


def test_contact_points_endpoints(crm_client: CrmClient) -> None:
    customer = _create(crm_client, display_name="Contacts", phones=["13955550003"])
    added = crm_client.post(
        f"/api/customers/{customer['id']}/contact-points",
        json={"kind": "phone", "value": "010 6552 9988", "label": "office"},
    )
    assert added.status_code == 201 and added.json()["value"] == "+861065529988"
    bad = crm_client.post(
        f"/api/customers/{customer['id']}/contact-points", json={"kind": "email", "value": "nope"}
    )
    assert bad.status_code == 422 and "value" in bad.text
    gone = crm_client.delete(f"/api/customers/{customer['id']}/contact-points/{added.json()['id']}")
    assert gone.status_code == 204
    assert len(crm_client.get(f"/api/customers/{customer['id']}").json()["contact_points"]) == 1


def test_assets_crud(crm_client: CrmClient) -> None:
    customer = _create(crm_client, display_name="Asset Owner")
    base = f"/api/customers/{customer['id']}/assets"
    created = crm_client.post(
        base,
        json={
            "product": "空调",
            "model": "KFR-35GW",
            "serial_number": "AC123",
            "purchase_date": "2024-06-01",
            "purchase_amount": "2599.00",
            "warranty_end": "2030-06-01",
        },
    )
    assert created.status_code == 201, created.text
    asset = created.json()
    assert asset["under_warranty"] is True and asset["purchase_amount"] == "2599.00"
    assert [a["id"] for a in crm_client.get(base).json()] == [asset["id"]]
    patched = crm_client.patch(f"{base}/{asset['id']}", json={"address": "广州市天河区"})
    assert patched.status_code == 200 and patched.json()["address"] == "广州市天河区"
    bad = crm_client.post(
        base, json={"product": "x", "purchase_date": "2024-01-02", "warranty_end": "2023-01-01"}
    )
    assert bad.status_code == 422 and "warranty_end" in bad.text
    assert crm_client.delete(f"{base}/{asset['id']}").status_code == 204
    assert crm_client.get(f"{base}/{asset['id']}").json()["error_id"] == "asset-not-found"


def test_interactions_create_list_update(crm_client: CrmClient) -> None:
    customer = _create(crm_client, display_name="Caller", phones=["13955550004"])
    made = crm_client.post(
        "/api/interactions",
        json={"channel": "phone", "address": "139 5555 0004", "started_at": "2026-11-01T10:00:00+08:00"},
    )
    assert made.status_code == 201, made.text
    interaction = made.json()
    assert interaction["customer_id"] == customer["id"]
    assert interaction["started_at"].startswith("2026-11-01T02:00:00")
    naive = crm_client.post("/api/interactions", json={"channel": "web", "started_at": "2026-11-01T10:00:00"})
    assert naive.status_code == 422 and "started_at" in naive.text
    patched = crm_client.patch(f"/api/interactions/{interaction['id']}", json={"disposition": "sale"})
    assert patched.status_code == 200 and patched.json()["disposition"] == "sale"
    for system_field in ({"survey_score": 4}, {"agent": "agent007"}):  # the system writes these
        refused = crm_client.patch(f"/api/interactions/{interaction['id']}", json=system_field)
        assert refused.status_code == 403 and refused.json()["error_id"] == "system-field"
    own = crm_client.post("/api/interactions", json={"channel": "web", "agent": "agent007"})
    assert own.status_code == 201  # a person's own contact may name them
    other = crm_client.post("/api/interactions", json={"channel": "web", "agent": "agent_x"})
    scored = crm_client.post("/api/interactions", json={"channel": "web", "survey_score": 5})
    assert other.status_code == scored.status_code == 403
    assert (
        crm_client.patch(f"/api/interactions/{interaction['id']}", json={"survey_score": 9}).status_code
        == 422
    )
    listed = crm_client.get(f"/api/customers/{customer['id']}/interactions").json()
    assert listed["total"] == 1 and listed["items"][0]["disposition"] == "sale"


def test_the_unified_record_by_phone_and_by_id(crm_client: CrmClient) -> None:
    customer = _create(crm_client, display_name="屏幕弹出", phones=["13955550005"], tier="vip")
    for i in range(3):
        crm_client.post(
            "/api/interactions",
            json={
                "channel": "email",
                "customer_id": customer["id"],
                "started_at": f"2026-11-0{i + 1}T00:00:00Z",
            },
        )
    crm_client.act_as(SYSTEM)  # the telephony records who answered
    crm_client.post(
        "/api/interactions",
        json={
            "channel": "phone",
            "customer_id": customer["id"],
            "agent": "1007",
            "started_at": "2026-10-01T00:00:00Z",
        },
    )
    crm_client.act_as(AGENT)
    by_phone = crm_client.get("/api/record/by-phone/+86 139 5555 0005", params={"n": 2})
    assert by_phone.status_code == 200, by_phone.text
    record = by_phone.json()
    assert record["customer"]["tier"] == "vip" and record["matched_phone"] == "+8613955550005"
    assert [i["started_at"][:10] for i in record["interactions"]] == ["2026-11-03", "2026-11-02"]
    assert record["last_agent"]["agent"] == "1007"
    assert record["open_tickets"] == [] and record["follow_ups"] == [] and record["assets"] == []

    by_id = crm_client.get(f"/api/customers/{customer['id']}/record")
    assert by_id.status_code == 200 and len(by_id.json()["interactions"]) == 4

    unknown = crm_client.get("/api/record/by-phone/13955559999")
    assert unknown.status_code == 404
    assert unknown.json()["error_id"] == "customer-not-found"
    assert unknown.json()["details"]["phone"] == "+8613955559999"
    assert crm_client.get(f"/api/customers/{customer['id']}/record", params={"n": 1000}).status_code == 422


def test_every_endpoint_needs_an_actor(crm_client: CrmClient) -> None:
    crm_client.act_as(None)
    for path in (
        "/api/customers",
        "/api/customers/lookup?phone=13800138000",
        "/api/record/by-phone/13800138000",
    ):
        assert crm_client.get(path).status_code == 401
    crm_client.act_as(AGENT)
    assert crm_client.get("/api/customers").status_code == 200


def test_an_interaction_whose_times_run_backwards_is_422_naming_the_field(crm_client: CrmClient) -> None:
    call = {"channel": "phone", "address": "13800138000", "started_at": "2026-01-01T10:00:00+08:00"}
    early = {**call, "answered_at": "2026-01-01T01:59:00Z"}
    answered_first = crm_client.post("/api/interactions", json=early)
    assert answered_first.status_code == 422, answered_first.text
    assert answered_first.json()["details"]["errors"][0]["field"] == "body.answered_at"
    ended_first = crm_client.post(
        "/api/interactions",
        json={**call, "answered_at": "2026-01-01T02:00:05Z", "ended_at": "2026-01-01T10:00:04+08:00"},
    )
    assert ended_first.status_code == 422
    assert ended_first.json()["details"]["errors"][0]["field"] == "body.ended_at"
    # the same instants written in other zones are in order
    fine = crm_client.post(
        "/api/interactions",
        json={**call, "answered_at": "2026-01-01T02:00:05Z", "ended_at": "2026-01-01T11:01:05+09:00"},
    )
    assert fine.status_code == 201, fine.text
    assert (fine.json()["wait_seconds"], fine.json()["talk_seconds"]) == (5, 60)
