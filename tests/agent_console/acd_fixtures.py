"""The app with an ACD: a real ``RoutingService`` (real core, engine, ``MemoryStore``) on the
platform's bus, whose call control is a fake of the ``CallControl`` port (phones that answer, do
not answer, or ring until told), and users whose usernames are the ACD's agent ids.

    def test_x(acd_api: AcdApi) -> None:
        acd_api.client.post("/api/acd/agents/me/login", headers=acd_api.headers(acd_api.alice))
        acd_api.run(acd_api.service.call_entered, CallAttributes(call_id="c1", queue="general"))
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient

from agent_console.app import create_app
from callcenter.platform import Platform, build_platform
from config.settings import Settings
from routing.config import parse
from routing.core import RoutingCore
from routing.engine import Engine
from routing.ports import AgentLegFailed
from routing.service import RoutingService
from routing.store import MemoryStore
from tests.fixtures.api import DEFAULT_PASSWORD, TEST_HASHER, MadeUser, token_for
from tickets.db import unit_of_work
from tickets.users.passwords import Passwords
from tickets.users.schemas import UserCreate
from tickets.users.service import create_user

T = TypeVar("T")

_extensions = itertools.count(71000)  # unique among the session database's active users


@dataclass
class Phones:
    """The fake call control: each extension answers (default), fails with a reason, or rings
    ("hold") until ``release(extension)`` runs in the app's loop."""

    outcome: dict[str, str] = field(default_factory=dict)
    rung: list[tuple[str, str]] = field(default_factory=list)  # (call id, extension)
    redirects: list[tuple[str, str]] = field(default_factory=list)
    _held: dict[str, asyncio.Event] = field(default_factory=dict)

    async def ring_agent(self, call_id: str, extension: str, *, caller_number: str, caller_name: str,
                         ring_seconds: float) -> None:
        self.rung.append((call_id, extension))
        outcome = self.outcome.get(extension, "answer")
        if outcome == "hold":
            await self._held.setdefault(extension, asyncio.Event()).wait()
        elif outcome != "answer":
            raise AgentLegFailed(outcome)

    def release(self, extension: str) -> None:
        self._held.setdefault(extension, asyncio.Event()).set()

    async def cancel_agent_leg(self, call_id: str, agent_id: str) -> None:
        return None

    async def announce(self, call_id: str, position: int, estimated_wait: float | None) -> None:
        return None

    async def redirect(self, call_id: str, target: str) -> None:
        self.redirects.append((call_id, target))

    async def heartbeat(self, ttl: float) -> None:
        return None


@dataclass
class AcdApi:
    client: TestClient
    platform: Platform
    service: RoutingService
    phones: Phones
    alice: MadeUser  # agent, queues general and billing
    bob: MadeUser  # agent, queue general
    sup: MadeUser  # supervisor (no agent)
    alice_ext: str
    bob_ext: str

    def headers(self, user: MadeUser) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}

    def token(self, user: MadeUser) -> str:
        return token_for(self.client.app, user)  # type: ignore[arg-type]

    def run(self, work: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``await work(*args)`` in the app's event loop (where the ACD runs)."""
        return self.client.portal.call(work, *args)  # type: ignore[union-attr]

    def call(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(*args)`` (plain) in the app's event loop."""

        async def plain() -> T:
            return work(*args)

        return self.run(plain)


def platform_user(platform: Platform, role: str, extension: str | None = None) -> MadeUser:
    data = UserCreate(username=f"{role}-{uuid.uuid4().hex[:10]}", display_name=f"测试 {role}",
                      password=DEFAULT_PASSWORD, role=role, extension=extension)
    with unit_of_work(platform.sessions) as session:
        user = create_user(session, data, passwords=platform.passwords)
        return MadeUser(user.id, user.username, data.password, user.role, user.display_name)


def routing_document(alice: str, bob: str, alice_ext: str, bob_ext: str) -> dict[str, Any]:
    return {
        "queues": {
            "general": {"service_level_seconds": 20, "ring_timeout": 5, "wrapup_seconds": 30,
                        "announce_interval": 0},
            "billing": {"skills": {"billing": 3}, "announce_interval": 0},
        },
        "agents": {
            alice: {"extension": alice_ext, "name": "李娜", "skills": {"billing": 5},
                    "queues": ["general", "billing"]},
            bob: {"extension": bob_ext, "name": "Bob", "queues": ["general"]},
        },
    }


@pytest.fixture
def acd_api(api_settings: Settings) -> Iterator[AcdApi]:
    platform = build_platform(api_settings, passwords=Passwords(TEST_HASHER))
    alice_ext, bob_ext = str(next(_extensions)), str(next(_extensions))
    alice = platform_user(platform, "agent", alice_ext)
    bob = platform_user(platform, "agent", bob_ext)
    sup = platform_user(platform, "supervisor")
    document = routing_document(alice.username, bob.username, alice_ext, bob_ext)
    phones = Phones()
    service = RoutingService(Engine(RoutingCore(parse(document)), MemoryStore()), control=phones,
                             publish=platform.bus.publish, document=document, snapshot_interval=0.05)
    platform.acd = service
    app = create_app(platform)
    with TestClient(app) as client:
        api = AcdApi(client, platform, service, phones, alice, bob, sup, alice_ext, bob_ext)
        started = not getattr(service, "_loops", None)  # unless the platform's lifespan started it
        if started:
            api.run(service.start)
        try:
            yield api
        finally:
            if started:
                api.run(service.close)
