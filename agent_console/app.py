"""The application factory: ``create_app(settings)`` composes routers, auth, errors, health and metrics.

Nothing connects at import or in ``create_app``; the lifespan builds the engine and session factory
(``app.state.db``), registers the database readiness check, runs the extra lifespans the composition
root passes (AMI links, the routing service ...) and, when asked, the tickets background jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from prometheus_client import CollectorRegistry

from agent_console import health, metrics, ws_ping
from agent_console.auth import api as auth_api
from agent_console.auth import users_api
from agent_console.auth.deps import current_actor, get_current_user, optional_actor
from agent_console.auth.passwords import Passwords
from agent_console.auth.ratelimit import InMemoryLoginLimiter, LoginLimiter
from agent_console.errors import install_error_handlers
from config.settings import Settings, get_settings
from tickets import db as tickets_db
from tickets import deps as tickets_deps

log = logging.getLogger(__name__)

MIN_PRODUCTION_SECRET = 32  # HS256 wants a key of at least 256 bits

# Each extra lifespan gets the app (with ``app.state.db`` ready) and wraps the time the app serves.
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


def create_app(
    settings: Settings | None = None,
    *,
    run_jobs: bool = False,
    lifespans: Sequence[Lifespan] = (),
    api_routers: Sequence[APIRouter] | None = None,
    public_routers: Sequence[APIRouter] | None = None,
    passwords: Passwords | None = None,
    login_limiter: LoginLimiter | None = None,
) -> FastAPI:
    """The web app.

    ``api_routers`` are mounted under ``/api`` behind authentication (default: ``tickets.api.router``;
    the composition root adds the ACD's). ``public_routers`` are mounted under ``/api`` without that
    blanket requirement: their routes authenticate on their own (default: ``tickets.api.public_router``,
    the web intake taking a bearer token or ``X-Intake-Key``). ``lifespans`` run inside the app's
    lifespan, after the database is set up. ``run_jobs`` starts ``tickets.jobs.run_jobs_forever``.
    """
    settings = settings or get_settings()
    if settings.environment == "production" and len(settings.api.secret_key) < MIN_PRODUCTION_SECRET:
        raise ValueError(
            f"api.secret_key must have at least {MIN_PRODUCTION_SECRET} characters in production"
        )
    app = FastAPI(
        title="Contact center API",
        version="0.1.0",
        lifespan=_lifespan(run_jobs, lifespans),
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.passwords = passwords or Passwords()
    app.state.login_limiter = login_limiter or InMemoryLoginLimiter(max_failures=5, window_seconds=60)
    app.state.readiness = health.ReadinessChecks()
    app.state.metrics_registry = CollectorRegistry()
    app.state.http_metrics = metrics.HttpMetrics(app.state.metrics_registry)

    install_error_handlers(app)
    app.add_middleware(metrics.MetricsMiddleware, metrics=app.state.http_metrics)

    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(auth_api.router, prefix="/api")
    app.include_router(users_api.router, prefix="/api")
    for router in _tickets_routers() if api_routers is None else api_routers:
        app.include_router(router, prefix="/api", dependencies=[Depends(get_current_user)])
    for router in _public_tickets_routers() if public_routers is None else public_routers:
        app.include_router(router, prefix="/api")
    if public_routers is None:
        _accept_optional_bearer(app)
    app.include_router(ws_ping.router)
    app.dependency_overrides[tickets_deps.current_actor] = current_actor
    return app


def _public_tickets_routers() -> list[APIRouter]:
    from tickets.api import public_router

    return [public_router]


def _accept_optional_bearer(app: FastAPI) -> None:
    """The web intake asks for the bearer user when there is one (``None`` without a token)."""
    from tickets.intake.api import bearer_actor

    app.dependency_overrides[bearer_actor] = optional_actor


def _tickets_routers() -> list[APIRouter]:
    from tickets.api import router  # imported here: the CRM routers stay out of module import time

    return [router]


def _lifespan(run_jobs: bool, lifespans: Sequence[Lifespan]) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        engine = tickets_db.create_engine(settings.effective_database_url)
        app.state.engine = engine
        app.state.db = tickets_db.session_factory(engine)
        app.state.readiness.add("database", health.database_check(engine))
        try:
            async with contextlib.AsyncExitStack() as stack:
                for extra in lifespans:
                    await stack.enter_async_context(extra(app))
                if run_jobs:
                    await stack.enter_async_context(_jobs(app))
                yield
        finally:
            app.state.readiness.remove("database")
            engine.dispose()

    return lifespan


@asynccontextmanager
async def _jobs(app: FastAPI) -> AsyncIterator[None]:
    """Run ``tickets.jobs.run_jobs_forever(session_factory, settings)`` while the app serves
    (the task is ``app.state.jobs_task``)."""
    try:
        module = importlib.import_module("tickets.jobs")
        run_forever = module.run_jobs_forever
    except (ImportError, AttributeError):
        log.warning("background jobs requested but tickets.jobs.run_jobs_forever is not available")
        yield
        return
    task = asyncio.create_task(run_forever(app.state.db, app.state.settings), name="tickets-jobs")
    app.state.jobs_task = task
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
