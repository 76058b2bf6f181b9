"""/healthz, /readyz with registered checks, /metrics in Prometheus text format."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import Gauge
from prometheus_client.parser import text_string_to_metric_families

from agent_console.app import create_app
from callcenter.platform import build_platform
from callcenter.readiness import ReadinessChecks
from config.settings import load_settings
from tests.fixtures.api import MadeUser


def test_healthz_answers_while_the_process_lives(api_client: TestClient) -> None:
    resp = api_client.get("/healthz")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}


def test_readyz_is_ready_when_the_database_answers(api_client: TestClient) -> None:
    resp = api_client.get("/readyz")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"status": "ready", "checks": {"database": "ok"}, "failing": []}


def test_readyz_is_503_naming_each_failing_check(api_client: TestClient) -> None:
    app: FastAPI = api_client.app  # type: ignore[assignment]
    link_up = {"value": False}

    async def redis_ping() -> bool:
        raise ConnectionError("connection refused")

    app.state.platform.readiness.add("ami", lambda: link_up["value"])
    app.state.platform.readiness.add("redis", redis_ping)
    resp = api_client.get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "not-ready"
    assert sorted(body["failing"]) == ["ami", "redis"]
    assert body["checks"] == {"database": "ok", "ami": "down", "redis": "ConnectionError"}

    link_up["value"] = True
    app.state.platform.readiness.remove("redis")
    assert api_client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with TestClient(create_app(build_platform(settings))) as client:
        resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["failing"] == ["database"]


async def test_a_check_that_hangs_fails_after_the_timeout() -> None:
    checks = ReadinessChecks(timeout=0.05)

    async def hangs() -> bool:
        await asyncio.Event().wait()
        return True

    checks.add("slow", hangs)
    checks.add("fine", lambda: True)
    results = {r.name: r for r in await checks.run()}
    assert results["fine"].ok
    assert not results["slow"].ok and "no answer" in results["slow"].detail


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_count_requests_by_route_template_in_prometheus_text(
    api_client: TestClient, auth_headers: Callable[..., dict[str, str]], make_user: Callable[..., MadeUser]
) -> None:
    app: FastAPI = api_client.app  # type: ignore[assignment]
    admin = auth_headers("admin")
    ids = [make_user("agent").id for _ in range(3)]
    for user_id in ids:
        assert api_client.get(f"/api/users/{user_id}", headers=admin).status_code == 200
    api_client.get("/no/such/thing")
    waiting = Gauge(
        "callcenter_calls_waiting", "Calls waiting", ["queue"], registry=app.state.platform.metrics
    )
    waiting.labels("sales").set(4)

    resp = api_client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    samples = _samples(resp.text)
    by_template = (("method", "GET"), ("route", "/api/users/{user_id}"), ("status", "200"))
    assert samples[("http_requests_total", by_template)] == 3
    assert (
        samples[("http_requests_total", (("method", "GET"), ("route", "<unmatched>"), ("status", "404")))]
        == 1
    )
    assert (
        samples[
            ("http_request_duration_seconds_count", (("method", "GET"), ("route", "/api/users/{user_id}")))
        ]
        == 3
    )
    assert samples[("callcenter_calls_waiting", (("queue", "sales"),))] == 4
    assert not any(
        str(i) in label
        for (_n, labels) in samples
        for _k, label in labels
        for i in ids
        if label.startswith("/api/users/")
    )


def test_each_app_has_its_own_metrics_registry(api_settings) -> None:  # type: ignore[no-untyped-def]
    first, second = create_app(build_platform(api_settings)), create_app(build_platform(api_settings))
    assert first.state.platform.metrics is not second.state.platform.metrics
    with TestClient(first) as client:
        client.get("/healthz")
    with TestClient(second) as client:
        text = client.get("/metrics").text
    assert 'route="/healthz"' not in text


def test_the_tickets_jobs_run_while_the_app_serves_and_stop_with_it(api_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(build_platform(api_settings, jobs=True))
    with TestClient(app):
        task = app.state.platform.jobs_task
        assert task.get_name() == "tickets-jobs"
        assert not task.done()
    assert task.done()
    assert task.cancelled() or task.exception() is None


def test_metrics_count_each_bus_subscribers_overflows_and_drops(api_settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import dataclass

    from bus import LOSSY

    @dataclass(frozen=True)
    class Tick:
        n: int

    platform = build_platform(api_settings)
    with TestClient(create_app(platform)) as client:
        slow = platform.bus.subscribe("wallboard", Tick, policy=LOSSY, maxsize=2)
        for n in range(5):
            platform.bus.publish(Tick(n))
        text = client.get("/metrics").text
        slow.close()
    assert 'callcenter_bus_dropped_total{policy="lossy",subscriber="wallboard"} 3.0' in text
    assert 'callcenter_bus_overflows_total{policy="lossy",subscriber="wallboard"} 1.0' in text
