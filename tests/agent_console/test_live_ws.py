"""``/ws/agent`` and ``/ws/wallboard``: a snapshot first, then the ACD's bus messages as they come
(the agent's own only on ``/ws/agent``), and a fresh snapshot after the bus dropped messages."""

from __future__ import annotations

import contextlib
import json
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect
from websockets.sync.client import connect

from agent_console import live_ws
from routing import messages as m
from routing.domain import CallAttributes
from routing.events import CallEnded
from tests.agent_console.acd_fixtures import AcdApi, acd_api, platform_user
from tests.agent_console.conftest import LiveApi
from tests.fixtures.api import MadeUser, token_for
from tickets.customers.schemas import CustomerCreate
from tickets.customers.service import create_customer
from tickets.db import unit_of_work

__all__ = ["acd_api"]


def until(ws: WebSocketTestSession, match: Callable[[dict[str, Any]], bool],
          limit: int = 50) -> list[dict[str, Any]]:
    """Messages up to and including the first that matches (at most ``limit``)."""
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        message = ws.receive_json()
        seen.append(message)
        if match(message):
            return seen
    raise AssertionError(f"no matching message among {[s['type'] for s in seen]}")


def test_the_agent_socket_sends_the_agents_snapshot_then_only_their_own_state_changes(
    acd_api: AcdApi,
) -> None:
    alice, bob = acd_api.alice, acd_api.bob
    with acd_api.client.websocket_connect(f"/ws/agent?token={acd_api.token(alice)}") as ws:
        first = ws.receive_json()
        assert (first["type"], first["agent_id"]) == ("agent_snapshot", alice.username)
        assert first["state"] == "logged_out"
        acd_api.client.post(f"/api/acd/agents/{bob.username}/login", headers=acd_api.headers(acd_api.sup))
        acd_api.client.post("/api/acd/agents/me/login", headers=acd_api.headers(alice))
        changed = ws.receive_json()  # bob's change came first on the bus, and is not alice's
        assert changed == {**changed, "type": "agent_state_changed", "agent_id": alice.username,
                           "state": "available", "previous": "logged_out"}


def test_an_offered_call_reaches_the_agents_socket_with_the_caller_and_customer(acd_api: AcdApi) -> None:
    alice = acd_api.alice
    acd_api.client.post("/api/acd/agents/me/login", headers=acd_api.headers(alice))
    acd_api.phones.outcome[acd_api.alice_ext] = "hold"
    with acd_api.client.websocket_connect(f"/ws/agent?token={acd_api.token(alice)}") as ws:
        assert ws.receive_json()["state"] == "available"
        acd_api.run(acd_api.service.call_entered, CallAttributes(
            call_id="pop1", queue="billing", caller_number="13800138000", caller_name="张三丰",
            customer_id="42", tier="vip", intent="inquiry"))
        offer = until(ws, lambda msg: msg["type"] == "call_offered")[-1]
        assert (offer["call_id"], offer["agent_id"], offer["queue"]) == ("pop1", alice.username, "billing")
        assert (offer["caller_number"], offer["caller_name"], offer["customer_id"], offer["tier"]) == (
            "13800138000", "张三丰", "42", "vip")
        acd_api.call(acd_api.phones.release, acd_api.alice_ext)
        seen = until(ws, lambda msg: msg["type"] == "call_answered" and msg["call_id"] == "pop1")
        assert any(msg["type"] == "agent_state_changed" and msg["state"] == "on_call" for msg in seen)


def test_after_the_bus_drops_messages_the_agent_socket_says_how_many_and_sends_a_fresh_snapshot(
    acd_api: AcdApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_ws, "LOSSY_MAXSIZE", 5)
    alice = acd_api.alice
    with acd_api.client.websocket_connect(f"/ws/agent?token={acd_api.token(alice)}") as ws:
        assert ws.receive_json()["type"] == "agent_snapshot"

        def burst() -> None:  # in one step of the loop: the socket cannot read in between
            for i in range(20):
                acd_api.platform.bus.publish(m.AgentStateChanged(alice.username, "paused", "available",
                                                                 f"r{i}", float(i), None))

        acd_api.call(burst)
        reasons = [ws.receive_json()["reason"] for _ in range(5)]
        assert reasons == ["r0", "r1", "r2", "r3", "r4"]
        assert ws.receive_json() == {"type": "dropped", "count": 15}
        fresh = ws.receive_json()
        assert (fresh["type"], fresh["state"]) == ("agent_snapshot", "logged_out")  # the ACD's truth


