"""The CRM through the real console app: bearer-token authentication, roles, error mapping.

Data committed here stays in the session's database, so numbers and names are unique per run.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from fastapi.testclient import TestClient


def _mobile() -> str:
    return "139" + "".join(random.choices("0123456789", k=8))


def test_agent_creates_a_customer_and_gets_the_screen_pop(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    agent = auth_headers("agent")
    number = _mobile()
    assert api_client.get(f"/api/record/by-phone/{number}", headers=agent).json()["details"] == {
        "phone": "+86" + number
    }
    created = api_client.post(
        "/api/customers", json={"display_name": "端到端客户", "phones": [number]}, headers=agent
    )
    assert created.status_code == 201, created.text
    pop = api_client.get(f"/api/record/by-phone/{number}", headers=agent)
    assert pop.status_code == 200 and pop.json()["customer"]["id"] == created.json()["id"]
    assert api_client.get(f"/api/record/by-phone/{number}").status_code == 401


def test_only_supervisors_merge(api_client: TestClient, auth_headers: Callable[..., dict[str, str]]) -> None:
    agent, supervisor = auth_headers("agent"), auth_headers("supervisor")
    ids = [
        api_client.post(
            "/api/customers", json={"display_name": name, "phones": [_mobile()]}, headers=agent
        ).json()["id"]
        for name in ("合并甲", "合并乙")
    ]
    path, body = f"/api/customers/{ids[0]}/merge", {"duplicate_id": ids[1]}
    assert api_client.post(path, json=body, headers=agent).status_code == 403
    assert api_client.post(path, json=body, headers=supervisor).status_code == 200
