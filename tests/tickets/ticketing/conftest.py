"""Fixtures of the ticketing tests: the shipped workflow rules, actors and a client on the routers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from agent_console.errors import install_error_handlers
from config.settings import load_settings
from tickets.actors import Actor
from tickets.deps import TicketsProviders, current_actor, not_authenticated, provide
from tickets.ticketing.api import routers
from tickets.workflow.rules import WorkflowRules, load_rules, parse_rules


@pytest.fixture(scope="session")
def rules() -> WorkflowRules:
    return load_rules()


@pytest.fixture
def agent() -> Actor:
    """The worker of the workflow tests: agent_wang with a supervisor's rights, so they may move any
    ticket (who may change which ticket is tested on its own in test_tk_policy.py)."""
    return Actor("agent_wang", "supervisor")


@pytest.fixture
def supervisor() -> Actor:
    return Actor("sup_li", "supervisor")


class ActingClient(TestClient):
    """A TestClient whose requests come from ``actor`` (``None``: unauthenticated → 401)."""

    actor: Actor | None = Actor("agent_wang", "supervisor")  # moves any ticket (see ``agent``)

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
    provide(app, TicketsProviders(sessions=db_sessionmaker, settings=load_settings()))
    client = ActingClient(app)

    def actor() -> Actor:
        if client.actor is None:
            raise not_authenticated()
        return client.actor

    app.dependency_overrides[current_actor] = actor
    with client:
        yield client


@dataclass(frozen=True)
class UniqueRules:
    """The shipped rules with every username made unique to one test (``u("agent_wang")``), so load
    counts and round-robin turns are not disturbed by tickets other tests committed."""

    rules: WorkflowRules
    suffix: str

    def u(self, name: str) -> str:
        return f"{name}_{self.suffix}"


@pytest.fixture
def unique_rules(rules: WorkflowRules) -> UniqueRules:
    suffix = uuid.uuid4().hex[:8]
    raw = rules.model_dump(mode="json")
    for team in raw["teams"]:
        team["supervisor"] = f"{team['supervisor']}_{suffix}"
        team["members"] = [f"{m}_{suffix}" for m in team["members"]]
        team["name"] = f"{team['name']}_{suffix}"
    raw["assignment"]["default_team"] = f"{raw['assignment']['default_team']}_{suffix}"
    for rule in raw["assignment"]["rules"]:
        rule["team"] = f"{rule['team']}_{suffix}"
    raw["escalation"]["managers"] = [f"{m}_{suffix}" for m in raw["escalation"]["managers"]]
    return UniqueRules(parse_rules(raw), suffix)
