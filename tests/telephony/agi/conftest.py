"""Fixtures for FastAGI protocol tests: a server on a free port, closed and checked for leaks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest

from telephony.agi import AgiHandler, FastAgiServer

ServerFactory = Callable[..., Awaitable[FastAgiServer]]


async def wait_until(condition: Callable[[], bool], deadline: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.01)


@pytest.fixture
async def make_server() -> AsyncIterator[ServerFactory]:
    servers: list[FastAgiServer] = []

    async def factory(routes: Mapping[str, AgiHandler] | None = None, **options: Any) -> FastAgiServer:
        server = FastAgiServer("127.0.0.1", 0, routes, **options)
        await server.start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        await server.close()
        assert server.live_sessions == 0
