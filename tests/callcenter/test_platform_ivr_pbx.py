"""The assembled platform on the bundled PBX: a known caller walks the shipped IVR flow over the
platform's own FastAGI server, waits in the queue, talks to an agent, answers the survey; the
record shows the call with its IVR path, queue, agent and survey score."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.platform import Platform, build_platform
from config.settings import load_settings
from telephony.ami import Message
from telephony.pbx.simulate import caller_originate
from tickets.customers.schemas import CustomerCreate
from tickets.customers.service import create_customer
from tickets.db import unit_of_work
from tickets.models import Interaction, IvrJourney

GAP = "wwww"  # 2 s between key presses: each menu is listening by then
CALLER = "13911112222"
OPEN = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


async def _wait_for(predicate: Any, within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = await asyncio.to_thread(predicate)
        if result:
            return result
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def _start_with_retry(build: Callable[[], Platform]) -> tuple[Platform, Any]:
    """Another test session's FastAGI server may hold the test port for a moment: a platform that
    failed to start is not started again, a new one is built."""
    deadline = time.monotonic() + 60
    while True:
        platform = build()
        running = platform.running()
        try:
            await running.__aenter__()
            return platform, running
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def _business_hours(platform: Platform) -> Platform:
    """Business hours whatever the time of the test: a Tuesday, 10:00 in Shanghai."""
    assert platform.ivr is not None
    handler = platform.ivr.handler
    handler.ports = replace(handler.ports, clock=lambda: OPEN)
    return platform


# On the demo's embedded database only: the same walk through the ACD runs on both backends in
# test_acd_ivr_pbx.py, and each backend's record writes have tests of their own.
@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_a_known_caller_walks_the_ivr_reaches_an_agent_and_the_record_keeps_the_path_and_survey(
    pbx: Any, fresh_db_url: str
) -> None:
    settings = load_settings(
        database_url=fresh_db_url,
        ami=pbx.settings.ami.model_dump(),
        agi=pbx.settings.agi.model_dump(),
        pbx=pbx.settings.pbx.model_dump(),
    )
    with unit_of_work(build_platform(settings).sessions) as session:
        customer_id = create_customer(
            session, data=CustomerCreate(display_name="周芷若", phones=[CALLER], tier="gold")
        ).id
    platform, running = await _start_with_retry(
        lambda: _business_hours(build_platform(settings, ami=True, agi=True))
    )
    try:
        assert platform.telephony is not None
        ami = platform.telephony.ami
        await ami.wait_connected(timeout=20)
        connected: dict[str, Message] = {}

        def on_agent_connect(event: Message) -> None:
            connected.setdefault(event.get("CallerIDNum", ""), event)

        ami.subscribe("AgentConnect", on_agent_connect)
        # Mandarin, inquiry, survey yes; once connected, a score of 4 after the agent hangs up.
        # The second key waits out the greeting by name (keys during a greeting are not menu choices).
        dtmf = "1" + "w" * 16 + "1" + "w" * 6 + "1" + "w" * 30 + "4"
        action = caller_originate("8610900", number=CALLER, name="周芷若", dtmf=dtmf, delay=3, talk=60)
        await ami.send_action(action.pop("Action"), action, check=True)
        await _wait_for(lambda: CALLER in connected, 90, "the caller to reach an agent")
        await ami.send_action("Hangup", {"Channel": connected[CALLER]["DestChannel"]})  # the agent hangs up

        def scored() -> Interaction | None:
            with platform.sessions() as session:
                row = session.scalar(select(Interaction).where(Interaction.customer_id == customer_id))
                return row if row is not None and row.survey_score is not None and row.ended_at else None

        call = await _wait_for(scored, 90, "the survey score on the ended call")
        assert call.survey_score == 4 and call.queue == "fallback" and call.answered_at is not None
        assert call.ivr_path and call.ivr_path[0] == "language"
        with platform.sessions() as session:
            journey = session.scalar(select(IvrJourney).where(IvrJourney.call_id == call.external_id))
            assert journey is not None and journey.outcome == "route" and journey.flow
    finally:
        await running.__aexit__(None, None, None)
