"""The holding dialplan's callback key on the bundled PBX: a waiting caller presses 5, the platform's
FastAGI route ``acd`` takes the call out of distribution, the caller hears the goodbye in
``cc-acd-callback`` and the callback is a ticket in the record."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from ivr.ports import RouteRequest
from routing.events import LogIn, Pause
from telephony.ami import Message
from telephony.control import DialplanTarget, originate
from tests.fixtures.pbx import PbxHandle
from tests.routing.acd_pbx import acd_settings, add_users, new_call_id, started_platform
from tests.telephony.control.calls import hang_up_all, unique_extension, unique_number
from tickets.models.tickets import Ticket

# Telephony behaviour, on the embedded database only: what the ACD stores is tested on both
# backends in tests/routing and tests/callcenter's record tests.
pytestmark = [pytest.mark.pbx, pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)]


async def test_the_callback_key_takes_the_caller_out_of_the_queue_and_books_the_callback(
        pbx: PbxHandle, fresh_db_url: str, tmp_path: Path) -> None:
    ext = unique_extension()
    add_users(fresh_db_url, {"ann": ext})
    document = {"queues": {"q": {"max_wait": 300}}, "agents": {"ann": {"extension": ext, "queues": ["q"]}}}
    platform, running = await started_platform(acd_settings(pbx, fresh_db_url, tmp_path, document))
    steps: list[Message] = []
    channel = ""
    assert platform.acd is not None and platform.acd_runtime is not None and platform.telephony is not None
    ami = platform.telephony.ami
    try:
        await ami.wait_connected(timeout=20)

        def on_step(event: Message) -> None:
            steps.append(event)

        ami.subscribe("Newexten", on_step)
        await platform.acd.submit(LogIn("ann"))
        await platform.acd.submit(Pause("ann", "meeting"))
        call_id, number = new_call_id(), unique_number()
        placed = await originate(ami, "Local/s@sim-caller", DialplanTarget("cc-acd-wait", "s", 1),
                                 caller_id_number=number, channel_id=call_id,
                                 variables={"SIM_DELAY": "4", "SIM_DTMF": "5", "SIM_TALK": "30"})
        channel = placed.channel
        deadline = time.monotonic() + 10
        while platform.acd_runtime.caller_channel(call_id) is None:
            assert time.monotonic() < deadline, "the caller is not tracked"
            await asyncio.sleep(0.05)
        target = await platform.acd_runtime.distributor.route(RouteRequest(call_id=call_id, queue="q",
                                                                           caller=number))
        assert target is not None and target.dialplan == "cc-acd-wait,s,1"

        def booked() -> Ticket | None:
            with platform.sessions() as session:
                return session.scalar(select(Ticket).where(Ticket.category == "callback"))

        deadline = time.monotonic() + 30
        while not (any(e.get("Channel") == channel and e.get("Context") == "cc-acd-callback" for e in steps)
                   and await asyncio.to_thread(booked) is not None):
            contexts = [e.get("Context") for e in steps if e.get("Channel") == channel]
            assert time.monotonic() < deadline, contexts[-5:]
            await asyncio.sleep(0.2)
        assert call_id not in platform.acd.core.calls
        ticket = await asyncio.to_thread(booked)
        assert ticket is not None and number in ticket.subject
    finally:
        if channel:
            await hang_up_all(ami, channel)
        await running.__aexit__(None, None, None)
