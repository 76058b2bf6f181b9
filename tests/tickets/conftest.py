"""Shared helpers for the CRM tests: actors, builders, and a minimal app over the tickets routers.

``crm_client`` is a TestClient on a bare FastAPI app that mounts ``tickets.api.router`` under ``/api``
with the console's error mapping, its sessions bound to the rolled-back test connection and
``current_actor`` overridden by ``crm_client.act_as(role)``. It tests the routers on their own; the
full app with real authentication is covered by the agent_console tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from agent_console.errors import install_error_handlers
from config.settings import load_settings
from tickets.actors import Actor
from tickets.api import router as tickets_router
from tickets.customers.schemas import CustomerCreate
from tickets.customers.service import create_customer
from tickets.deps import TicketsProviders, current_actor, not_authenticated, provide
from tickets.models import Customer

AGENT = Actor("agent007", "agent", "Agent 007")
SUPERVISOR = Actor("sup1", "supervisor", "主管")
ADMIN = Actor("admin", "admin")


@pytest.fixture
def new_customer(db_session: Session) -> Callable[..., Customer]:
    """``new_customer(name, phones=[...], emails=[...], **fields)`` through the service."""

    def make(display_name: str = "张三", **fields: Any) -> Customer:
        return create_customer(db_session, data=CustomerCreate(display_name=display_name, **fields))

    return make


class CrmClient(TestClient):
    actor: Actor | None = AGENT

    def act_as(self, actor: Actor | None) -> None:
        """Who the next requests come from (``None``: unauthenticated)."""
        self.actor = actor


@pytest.fixture
def crm_app(db_sessionmaker: sessionmaker[Session]) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(tickets_router, prefix="/api")
    provide(app, TicketsProviders(sessions=db_sessionmaker, settings=load_settings()))
    return app


@pytest.fixture
def crm_client(crm_app: FastAPI) -> Iterator[CrmClient]:
    client = CrmClient(crm_app)

    def actor() -> Actor:
        if client.actor is None:
            raise not_authenticated()
        return client.actor

    crm_app.dependency_overrides[current_actor] = actor
    with client:
        yield client


@contextmanager
def count_statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements the session sends inside the block (savepoint bookkeeping left out)."""
    statements: list[str] = []
    engine: Any = session.get_bind()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    target = engine.engine if hasattr(engine, "engine") else engine
    event.listen(target, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", count)
