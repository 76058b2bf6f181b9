"""``/readyz`` is ready only while the AMI link is up."""

from __future__ import annotations

import socket

from fastapi.testclient import TestClient

from agent_console.app import create_app
from callcenter.platform import build_platform
from config.settings import load_settings


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_given_no_asterisk_when_readyz_then_503_names_the_ami_link(db_url: str) -> None:
    settings = load_settings(database_url=db_url, ami={"port": _closed_port(), "reconnect_max_delay": 1})
    app = create_app(build_platform(settings, ami=True))
    with TestClient(app) as client:
        reply = client.get("/readyz")
        assert client.get("/healthz").status_code == 200
    assert reply.status_code == 503
    assert "ami" in reply.text
    assert "database" in reply.text
