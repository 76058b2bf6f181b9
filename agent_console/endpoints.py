"""The endpoint list of docs/api.md, generated from the routers: ``python -m agent_console.endpoints``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts

from agent_console.auth.deps import get_current_user, optional_user

PUBLIC = "public"


def role_by_route(app: FastAPI) -> dict[tuple[str, str], str]:
    """The role a route requires, read from its dependencies (``require_<role>``), else token/public."""
    found: dict[tuple[str, str], str] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        names = _dependency_names(context, app.dependency_overrides)
        access = next((r for r in ("admin", "supervisor") if f"require_{r}" in names), None)
        if access is None and get_current_user.__name__ in names:
            access = "token"
        elif access is None:
            access = "token or own check" if optional_user.__name__ in names else PUBLIC
        for method in route.methods or ():
            found[(method, str(context.path))] = access
    return found


def _dependency_names(context: object, overrides: dict[Any, Any]) -> set[str]:
    names: set[str] = set()
    dependant = getattr(getattr(context, "_route_context", None), "dependant", None) or getattr(
        getattr(context, "original_route", None), "dependant", None
    )
    stack = [dependant] if dependant is not None else []
    while stack:
        current = stack.pop()
        call = getattr(current, "call", None)
        if call is not None:
            names.add(getattr(call, "__name__", ""))
            names.add(getattr(overrides.get(call), "__name__", ""))
        stack.extend(getattr(current, "dependencies", []))
    return names


def markdown(app: FastAPI) -> str:
    roles = role_by_route(app)
    spec = app.openapi()
    lines = ["| method | path | who | what |", "|---|---|---|---|"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            who = roles.get((method.upper(), path), PUBLIC)
            lines.append(f"| {method.upper()} | `{path}` | {who} | {operation.get('summary', '')} |")
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIWebSocketRoute):
            lines.append(f"| WS | `{context.path}` | token | websocket |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from agent_console.app import create_app
    from callcenter.platform import build_platform
    from config.settings import get_settings

    print(markdown(create_app(build_platform(get_settings()))), end="")
