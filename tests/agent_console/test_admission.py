"""Bounded admission: past the configured line of waiting requests the API answers 503 with
Retry-After at once; below it every request is served; never a hang or a 500."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from agent_console.admission import RequestAdmission
from agent_console.app import create_app
from callcenter.platform import Platform, build_platform
from config.settings import load_settings
from tests.agent_console.live_server import serve_in_thread
from tests.fixtures.api import TEST_HASHER, TEST_SECRET
from tickets.users.passwords import Passwords

SLOW_QUERY_SECONDS = 0.3


def test_given_a_full_line_when_one_more_request_comes_then_it_is_refused_at_once() -> None:
    async def scenario() -> None:
        line = RequestAdmission(max_active=1, max_waiting=1, queue_timeout=5)
        assert await line.enter()  # served
        waiting = asyncio.create_task(line.enter())  # waits in line
        await asyncio.sleep(0)
        assert await line.enter() is False  # the line is full: refused without waiting
        assert (line.stats.refused, line.stats.timed_out) == (1, 0)
        line.leave()
        assert await waiting is True  # the one in line gets the freed slot
        line.leave()
        assert line.stats.refused == 1 and line.stats.active == 0

    asyncio.run(scenario())


def test_given_a_slot_that_never_frees_when_waiting_then_the_wait_ends_refused() -> None:
    async def scenario() -> None:
        line = RequestAdmission(max_active=1, max_waiting=5, queue_timeout=0.05)
        assert await line.enter()
        assert await line.enter() is False
        assert line.stats.timed_out == 1 and line.stats.waiting == 0

    asyncio.run(scenario())


def test_given_urgent_and_other_requests_waiting_then_freed_slots_go_to_the_urgent_first_each_line_in_order(
) -> None:
    async def scenario() -> None:
        line = RequestAdmission(max_active=1, max_waiting=10, queue_timeout=5)
        assert await line.enter()
        served: list[str] = []

        async def request(name: str, urgent: bool) -> None:
            assert await line.enter(urgent=urgent)
            served.append(name)
            await asyncio.sleep(0)
            line.leave(urgent=urgent)

        tasks = [asyncio.create_task(request(name, urgent)) for name, urgent in
                 (("list-1", False), ("pop-1", True), ("create-1", False), ("pop-2", True))]
        await asyncio.sleep(0.01)
        assert line.stats.waiting == 4
        line.leave()
        await asyncio.gather(*tasks)
        assert served == ["pop-1", "pop-2", "list-1", "create-1"]
        assert (line.stats.active, line.stats.waiting) == (0, 0)

    asyncio.run(scenario())


def test_given_the_other_requests_hold_every_slot_then_a_screen_pop_still_gets_in_at_once() -> None:
    async def scenario() -> None:
        line = RequestAdmission(max_active=2, max_waiting=10, queue_timeout=5, urgent_reserved=1)
        assert await line.enter() and await line.enter()  # two writes waiting for the disk
        third = asyncio.create_task(line.enter())  # a third waits: the slot left is the screen pop's
        await asyncio.sleep(0.01)
        assert not third.done() and line.stats.waiting == 1
        assert await line.enter(urgent=True)  # the screen pop: in at once
        line.leave(urgent=True)  # the screen pop is done: its slot is still not the others'
        await asyncio.sleep(0.01)
        assert not third.done()
        line.leave()  # a write is done: the waiting one takes its slot
        assert await third is True
        assert (line.stats.active, line.stats.waiting) == (2, 0)
        line.leave()
        line.leave()
        assert line.stats.active == 0

    asyncio.run(scenario())


def test_given_a_waiter_that_goes_away_then_its_place_and_any_slot_it_was_given_pass_on() -> None:
    async def scenario() -> None:
        line = RequestAdmission(max_active=1, max_waiting=10, queue_timeout=5)
        assert await line.enter()
        gone = asyncio.create_task(line.enter())
        after = asyncio.create_task(line.enter())
        await asyncio.sleep(0)
        gone.cancel()  # the client hung up while waiting
        await asyncio.sleep(0)
        line.leave()
        assert await after is True
        assert (line.stats.active, line.stats.waiting) == (1, 0)
        # handed a slot and cancelled before it ran: the slot passes to the next one
        handed = asyncio.create_task(line.enter())
        last = asyncio.create_task(line.enter())
        await asyncio.sleep(0)
        line.leave()  # hands the slot to `handed`, which has not run yet
        handed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await handed
        assert await last is True
        line.leave()
        assert (line.stats.active, line.stats.waiting) == (0, 0)

    asyncio.run(scenario())


def test_given_a_waiter_whose_wait_ran_out_then_the_counts_stay_right() -> None:
    async def scenario() -> None:
        line = RequestAdmission(max_active=1, max_waiting=10, queue_timeout=0.05)
        assert await line.enter()
        assert list(await asyncio.gather(line.enter(), line.enter(urgent=True))) == [False, False]
        assert (line.stats.active, line.stats.waiting, line.stats.timed_out) == (1, 0, 2)
        line.leave()
        assert await line.enter()  # a free slot is taken at once again
        line.leave()
        assert line.stats.active == 0

    asyncio.run(scenario())


@pytest.fixture
def slow_api(db_url: str) -> Iterator[tuple[str, Platform]]:
    """The API with 2 active + 3 waiting requests allowed, each ticket query taking 0.3 s."""
    settings = load_settings(
        database_url=db_url,
        api={"secret_key": TEST_SECRET, "max_active_requests": 2, "max_waiting_requests": 3,
             "queue_timeout_seconds": 30},
    )
    platform = build_platform(settings, passwords=Passwords(TEST_HASHER))

    def slow(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM tickets" in statement:
            time.sleep(SLOW_QUERY_SECONDS)

    event.listen(platform.engine, "before_cursor_execute", slow)
    with serve_in_thread(create_app(platform)) as base:
        yield base, platform


def _get_all(base: str, headers: dict[str, str], n: int) -> list[httpx.Response]:
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client, ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _i: client.get("/api/tickets"), range(n)))


def test_given_more_requests_than_the_line_holds_then_the_rest_get_503_with_retry_after(
    slow_api: tuple[str, Platform], auth_headers: Callable[..., dict[str, str]]
) -> None:
    base, _platform = slow_api
    responses = _get_all(base, auth_headers("agent"), 30)
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {200, 503}, codes
    refused = [r for r in responses if r.status_code == 503]
    assert refused, "30 requests at once on a line of 2 + 3 must refuse some"
    assert all(r.headers.get("retry-after", "").isdigit() for r in refused)
    assert all(r.json()["error_id"] == "busy" for r in refused)
    assert codes.count(200) >= 5


def test_given_requests_within_the_bound_then_every_one_is_served(
    slow_api: tuple[str, Platform], auth_headers: Callable[..., dict[str, str]]
) -> None:
    base, _platform = slow_api
    responses = _get_all(base, auth_headers("agent"), 5)
    assert [r.status_code for r in responses] == [200] * 5