def test_the_wallboard_sends_every_queue_and_agent_first_then_changes_and_queue_snapshots(
    acd_api: AcdApi,
) -> None:
    with acd_api.client.websocket_connect(f"/ws/wallboard?token={acd_api.token(acd_api.sup)}") as ws:
        first = ws.receive_json()
        assert first["type"] == "wallboard_snapshot"
        assert [q["stats"]["queue"] for q in first["queues"]] == ["billing", "general"]
        assert {a["agent_id"] for a in first["agents"]} == {acd_api.alice.username, acd_api.bob.username}
        assert first["statistics"]["type"] == "statistics"
        acd_api.client.post("/api/acd/agents/me/login", headers=acd_api.headers(acd_api.bob))
        login = ws.receive_json()
        assert (login["type"], login["agent_id"], login["state"]) == (
            "agent_state_changed", acd_api.bob.username, "available")
        now = ws.receive_json()  # the agent's snapshot follows each change of state
        assert (now["type"], now["agent_id"]) == ("agent_snapshot", acd_api.bob.username)
        assert now["state"] == "available"
        acd_api.phones.outcome[acd_api.bob_ext] = "hold"
        acd_api.run(acd_api.service.call_entered, CallAttributes(call_id="wb1", queue="general"))
        seen = until(ws, lambda msg: msg["type"] == "queue_snapshot" and msg["stats"]["queue"] == "general")
        assert {"call_queued", "call_offered"} <= {msg["type"] for msg in seen}
        assert seen[-1]["stats"]["offered"] == 1
        statistics = until(ws, lambda msg: msg["type"] == "statistics")[-1]
        assert statistics["total"]["offered"] == 1
        acd_api.call(acd_api.phones.release, acd_api.bob_ext)


def test_after_a_drop_the_wallboard_sends_a_fresh_wallboard_snapshot(
    acd_api: AcdApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_ws, "LOSSY_MAXSIZE", 3)
    with acd_api.client.websocket_connect(f"/ws/wallboard?token={acd_api.token(acd_api.sup)}") as ws:
        assert ws.receive_json()["type"] == "wallboard_snapshot"

        def burst() -> None:
            for _ in range(10):
                acd_api.platform.bus.publish(acd_api.service.statistics())

        acd_api.call(burst)
        assert [ws.receive_json()["type"] for _ in range(3)] == ["statistics"] * 3
        assert ws.receive_json() == {"type": "dropped", "count": 7}
        assert ws.receive_json()["type"] == "wallboard_snapshot"


def test_an_agent_may_not_open_the_wallboard(acd_api: AcdApi) -> None:
    with pytest.raises(WebSocketDisconnect) as refused:
        with acd_api.client.websocket_connect(f"/ws/wallboard?token={acd_api.token(acd_api.alice)}") as ws:
            ws.receive_json()
    assert refused.value.code == 1008


