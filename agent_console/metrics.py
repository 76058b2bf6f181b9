"""Prometheus metrics of the platform, in a registry of its own (``platform.metrics``).

HTTP requests are counted and timed by route template (``/api/tickets/{ticket_id}``), never by raw
path. Other parts add theirs to the same registry::

    Gauge("callcenter_calls_waiting", "Calls waiting", ["queue"], registry=platform.metrics)
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent_console.deps import PlatformDep

router = APIRouter(tags=["health"])
UNMATCHED = "<unmatched>"


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total", "HTTP requests served", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency", ["method", "route"], registry=registry
        )


def route_template(scope: Scope) -> str:
    """The matched route's full path template, or ``<unmatched>`` (raw paths would explode the labels)."""
    # FastAPI >= 0.16x resolves included routers lazily: the full path (with the include prefixes) is
    # on its effective route context; ``scope["route"]`` only knows the path inside its own router.
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(context, "path", None)
    if not path:
        route: BaseRoute | None = scope.get("route")
        path = getattr(route, "path", None)
    return str(path) if path else UNMATCHED


class MetricsMiddleware:
    """Pure ASGI middleware recording each HTTP request (websockets and lifespan pass through)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            template = route_template(scope)
            method = scope.get("method", "GET")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)


@router.get("/metrics", include_in_schema=False)
def metrics(platform: PlatformDep) -> Response:
    return Response(generate_latest(platform.metrics), media_type=CONTENT_TYPE_LATEST)
