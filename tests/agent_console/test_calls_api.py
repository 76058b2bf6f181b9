"""``/api/calls``: the history of phone interactions (filters, pages) and the live calls of the
call tracker, the latter with a real call through the bundled PBX."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient

from agent_console.app import create_app
from callcenter.platform import build_platform
from config.settings import load_settings
from telephony.ami import AmiClient
from telephony.pbx.simulate import caller_originate
from tests.fixtures.api import TEST_HASHER, TEST_SECRET, MadeUser, token_for
from tickets.db import unit_of_work
from tickets.interactions.schemas import InteractionCreate
from tickets.interactions.service import create_interaction
from tickets.users.passwords import Passwords
from tickets.users.schemas import UserCreate
from tickets.users.service import create_user

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def record(client: TestClient, queue: str, agent: str | None, started: datetime,
           channel: str = "phone") -> None:
    platform: Any = client.app.state.platform  # type: ignore[attr-defined]
    with unit_of_work(platform.sessions) as session:
        create_interaction(session, data=InteractionCreate(
            channel=channel, address="+8613800138000" if channel == "phone" else "a@example.com",
            external_id=f"h-{uuid.uuid4().hex}", started_at=started, queue=queue, agent=agent))


def test_the_call_history_filters_by_period_agent_and_queue_newest_first_in_pages(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    queue = f"q-{uuid.uuid4().hex[:8]}"
    record(api_client, queue, "agent_a", T0)
    record(api_client, queue, "agent_a", T0 + timedelta(hours=1))
    record(api_client, queue, "agent_b", T0 + timedelta(hours=2))
    record(api_client, queue, "agent_a", T0 + timedelta(hours=3), channel="email")  # not a call

    def history(**params: Any) -> Any:
        answer = api_client.get("/api/calls/history", headers=auth_headers("agent"),
                                params={"queue": queue, **params})
        assert answer.status_code == 200, answer.text
        return answer.json()

    every = history()
    assert every["total"] == 3
    assert [i["agent"] for i in every["items"]] == ["agent_b", "agent_a", "agent_a"]
    assert history(agent="agent_a")["total"] == 2
    assert history(since=(T0 + timedelta(minutes=30)).isoformat())["total"] == 2
    window = history(since=(T0 + timedelta(minutes=30)).isoformat(),
                     until=(T0 + timedelta(hours=2)).isoformat())
    assert [i["started_at"][:13] for i in window["items"]] == ["2026-11-30T10"]
    page = history(limit=1, offset=1)
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (3, 1, 1, 1)
    assert page["items"][0]["started_at"][:13] == "2026-11-30T10"
    assert api_client.get("/api/calls/history", headers=auth_headers("agent"),
                          params={"limit": 0}).status_code == 422


def test_without_an_ami_link_the_live_calls_are_503_telephony_unavailable(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    answer = api_client.get("/api/calls/live", headers=auth_headers("supervisor"))
    assert (answer.status_code, answer.json()["error_id"]) == (503, "telephony-unavailable")


async def test_a_live_call_on_the_pbx_is_listed_with_its_parties_and_legs_for_supervisors_and_its_agent(
    pbx: Any, fresh_db_url: str
) -> None:
    settings = load_settings(database_url=fresh_db_url, ami=pbx.settings.ami.model_dump(),
                             agi=pbx.settings.agi.model_dump(), api={"secret_key": TEST_SECRET})
    platform = build_platform(settings, ami=True, passwords=Passwords(TEST_HASHER))
    app = create_app(platform)

    def user(role: str, extension: str | None = None) -> MadeUser:
        data = UserCreate(username=f"{role}-{uuid.uuid4().hex[:8]}", display_name="测试", role=role,
                          password="correct-horse-battery", extension=extension)
        with unit_of_work(platform.sessions) as session:
            made = create_user(session, data, passwords=platform.passwords)
            return MadeUser(made.id, made.username, data.password, made.role, made.display_name)

    sup = user("supervisor")
    number = f"139{uuid.uuid4().int % 10**8:08d}"
    extension = f"18{uuid.uuid4().int % 1000:03d}"  # a simulated phone that answers
    async with app.router.lifespan_context(app):
        assert platform.telephony is not None
        ami: AmiClient = platform.telephony.ami
        await ami.wait_connected(timeout=15)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            def headers(made: MadeUser) -> dict[str, str]:
                return {"Authorization": f"Bearer {token_for(app, made)}"}

            # the caller dials the agent's phone directly (sim-call): no IVR or ACD in between
            action = caller_originate(extension, number=number, name="张三丰", delay=0.5, talk=8,
                                      context="sim-call")
            sent = await ami.send_action(action.pop("Action"), action)
            assert sent.response.get("Response") == "Success", sent.response

            deadline = time.monotonic() + 30
            call: dict[str, Any] | None = None
            while call is None:
                assert time.monotonic() < deadline, "the call never showed up talking to an agent"
                answer = await client.get("/api/calls/live", headers=headers(sup))
                assert answer.status_code == 200, answer.text
                for item in answer.json():
                    if item["caller"]["number"] == number and item["legs"] and any(
                            p["agent_extension"] for p in item["parties"]):
                        call = item
                if call is None:
                    await asyncio.sleep(0.2)
            assert call["caller"]["name"] == "张三丰" and call["answered"] is True
            assert call["legs"][0]["end"] is None and call["legs"][0]["start"] is not None
            assert extension in [p["agent_extension"] for p in call["parties"]]
            assert not {"Uniqueid", "Linkedid", "Channel", "CallerIDNum"} & set(call["caller"])

            mine = user("agent", extension)  # the agent whose phone took it sees it, another agent not
            other = user("agent")
            seen = (await client.get("/api/calls/live", headers=headers(mine))).json()
            assert call["call_id"] in [c["call_id"] for c in seen]
            unseen = (await client.get("/api/calls/live", headers=headers(other))).json()
            assert call["call_id"] not in [c["call_id"] for c in unseen]
