"""``GET /api/ivr/analytics``: per flow and node over the IVR paths stored in the customer record."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from callcenter.adapters.ivr_record import RecordPorts
from ivr.path import IvrPath, PathStep

NOW = datetime.now(UTC).replace(microsecond=0)


def step(node: str, event: str, at: datetime, digits: str | None = None) -> PathStep:
    return PathStep(node=node, type="menu", event=event, digits=digits, at=at)


def path(flow: str, started: datetime, outcome: str, *steps: tuple[str, str, str | None]) -> IvrPath:
    return IvrPath(call_id=f"ivr-{uuid.uuid4().hex}", flow=flow, caller="13800138000", did="4000",
                   started_at=started, ended_at=started + timedelta(seconds=30), outcome=outcome,
                   steps=[step(node, event, started, digits) for node, event, digits in steps])


def store(client: TestClient, *paths: IvrPath) -> None:
    platform: Any = client.app.state.platform  # type: ignore[attr-defined]
    record = RecordPorts(platform.sessions, platform.workflow_rules)

    async def save() -> None:
        for item in paths:
            await record.save(item)

    asyncio.run(save())


def test_a_supervisor_gets_each_flows_calls_outcomes_and_nodes_in_the_period(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    flow = f"main-{uuid.uuid4().hex[:8]}"
    store(api_client,
          path(flow, NOW - timedelta(hours=1), "route",
               ("welcome", "entered", None), ("welcome", "option", "1"), ("billing", "entered", None)),
          path(flow, NOW - timedelta(minutes=5), "caller_hangup",
               ("welcome", "entered", None), ("welcome", "timeout", None), ("welcome", "invalid", "9"),
               ("welcome", "hangup", None)),
          path(flow, NOW - timedelta(days=3), "route", ("welcome", "entered", None)))  # before the period
    answer = api_client.get("/api/ivr/analytics", headers=auth_headers("supervisor"), params={
        "flow": flow, "since": (NOW - timedelta(days=1)).isoformat(), "until": NOW.isoformat()})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["flow"] == flow
    [stats] = body["flows"]
    assert (stats["flow"], stats["calls"], stats["outcomes"]) == (flow, 2, {"caller_hangup": 1, "route": 1})
    welcome = stats["nodes"]["welcome"]
    assert (welcome["entered"], welcome["options"], welcome["timeouts"]) == (2, {"1": 1}, 1)
    assert (welcome["invalid"], welcome["hangups"]) == (1, 1)
    assert stats["nodes"]["billing"]["entered"] == 1
    wider = api_client.get("/api/ivr/analytics", headers=auth_headers("supervisor"),
                           params={"flow": flow, "since": (NOW - timedelta(days=7)).isoformat()})
    assert wider.json()["flows"][0]["calls"] == 3  # until: now
    recent = api_client.get("/api/ivr/analytics", headers=auth_headers("supervisor"), params={"flow": flow})
    assert recent.json()["flows"][0]["calls"] == 2  # default: the last 24 hours


def test_an_agent_is_refused_the_ivr_analytics(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    answer = api_client.get("/api/ivr/analytics", headers=auth_headers("agent"))
    assert (answer.status_code, answer.json()["error_id"]) == (403, "insufficient-role")


def test_a_period_that_ends_before_it_starts_is_refused(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    backwards = {"since": NOW.isoformat(), "until": (NOW - timedelta(hours=1)).isoformat()}
    answer = api_client.get("/api/ivr/analytics", headers=auth_headers("supervisor"), params=backwards)
    assert (answer.status_code, answer.json()["error_id"]) == (422, "invalid-period")
    garbage = api_client.get("/api/ivr/analytics", headers=auth_headers("supervisor"),
                             params={"since": "soon"})
    assert (garbage.status_code, garbage.json()["error_id"]) == (422, "validation-failed")
