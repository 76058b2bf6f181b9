"""The IVR hands a caller to the ACD on the bundled PBX: a known caller walks the shipped flow over
the platform's FastAGI server (agreeing to the survey), waits in the ACD's holding dialplan, is
bridged to the agent the ACD chose, and after the agent hangs up goes on to the IVR's survey, whose
score is stored on the call's interaction in the record."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from routing import messages as m
from routing.events import LogIn
from telephony.ami import Message
from telephony.pbx.simulate import caller_originate
from tests.fixtures.pbx import PbxHandle
from tests.routing.acd_pbx import acd_settings, add_users, phone, started_platform
from tests.telephony.control.calls import unique_extension, unique_number
from tickets.customers.schemas import CustomerCreate
from tickets.customers.service import create_customer
from tickets.db import unit_of_work
from tickets.models import Interaction

# On the embedded database: the interaction writes (survey score, queue, agent) are tested on both
# backends in tests/callcenter's record tests; this walk is telephony.
pytestmark = [pytest.mark.pbx, pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)]

SKILLS = ("vip", "inquiry", "general", "repair", "complaint")  # what the shipped flow may require
OPEN = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai: business hours


async def test_an_ivr_caller_waits_for_the_acd_reaches_its_agent_and_the_survey_score_is_stored(
        pbx: PbxHandle, fresh_db_url: str, tmp_path: Path) -> None:
    ext, caller = unique_extension(), unique_number()
    add_users(fresh_db_url, {"ann": ext})
    document = {"queues": {"default": {"wrapup_seconds": 0, "max_wait": 300}},
                "agents": {"ann": {"extension": ext, "queues": ["default"], "languages": ["zh", "en"],
                                   "skills": dict.fromkeys(SKILLS, 5)}}}
    platform, running = await started_platform(acd_settings(pbx, fresh_db_url, tmp_path, document),
                                               record_calls=True)
    try:
        assert platform.ivr is not None and platform.acd is not None and platform.telephony is not None
        platform.ivr.handler.ports = replace(platform.ivr.handler.ports, clock=lambda: OPEN)
        with unit_of_work(platform.sessions) as session:  # a known caller: greeted by name
            customer_id = create_customer(
                session, data=CustomerCreate(display_name="周芷若", phones=[caller], tier="gold")).id
        ami = platform.telephony.ami
        await ami.wait_connected(timeout=20)
        subscription = platform.bus.subscribe("test", m.CallAnswered)
        steps: list[Message] = []

        def on_step(event: Message) -> None:
            if "sim-caller" in event.get("Channel", ""):
                steps.append(event)

        ami.subscribe("Newexten", on_step)
        await phone(ami, ext, ring=1, talk=3)
        await platform.acd.submit(LogIn("ann"))
        dtmf = "1" + "w" * 16 + "1" + "w" * 6 + "1"  # Mandarin, inquiry, survey yes
        action = caller_originate("8610900", number=caller, name="周芷若", dtmf=dtmf, delay=3, talk=30)
        await ami.send_action(action.pop("Action"), action, check=True)

        def survey_started() -> list[Message]:
            return [e for e in steps if e.get("Context") == "cc-acd-after" and e.get("Application") == "AGI"]

        deadline = time.monotonic() + 60
        while not survey_started():
            seen = [f"{e.get('Context')} {e.get('AppData')}" for e in steps]
            assert time.monotonic() < deadline, seen[-10:]
            await asyncio.sleep(0.2)
        answered = [subscription.get_nowait() for _ in range(subscription.queued)]
        subscription.close()
        call_id = answered[0].call_id
        assert [(a.call_id, a.agent_id, a.queue) for a in answered] == [(call_id, "ann", "default")]
        contexts = [e.get("Context") for e in steps if e.get("Channel", "").endswith(";1")]
        assert "cc-acd-wait" in contexts and "cc-acd-fallback" not in contexts
        assert survey_started()[0].get("AppData", "").endswith(f"?survey=1&flow=default&call={call_id}")
        # the caller keys a score of 4 from its side (the ;2 half sends it to the survey's AGI)
        caller_side = survey_started()[0]["Channel"].replace(";1", ";2")

        def scored() -> Interaction | None:
            with platform.sessions() as session:
                row = session.scalar(select(Interaction).where(Interaction.external_id == call_id))
                return row if row is not None and row.survey_score is not None else None

        deadline = time.monotonic() + 40
        while (call := await asyncio.to_thread(scored)) is None:
            assert time.monotonic() < deadline, "no survey score on the call's interaction"
            await ami.send_action("PlayDTMF", {"Channel": caller_side, "Digit": "4", "Duration": "120"})
            await asyncio.sleep(1.5)
        assert call.survey_score == 4 and call.customer_id == customer_id and call.answered_at is not None
    finally:
        await running.__aexit__(None, None, None)
