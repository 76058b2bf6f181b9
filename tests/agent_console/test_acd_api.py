"""``/api/acd``: queues with real-time statistics, agents and their state changes, run-time queue
changes, role refusals; over a real RoutingService (core, engine, MemoryStore) with fake phones."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from routing.domain import AgentState, CallAttributes
from routing.events import CallEnded
from tests.agent_console.acd_fixtures import AcdApi, acd_api

__all__ = ["acd_api"]


def wait_until(check: Callable[[], bool], what: str, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def post(api: AcdApi, path: str, user: Any, json: Any = None) -> Any:
    return api.client.post(f"/api/acd{path}", headers=api.headers(user), json=json)


def get(api: AcdApi, path: str, user: Any) -> Any:
    return api.client.get(f"/api/acd{path}", headers=api.headers(user))


def test_an_agent_logs_in_pauses_with_a_reason_unpauses_and_logs_out_through_me(acd_api: AcdApi) -> None:
    alice = acd_api.alice
    answer = post(acd_api, "/agents/me/login", alice)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["agent_id"], answer.json()["state"]) == (alice.username, "available")
    paused = post(acd_api, "/agents/me/pause", alice, {"reason": "lunch"}).json()
    assert (paused["state"], paused["reason"]) == ("paused", "lunch")
    assert post(acd_api, "/agents/me/unpause", alice).json()["state"] == "available"
    assert post(acd_api, "/agents/me/pause", alice).json()["reason"] == "break"  # the default
    assert post(acd_api, "/agents/me/logout", alice).json()["state"] == "logged_out"
    mine = get(acd_api, "/agents/me", alice).json()
    assert (mine["name"], mine["extension"]) == ("李娜", acd_api.alice_ext)
    assert mine["queues"] == ["general", "billing"]
    assert acd_api.service.core.agents[alice.username].state is AgentState.LOGGED_OUT


def test_an_agent_neither_sees_nor_changes_another_agent(acd_api: AcdApi) -> None:
    alice, bob = acd_api.alice, acd_api.bob
    for answer in (get(acd_api, f"/agents/{bob.username}", alice),
                   post(acd_api, f"/agents/{bob.username}/login", alice),
                   post(acd_api, f"/agents/{bob.username}/pause", alice, {"reason": "x"})):
        assert answer.status_code == 403, answer.text
        assert answer.json()["error_id"] == "not-your-agent"
    assert acd_api.service.core.agents[bob.username].state is AgentState.LOGGED_OUT
    assert [a["agent_id"] for a in get(acd_api, "/agents", alice).json()] == [alice.username]
    assert get(acd_api, f"/agents/{alice.username}", alice).status_code == 200  # their own, by id


def test_a_supervisor_sees_every_agent_and_changes_their_states(acd_api: AcdApi) -> None:
    sup, bob = acd_api.sup, acd_api.bob
    assert post(acd_api, f"/agents/{bob.username}/login", sup).json()["state"] == "available"
    paused = post(acd_api, f"/agents/{bob.username}/pause", sup, {"reason": "coaching"}).json()
    assert paused["reason"] == "coaching"
    listed = {a["agent_id"]: a["state"] for a in get(acd_api, "/agents", sup).json()}
    assert listed == {acd_api.alice.username: "logged_out", bob.username: "paused"}
    assert get(acd_api, "/agents/me", sup).json()["error_id"] == "no-such-agent"  # not an agent
    unknown = get(acd_api, "/agents/nobody-here", sup)
    assert (unknown.status_code, unknown.json()["error_id"]) == (404, "no-such-agent")


def test_a_command_the_acd_refuses_is_409_with_the_reason_and_changes_nothing(acd_api: AcdApi) -> None:
    answer = post(acd_api, "/agents/me/pause", acd_api.alice, {"reason": "break"})
    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert (body["error_id"], body["details"]["reason"]) == ("acd-refused", "agent-logged-out")
    assert acd_api.service.core.agents[acd_api.alice.username].state is AgentState.LOGGED_OUT


@pytest.mark.parametrize("reason", ["", "x" * 33, "bad\x1b[31m", "two  spaces", " lead"])
def test_a_pause_reason_that_is_not_a_short_word_is_refused(acd_api: AcdApi, reason: str) -> None:
    post(acd_api, "/agents/me/login", acd_api.alice)
    answer = post(acd_api, "/agents/me/pause", acd_api.alice, {"reason": reason})
    assert answer.status_code == 422, answer.text
    assert acd_api.service.core.agents[acd_api.alice.username].state is AgentState.AVAILABLE


def test_the_queues_list_carries_real_time_statistics_and_the_waiting_calls(acd_api: AcdApi) -> None:
    alice, core = acd_api.alice, acd_api.service.core
    post(acd_api, "/agents/me/login", alice)
    acd_api.run(acd_api.service.call_entered, CallAttributes(call_id="c1", queue="general",
                                                             caller_number="13800138000"))
    wait_until(lambda: core.agents[alice.username].state is AgentState.ON_CALL, "alice on the call")
    acd_api.run(acd_api.service.call_entered, CallAttributes(call_id="c2", queue="general",
                                                             caller_number="13900139000", customer_id="42"))
    listed = get(acd_api, "/queues", acd_api.bob)  # agents read the queues too
    assert listed.status_code == 200, listed.text
    queues = {q["name"]: q for q in listed.json()["queues"]}
    assert sorted(queues) == ["billing", "general"]
    general = queues["general"]
    stats = general["stats"]
    assert (stats["waiting"], stats["offered"], stats["answered"], stats["abandoned"]) == (1, 2, 1, 0)
    assert stats["longest_wait"] >= 0 and stats["asa"] is not None and stats["service_level"] == 100.0
    assert stats["agents"]["on_call"] == 1 and stats["agents"]["logged_out"] == 1
    assert general["service_level_seconds"] == 20
    waiting = [(c["call_id"], c["position"], c["customer_id"]) for c in general["waiting_calls"]]
    assert waiting == [("c2", 1, "42")]
    total = listed.json()["total"]
    assert (total["queue"], total["waiting"], total["answered"]) == ("", 1, 1)
    one = get(acd_api, "/queues/general", acd_api.sup).json()
    assert one["stats"]["waiting"] == 1 and one["name"] == "general"
    missing = get(acd_api, "/queues/nope", acd_api.sup)
    assert (missing.status_code, missing.json()["error_id"]) == (404, "no-such-queue")


def test_an_agent_ends_their_wrap_up_early_and_gets_the_next_call(acd_api: AcdApi) -> None:
    alice, core = acd_api.alice, acd_api.service.core
    post(acd_api, "/agents/me/login", alice)
    acd_api.run(acd_api.service.call_entered, CallAttributes(call_id="w1", queue="general"))
    wait_until(lambda: core.agents[alice.username].state is AgentState.ON_CALL, "alice on the call")
    acd_api.run(acd_api.service.submit, CallEnded("w1"))
    assert get(acd_api, "/agents/me", alice).json()["state"] == "wrap_up"
    acd_api.phones.outcome[acd_api.alice_ext] = "hold"
    acd_api.run(acd_api.service.call_entered, CallAttributes(call_id="w2", queue="general"))
    assert get(acd_api, "/agents/me", alice).json()["state"] == "wrap_up"  # w2 waits for her
    ended = post(acd_api, "/agents/me/end-wrapup", alice).json()
    assert ended["call_id"] == "w2" and ended["state"] in ("reserved", "ringing")
    acd_api.call(acd_api.phones.release, acd_api.alice_ext)
    wait_until(lambda: core.agents[alice.username].state is AgentState.ON_CALL, "alice on w2")


def test_a_supervisor_changes_a_queue_at_run_time_and_a_bad_change_is_refused_whole(acd_api: AcdApi) -> None:
    sup = acd_api.sup
    changed = acd_api.client.put("/api/acd/queues/general", headers=acd_api.headers(sup),
                                 json={"service_level_seconds": 30, "ring_timeout": 5})
    assert changed.status_code == 200, changed.text
    assert changed.json()["service_level_seconds"] == 30
    assert acd_api.service.core.queues["general"].service_level_seconds == 30
    bad = acd_api.client.put("/api/acd/queues/general", headers=acd_api.headers(sup),
                             json={"strategy": "fastest"})
    assert bad.status_code == 422, bad.text
    assert bad.json()["error_id"] == "invalid-routing-config"
    assert any("unknown strategy" in problem for problem in bad.json()["details"]["problems"])
    assert "queues.general.strategy" in bad.json()["message"]
    assert acd_api.service.core.queues["general"].service_level_seconds == 30
    refused = acd_api.client.put("/api/acd/queues/general", headers=acd_api.headers(acd_api.alice),
                                 json={"service_level_seconds": 5})
    assert (refused.status_code, refused.json()["error_id"]) == (403, "insufficient-role")
    agent = acd_api.client.put(f"/api/acd/agents/{acd_api.bob.username}/profile",
                               headers=acd_api.headers(sup),
                               json={"extension": acd_api.bob_ext, "queues": ["general", "billing"],
                                     "skills": {"billing": 4}})
    assert agent.status_code == 200, agent.text
    assert agent.json()["queues"] == ["general", "billing"]


def test_without_an_acd_every_acd_route_is_503_acd_unavailable(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    for method, path in (("GET", "/api/acd/queues"), ("GET", "/api/acd/agents"),
                         ("POST", "/api/acd/agents/me/login")):
        answer = api_client.request(method, path, headers=auth_headers("supervisor"))
        assert answer.status_code == 503, answer.text
        assert answer.json()["error_id"] == "acd-unavailable"


def test_the_acd_routes_need_a_token(acd_api: AcdApi) -> None:
    answer = acd_api.client.get("/api/acd/queues")
    assert (answer.status_code, answer.json()["error_id"]) == (401, "not-authenticated")
