"""Websocket authentication: token as ?token= or as the "bearer" subprotocol; refused otherwise."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.fixtures.api import MadeUser, token_for


def test_a_token_in_the_query_string_opens_the_socket(
    api_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent")
    token = token_for(api_client.app, user)  # type: ignore[arg-type]
    with api_client.websocket_connect(f"/ws/ping?token={token}") as ws:
        assert ws.receive_json() == {"type": "hello", "username": user.username, "role": "agent"}
        ws.send_text("ping 你好")
        assert ws.receive_json() == {"type": "pong", "echo": "ping 你好"}


def test_a_token_as_subprotocol_opens_the_socket_and_the_server_echoes_bearer(
    api_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("supervisor")
    token = token_for(api_client.app, user)  # type: ignore[arg-type]
    with api_client.websocket_connect("/ws/ping", subprotocols=["bearer", token]) as ws:
        assert ws.accepted_subprotocol == "bearer"
        assert ws.receive_json()["role"] == "supervisor"


@pytest.mark.parametrize("how", ["none", "garbage", "inactive", "empty-subprotocol"])
def test_sockets_without_a_valid_token_are_refused_with_1008(
    how: str,
    api_client: TestClient,
    make_user: Callable[..., MadeUser],
    auth_headers: Callable[..., dict[str, str]],
) -> None:
    url, protocols = "/ws/ping", None
    if how == "garbage":
        url += "?token=not.a.token"
    elif how == "inactive":
        user = make_user("agent")
        token = token_for(api_client.app, user)  # type: ignore[arg-type]
        assert api_client.delete(f"/api/users/{user.id}", headers=auth_headers("admin")).status_code == 200
        url += f"?token={token}"
    elif how == "empty-subprotocol":
        protocols = ["bearer"]
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        api_client.websocket_connect(url, subprotocols=protocols),
    ):
        pass
    assert refused.value.code == 1008
