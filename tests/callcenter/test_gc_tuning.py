"""callcenter.gc_tuning: the lifespan wrapper of ``serve`` freezes what startup built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from callcenter import gc_tuning


@pytest.fixture
def collector() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


async def test_when_the_lifespan_reports_startup_complete_then_the_objects_alive_are_frozen(
    collector: None,
) -> None:
    frozen_at_startup: list[int] = []
    sent: list[dict[str, Any]] = []
    built = [object() for _ in range(3)]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "lifespan.startup.complete"})

    async def send(message: Any) -> None:
        frozen_at_startup.append(gc.get_freeze_count())
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    await gc_tuning.after_startup(app)({"type": "lifespan"}, receive, send)
    assert sent == [{"type": "lifespan.startup.complete"}]
    assert frozen_at_startup[0] > len(built)  # frozen before the server is told startup is done


async def test_requests_pass_through_untouched(collector: None) -> None:
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)
        await send({"type": "http.response.start", "status": 204})

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    scope = {"type": "http", "path": "/healthz"}
    await gc_tuning.after_startup(app)(scope, receive, send)
    assert seen == [scope] and sent == [{"type": "http.response.start", "status": 204}]
    assert gc.get_freeze_count() == 0
