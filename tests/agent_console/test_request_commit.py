"""A 2xx means committed: the request's session commits before the response leaves, and a commit that
fails is an error response, not a 201 for data that was never stored. Seen over real HTTP (uvicorn)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tests.agent_console.conftest import LiveApi
from tickets.db import unit_of_work
from tickets.models import Customer


def _mark(name: str) -> Callable[..., None]:
    """A before_flush listener marking the session that creates the customer ``name``."""

    def mark(session: Session, *_args: Any) -> None:
        if any(isinstance(o, Customer) and o.display_name == name for o in session.new):
            session.info["probe"] = True

    return mark


def test_given_a_slow_commit_when_a_201_arrives_then_the_row_is_already_stored(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]]
) -> None:
    base, sessions = live_api.base, live_api.platform.sessions
    headers = auth_headers("agent")
    name = f"提交 probe {time.monotonic_ns()}"

    def slow(session: Session) -> None:
        if session.info.get("probe"):
            time.sleep(0.5)  # a commit that takes a while: the response must wait for it

    event.listen(sessions, "before_flush", _mark(name))
    event.listen(sessions, "before_commit", slow)
    try:
        created = httpx.post(
            f"{base}/api/customers", headers=headers, json={"display_name": name}, timeout=10
        )
        assert created.status_code == 201, created.text
        with unit_of_work(sessions, read_only=True) as session:
            stored = session.scalar(select(Customer.display_name).where(Customer.id == created.json()["id"]))
    finally:
        event.remove(sessions, "before_commit", slow)
    assert stored == name


def test_given_a_commit_that_fails_then_the_response_is_an_error_and_nothing_is_stored(
    live_api: LiveApi, auth_headers: Callable[..., dict[str, str]]
) -> None:
    base, sessions = live_api.base, live_api.platform.sessions
    headers = auth_headers("agent")
    name = f"never stored {time.monotonic_ns()}"

    def fail(session: Session) -> None:
        if session.info.get("probe"):
            raise RuntimeError("disk full")

    event.listen(sessions, "before_flush", _mark(name))
    event.listen(sessions, "before_commit", fail)
    try:
        created = httpx.post(
            f"{base}/api/customers", headers=headers, json={"display_name": name}, timeout=10
        )
    finally:
        event.remove(sessions, "before_commit", fail)
    assert created.status_code == 500
    assert created.json()["error_id"] == "internal"
    with unit_of_work(sessions, read_only=True) as session:
        assert session.scalar(select(Customer.id).where(Customer.display_name == name)) is None
