"""Fixtures of the ticketing tests: the shipped workflow rules, actors and a client on the routers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from agent_console.errors import install_error_handlers
from tickets.actors import Actor
from tickets.deps import current_actor
from tickets.ticketing.api import routers
from tickets.workflow.rules import WorkflowRules, load_rules


@pytest.fixture(scope="session")
def rules() -> WorkflowRules:
    return load_rules()


@pytest.fixture
def agent() -> Actor:
    return Actor("agent_wang", "agent")


@pytest.fixture
def supervisor() -> Actor:
    return Actor("sup_li", "supervisor")


class ActingClient(TestClient):
    """A TestClient whose requests come from ``actor`` (``None``: unauthenticated → 401)."""

    actor: Actor | None = Actor("agent_wang", "agent")

    def act_as(self, actor: Actor | None) -> ActingClient:
        self.actor = actor
        return self


@pytest.fixture
def tk_client(db_sessionmaker: sessionmaker[Session]) -> Iterator[ActingClient]:
    """The ticketing routers alone on a bare app with the console's error mapping, on the test database."""
    app = FastAPI()
    install_error_handlers(app)
    for router in routers:
        app.include_router(router, prefix="/api")
    app.state.db = db_sessionmaker
    client = ActingClient(app)

    def actor() -> Actor:
        return client.actor if client.actor is not None else current_actor()

    app.dependency_overrides[current_actor] = actor
    with client:
        yield client
