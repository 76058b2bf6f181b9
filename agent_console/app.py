"""The web app of a platform: ``create_app(platform)`` composes routers, auth, errors, health, metrics.

Nothing connects in ``create_app``; the app's lifespan runs ``platform.running()`` (database, AMI
link, FastAGI server, jobs, as the platform was built). Routes reach the platform through
``agent_console.deps.PlatformDep``; the tickets routers' own dependencies (sessions, settings,
rules, the acting user) are filled here from it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from agent_console import calls_api, health, ivr_api, live_ws, metrics, routing_api, ws_ping
from agent_console.admission import AdmissionMiddleware, RequestAdmission
from agent_console.api_docs import install_api_docs
from agent_console.auth import api as auth_api
from agent_console.auth import users_api
from agent_console.auth.deps import get_current_user, optional_user
from agent_console.auth.ratelimit import InMemoryLoginLimiter
from agent_console.auth.redis_ratelimit import build_redis_limiter
from agent_console.auth.user_cache import UserCache
from agent_console.auth.websocket import OpenSockets
from agent_console.errors import install_error_handlers
from agent_console.forwarded import ForwardedForMiddleware
from callcenter.platform import Platform
from tickets import deps as tickets_deps
from tickets.api import public_router as tickets_public_router
from tickets.api import router as tickets_router

MIN_PRODUCTION_SECRET = 32  # HS256 wants a key of at least 256 bits


def create_app(
    platform: Platform,
    *,
    api_routers: Sequence[APIRouter] | None = None,
    public_routers: Sequence[APIRouter] | None = None,
) -> FastAPI:
    """The web app of ``platform``.

    ``api_routers`` are mounted under ``/api`` behind authentication (default: the tickets routers).
    ``public_routers`` are mounted under ``/api`` without that blanket requirement: their routes
    authenticate on their own (default: the web intake, taking a bearer token or ``X-Intake-Key``).
    """
    settings = platform.settings
    if settings.environment == "production" and len(settings.api.secret_key) < MIN_PRODUCTION_SECRET:
        raise ValueError(
            f"api.secret_key must have at least {MIN_PRODUCTION_SECRET} characters in production"
        )

    shared_limiter = None
    if settings.redis_url and isinstance(platform.login_limiter, InMemoryLoginLimiter):
        # several processes behind one address: the login limit is kept in Redis, shared by all
        limiter = platform.login_limiter
        shared_limiter = build_redis_limiter(settings.redis_url, limiter.max_failures, limiter.window_seconds)
        platform.login_limiter = shared_limiter

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            async with platform.running():
                yield
        finally:
            if shared_limiter is not None:
                await shared_limiter.redis.aclose()

    app = FastAPI(
        title="Contact center API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served from local assets by install_api_docs
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_api_docs(app)
    app.state.platform = platform  # read back only by agent_console.deps.platform_of
    app.state.open_sockets = OpenSockets()  # read back by agent_console.auth.websocket.open_sockets
    app.state.user_cache = UserCache(settings.api.auth_cache_seconds)  # read back by user_cache_of

    install_error_handlers(app)
    admission = RequestAdmission.from_settings(settings.api)
    app.state.admission = admission
    app.add_middleware(AdmissionMiddleware, admission=admission,  # inside metrics: 503s are counted
                       urgent_paths=settings.api.urgent_paths)
    app.add_middleware(metrics.MetricsMiddleware, metrics=metrics.HttpMetrics(platform.metrics))
    app.add_middleware(ForwardedForMiddleware, trusted=settings.api.trusted_proxies)  # outermost

    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(auth_api.router, prefix="/api")
    app.include_router(users_api.router, prefix="/api")
    for router in (routing_api.router, ivr_api.router, calls_api.router):  # the ACD, IVR, calls
        app.include_router(router, prefix="/api", dependencies=[Depends(get_current_user)])
    for router in [tickets_router] if api_routers is None else api_routers:
        app.include_router(router, prefix="/api", dependencies=[Depends(get_current_user)])
    for router in [tickets_public_router] if public_routers is None else public_routers:
        # an optional bearer check: a valid token's user is known to the route, none is no error
        app.include_router(router, prefix="/api", dependencies=[Depends(optional_user)])
    app.include_router(ws_ping.router)
    app.include_router(live_ws.router)  # /ws/agent, /ws/wallboard

    # the tickets routers' providers (no dependency_overrides: with any override set, FastAPI
    # analyses every dependency of a route again on each request)
    tickets_deps.provide(
        app,
        tickets_deps.TicketsProviders(
            sessions=platform.sessions, settings=platform.settings, rules=platform.workflow_rules
        ),
    )
    return app