def test_without_an_acd_the_sockets_say_so_first(
    api_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    sup = make_user("supervisor")
    token = token_for(api_client.app, sup)  # type: ignore[arg-type]
    for path in ("/ws/agent", "/ws/wallboard"):
        with api_client.websocket_connect(f"{path}?token={token}") as ws:
            assert ws.receive_json() == {"type": "acd_unavailable"}


def test_a_user_who_is_not_an_agent_is_told_so_on_the_agent_socket(acd_api: AcdApi) -> None:
    with acd_api.client.websocket_connect(f"/ws/agent?token={acd_api.token(acd_api.sup)}") as ws:
        assert ws.receive_json() == {"type": "not_an_agent", "agent_id": acd_api.sup.username}


def test_a_supervisor_demoted_while_watching_the_wallboard_is_disconnected_with_1008(acd_api: AcdApi) -> None:
    admin = platform_user(acd_api.platform, "admin")
    with acd_api.client.websocket_connect(f"/ws/wallboard?token={acd_api.token(acd_api.sup)}") as ws:
        assert ws.receive_json()["type"] == "wallboard_snapshot"
        demoted = acd_api.client.patch(f"/api/users/{acd_api.sup.id}", headers=acd_api.headers(admin),
                                       json={"role": "agent"})
        assert demoted.status_code == 200, demoted.text
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(20):  # ACD messages may still arrive before the close
                ws.receive_json()
        assert closed.value.code == 1008


def test_an_offered_call_is_followed_by_the_screen_pop_with_the_callers_record(acd_api: AcdApi) -> None:
    number = f"138{uuid.uuid4().int % 10**8:08d}"
    with unit_of_work(acd_api.platform.sessions) as session:
        customer_id = create_customer(session, data=CustomerCreate(display_name="张三丰", phones=[number])).id
    stranger = f"137{uuid.uuid4().int % 10**8:08d}"
    alice = acd_api.alice
    acd_api.client.post("/api/acd/agents/me/login", headers=acd_api.headers(alice))
    acd_api.phones.outcome[acd_api.alice_ext] = "hold"
    with acd_api.client.websocket_connect(f"/ws/agent?token={acd_api.token(alice)}") as ws:
        assert ws.receive_json()["type"] == "agent_snapshot"
        acd_api.run(acd_api.service.call_entered, CallAttributes(call_id="sp1", queue="general",
                                                                 caller_number=number))
        seen = until(ws, lambda msg: msg["type"] == "screen_pop")
        assert seen[-2]["type"] == "call_offered"  # the pop follows its offer
        pop = seen[-1]
        assert (pop["call_id"], pop["caller_number"]) == ("sp1", number)
        customer = pop["record"]["customer"]
        assert (customer["id"], customer["display_name"]) == (customer_id, "张三丰")
        assert pop["interaction"] is None  # no recorder on this platform
        acd_api.call(acd_api.phones.release, acd_api.alice_ext)
        until(ws, lambda msg: msg["type"] == "call_answered")
        acd_api.run(acd_api.service.submit, CallEnded("sp1"))
        acd_api.client.post("/api/acd/agents/me/end-wrapup", headers=acd_api.headers(alice))
        acd_api.run(acd_api.service.call_entered, CallAttributes(
            call_id="sp2", queue="general", caller_number=stranger, customer_id=str(customer_id)))
        pop = until(ws, lambda msg: msg["type"] == "screen_pop")[-1]
        assert pop["record"]["customer"]["id"] == customer_id  # the IVR's identification wins
        acd_api.call(acd_api.phones.release, acd_api.alice_ext)


def test_a_caller_the_record_does_not_know_pops_an_empty_screen(acd_api: AcdApi) -> None:
    alice = acd_api.alice
    acd_api.client.post("/api/acd/agents/me/login", headers=acd_api.headers(alice))
    with acd_api.client.websocket_connect(f"/ws/agent?token={acd_api.token(alice)}") as ws:
        assert ws.receive_json()["type"] == "agent_snapshot"
        acd_api.run(acd_api.service.call_entered, CallAttributes(
            call_id="sp3", queue="general", caller_number=f"136{uuid.uuid4().int % 10**8:08d}"))
        pop = until(ws, lambda msg: msg["type"] == "screen_pop")[-1]
        assert (pop["call_id"], pop["record"], pop["customer_id"]) == ("sp3", None, None)


def test_sockets_that_close_or_vanish_leave_no_subscription_behind_on_a_real_server(
    live_api: LiveApi, make_user: Callable[..., MadeUser], api_client: TestClient
) -> None:
    sup = make_user("supervisor")
    url = live_api.base.replace("http://", "ws://")
    token = token_for(api_client.app, sup)  # type: ignore[arg-type]  # same database and secret

    def subscriptions() -> int:
        return sum(s.subscriptions for s in live_api.platform.bus.stats() if s.name.startswith("ws-"))

    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(connect(f"{url}{path}?token={token}"))
                   for path in ("/ws/agent", "/ws/wallboard", "/ws/agent")]
        for client in clients:
            assert json.loads(client.recv(timeout=5)) == {"type": "acd_unavailable"}
        assert subscriptions() == 3
        clients[0].close()  # a clean close
        clients[1].socket.shutdown(socket.SHUT_RDWR)  # the network goes away, no close frame
        clients[1].socket.close()
        clients[2].close()
        deadline = time.monotonic() + 10
        while subscriptions():
            assert time.monotonic() < deadline, f"{subscriptions()} subscriptions left"
            time.sleep(0.02)
