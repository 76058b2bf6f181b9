"""The ACD's holding dialplan on the bundled PBX: a caller waiting for the engine hears its position
and estimated wait (set by the engine's announcements) and stays in ``cc-acd-wait`` while the
engine's heartbeat is fresh."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from callcenter.platform import build_platform
from ivr.ports import RouteRequest
from routing.events import LogIn, Pause
from telephony.ami import Message
from tests.fixtures.pbx import PbxHandle
from tests.routing.acd_pbx import acd_settings, add_users, new_call_id, place_waiting_caller
from tests.telephony.control.calls import hang_up_all, unique_extension, unique_number

# Telephony behaviour, on the embedded database only: what the ACD stores is tested on both
# backends in tests/routing and tests/callcenter's record tests.
pytestmark = [pytest.mark.pbx, pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)]


async def test_a_waiting_caller_hears_position_and_wait_and_stays_while_the_engine_is_alive(
        pbx: PbxHandle, fresh_db_url: str, tmp_path: Path) -> None:
    ext = unique_extension()
    add_users(fresh_db_url, {"ann": ext})
    document = {"queues": {"q": {"announce_interval": 2, "max_wait": 300}},
                "agents": {"ann": {"extension": ext, "queues": ["q"]}}}
    settings = acd_settings(pbx, fresh_db_url, tmp_path, document)
    platform = build_platform(settings, ami=True, record_calls=False)
    assert platform.acd is not None and platform.acd_runtime is not None and platform.telephony is not None
    steps: list[Message] = []

    def on_step(event: Message) -> None:
        steps.append(event)

    async with platform.running():
        ami = platform.telephony.ami
        await ami.wait_connected(timeout=20)
        ami.subscribe("Newexten", on_step)
        await platform.acd.submit(LogIn("ann"))
        await platform.acd.submit(Pause("ann", "meeting"))  # logged in, not taking calls: the caller waits
        call_id = new_call_id()
        channel = await place_waiting_caller(ami, call_id, unique_number())
        try:
            deadline = time.monotonic() + 10
            while platform.acd_runtime.caller_channel(call_id) is None:
                assert time.monotonic() < deadline, "the caller is not tracked"
                await asyncio.sleep(0.05)
            target = await platform.acd_runtime.distributor.route(RouteRequest(call_id=call_id, queue="q",
                                                                               caller="1"))
            assert target is not None and target.dialplan == "cc-acd-wait,s,1"

            def mine(app: str) -> list[Message]:
                return [e for e in steps if e.get("Channel") == channel and e.get("Application") == app]

            deadline = time.monotonic() + 20
            while len(mine("Playback")) < 2:
                assert time.monotonic() < deadline, "no position announced"
                await asyncio.sleep(0.1)
            # the only agent is paused: no estimated wait, so none is said
            assert [e.get("AppData") for e in mine("Playback")] == ["queue-thereare", "queue-callswaiting"]
            assert mine("SayNumber")[0].get("AppData") == "1"  # first in line
            assert not [e for e in mine("Queue") if e.get("Context") == "cc-acd-fallback"]
            assert platform.acd.core.calls[call_id].status.value == "waiting"
        finally:
            await hang_up_all(ami, channel)
