"""Routers under /api need a token; the tickets actor comes from it; errors map to one JSON shape."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from agent_console.app import create_app
from agent_console.auth.deps import AuthUser, SupervisorUser, optional_actor, require_role
from callcenter.platform import build_platform
from config.settings import Settings
from tests.fixtures.api import TEST_HASHER, MadeUser, token_for
from tickets.actors import Actor
from tickets.api import router as tickets_router
from tickets.deps import ActorDep, SessionDep
from tickets.errors import Conflict, NotFound
from tickets.users.passwords import Passwords


class Probe(BaseModel):
    name: str = Field(min_length=1)
    count: int


def probe_router() -> APIRouter:
    router = APIRouter(prefix="/probe")

    @router.get("/actor")
    def actor(actor: ActorDep, session: SessionDep) -> dict[str, Any]:
        return {"username": actor.username, "role": actor.role, "display_name": actor.display_name}

    @router.post("/items")
    def create(body: Probe) -> Probe:
        return body

    @router.post("/merge")
    def merge(user: SupervisorUser) -> dict[str, str]:
        return {"merged_by": user.username}

    @router.get("/conflict")
    def conflict() -> None:
        raise Conflict(
            "ticket REP-000001 is closed", error_id="illegal-transition", details={"status": "closed"}
        )

    @router.get("/missing/{item_id}")
    def missing(item_id: int) -> None:
        raise NotFound(f"no item {item_id}")

    @router.get("/crash")
    def crash() -> None:
        raise RuntimeError("secret internals that must not leak")

    @router.get("/admins-only", dependencies=[Depends(require_role("admin"))])
    def admins_only(user: Annotated[AuthUser, Depends(require_role("admin"))]) -> dict[str, str]:
        return {"role": user.role}

    return router


@pytest.fixture
def probe_client(api_settings: Settings) -> Iterator[TestClient]:
    platform = build_platform(api_settings, passwords=Passwords(TEST_HASHER))
    app = create_app(platform, api_routers=[probe_router()])
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _headers(client: TestClient, user: MadeUser) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(client.app, user)}"}  # type: ignore[arg-type]


def test_every_route_under_api_refuses_requests_without_a_token(probe_client: TestClient) -> None:
    for method, url in [
        ("GET", "/api/probe/actor"),
        ("POST", "/api/probe/items"),
        ("GET", "/api/probe/crash"),
    ]:
        resp = probe_client.request(method, url)
        assert resp.status_code == 401, url
        assert resp.json()["error_id"] == "not-authenticated"


def test_the_tickets_routes_are_mounted_under_api_behind_authentication(api_client: TestClient) -> None:
    app: FastAPI = api_client.app  # type: ignore[assignment]
    inner_contexts = list(iter_route_contexts(tickets_router.routes))
    inner = sorted(str(c.path) for c in inner_contexts)
    originals = [c.original_route for c in inner_contexts]
    mounted = [c for c in iter_route_contexts(app.routes) if any(c.original_route is o for o in originals)]
    assert mounted, "tickets.api.router has no routes yet"
    assert sorted(str(c.path) for c in mounted) == ["/api" + path for path in inner]
    for context in mounted:
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        url = str(context.path).replace("{", "").replace("}", "")  # path parameters get their own names
        for method in sorted(route.methods or ()):
            resp = api_client.request(method, url)
            assert resp.status_code == 401, (method, url, resp.text)


def test_the_tickets_actor_is_the_token_s_user(
    probe_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent", display_name="王小明")
    resp = probe_client.get("/api/probe/actor", headers=_headers(probe_client, user))
    assert resp.status_code == 200
    assert resp.json() == {"username": user.username, "role": "agent", "display_name": "王小明"}


def test_role_dependency_admits_the_role_and_above(
    probe_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    expected = {"agent": (403, 403), "supervisor": (200, 403), "admin": (200, 200)}
    for role, (merge_status, admin_status) in expected.items():
        headers = _headers(probe_client, make_user(role))
        merge = probe_client.post("/api/probe/merge", headers=headers)
        assert merge.status_code == merge_status, role
        if merge_status == 403:
            assert merge.json()["details"] == {"required_role": "supervisor"}
        assert probe_client.get("/api/probe/admins-only", headers=headers).status_code == admin_status


def test_validation_errors_name_each_field_with_the_standard_detail_beside(
    probe_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    headers = _headers(probe_client, make_user("agent"))
    resp = probe_client.post("/api/probe/items", headers=headers, json={"name": "", "count": "many"})
    assert resp.status_code == 422
    body = resp.json()
    assert body["error_id"] == "validation-failed"
    assert {e["field"] for e in body["details"]["errors"]} == {"body.name", "body.count"}
    assert all(e["reason"] for e in body["details"]["errors"])
    assert {tuple(d["loc"]) for d in body["detail"]} == {("body", "name"), ("body", "count")}
    assert "body.count" in body["message"]
    assert (
        probe_client.get("/api/probe/missing/abc", headers=headers).json()["details"]["errors"][0]["field"]
        == "path.item_id"
    )


def test_domain_errors_keep_their_status_id_and_details(
    probe_client: TestClient, make_user: Callable[..., MadeUser]
) -> None:
    headers = _headers(probe_client, make_user("agent"))
    resp = probe_client.get("/api/probe/conflict", headers=headers)
    assert resp.status_code == 409
    assert resp.json() == {
        "error_id": "illegal-transition",
        "message": "ticket REP-000001 is closed",
        "details": {"status": "closed"},
    }
    resp = probe_client.get("/api/probe/missing/7", headers=headers)
    assert resp.status_code == 404
    assert resp.json()["error_id"] == "not-found"


def test_unhandled_errors_are_500_internal_and_logged_without_leaking(
    probe_client: TestClient, make_user: Callable[..., MadeUser], caplog: pytest.LogCaptureFixture
) -> None:
    headers = _headers(probe_client, make_user("agent"))
    resp = probe_client.get("/api/probe/crash", headers=headers)
    assert resp.status_code == 500
    assert resp.json() == {"error_id": "internal", "message": "internal server error", "details": {}}
    assert "secret internals" not in resp.text
    assert any("unhandled error on GET /api/probe/crash" in r.getMessage() for r in caplog.records)


def test_unknown_paths_and_methods_use_the_same_shape(probe_client: TestClient) -> None:
    resp = probe_client.get("/no/such/page")
    assert resp.status_code == 404 and resp.json()["error_id"] == "not-found"
    resp = probe_client.delete("/healthz")
    assert resp.status_code == 405 and resp.json()["error_id"] == "method-not-allowed"


def test_openapi_documents_the_bearer_login(api_client: TestClient) -> None:
    spec = api_client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == (
        "/api/auth/token"
    )
    content = spec["paths"]["/api/auth/token"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/x-www-form-urlencoded", "application/json"}
    assert api_client.get("/docs").status_code == 200


def test_production_refuses_a_short_token_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from config.settings import load_settings

    weak = load_settings(environment="production", ami={"secret": "x" * 32}, api={"secret_key": "short"})
    with pytest.raises(ValueError, match="secret_key"):
        create_app(build_platform(weak))
    strong = load_settings(environment="production", ami={"secret": "x" * 32}, api={"secret_key": "k" * 32})
    assert create_app(build_platform(strong)).state.platform.settings is strong


def test_the_endpoint_list_names_who_may_call_each_route(api_app: FastAPI) -> None:
    from agent_console.endpoints import markdown

    table = markdown(api_app)
    assert "| POST | `/api/auth/token` | public |" in table
    assert "| GET | `/api/auth/me` | token |" in table
    assert "| DELETE | `/api/users/{user_id}` | admin |" in table
    assert "| GET | `/healthz` | public |" in table
    assert "| WS | `/ws/ping` | token |" in table
    assert "`/metrics`" not in table and "`/openapi.json`" not in table


def test_public_routers_run_without_a_token_and_still_see_a_valid_one(
    api_settings: Settings, make_user: Callable[..., MadeUser]
) -> None:
    public = APIRouter(prefix="/open")

    @public.get("/who")
    def who(actor: Annotated[Actor | None, Depends(optional_actor)]) -> dict[str, str | None]:
        return {"username": actor.username if actor else None}

    platform = build_platform(api_settings, passwords=Passwords(TEST_HASHER))
    app = create_app(platform, api_routers=[], public_routers=[public])
    with TestClient(app) as client:
        assert client.get("/api/open/who").json() == {"username": None}
        user = make_user("agent")
        headers = {"Authorization": f"Bearer {token_for(app, user)}"}
        assert client.get("/api/open/who", headers=headers).json() == {"username": user.username}
        bad = client.get("/api/open/who", headers={"Authorization": "Bearer forged"})
        assert bad.status_code == 401 and bad.json()["error_id"] == "invalid-token"


def test_the_api_docs_page_loads_every_asset_from_this_server(api_client: TestClient) -> None:
    import re

    page = api_client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert assets and all(url.startswith("/") and not url.startswith("//") for url in assets), assets
    for url in assets:
        assert api_client.get(url).status_code == 200, url
    assert api_client.get("/redoc").status_code == 404  # ReDoc would load from a CDN
