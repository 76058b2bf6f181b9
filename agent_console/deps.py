"""The platform of a request: ``PlatformDep`` is how the web app's routes reach the running platform.

``create_app(platform)`` keeps the platform on the app; this module is the one place that reads it
back, typed. Routers of the domain packages (tickets ...) take narrow dependencies of their own
(``tickets.deps.get_sessions`` ...), which ``create_app`` fills from the same platform.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from callcenter.platform import Platform


def platform_of(conn: HTTPConnection) -> Platform:
    platform: Platform = conn.app.state.platform
    return platform


async def _platform(conn: HTTPConnection) -> Platform:  # async: no thread-pool hop per request
    return platform_of(conn)


PlatformDep = Annotated[Platform, Depends(_platform)]
