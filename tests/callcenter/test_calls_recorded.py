"""A real call through the bundled PBX lands in the customer record as an interaction.

The app runs with the AMI link lifespan; no FastAGI server listens, so the dialplan's fallback queue
serves the caller through a simulated agent phone. The interaction must name the known customer,
the agent who answered, and carry wait and talk times.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import select

from agent_console.app import create_app
from callcenter.platform import build_platform
from config.settings import load_settings
from telephony.ami import AmiClient
from telephony.pbx.simulate import caller_originate
from tickets.customers.schemas import CustomerCreate
from tickets.customers.service import create_customer
from tickets.db import unit_of_work
from tickets.models import Interaction
from tickets.users.models import User

CALLER_NUMBER = "13800138000"
CALLER_NAME = "张三丰"


async def _wait_for(predicate: Any, within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = await asyncio.to_thread(predicate)
        if result:
            return result
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def test_given_known_caller_when_call_is_answered_by_agent_then_interaction_is_recorded(
    pbx: Any, fresh_db_url: str
) -> None:
    settings = load_settings(
        database_url=fresh_db_url, ami=pbx.settings.ami.model_dump(), agi=pbx.settings.agi.model_dump()
    )
    app = create_app(build_platform(settings, ami=True))
    async with app.router.lifespan_context(app):
        with unit_of_work(app.state.platform.sessions) as session:
            customer_id = create_customer(
                session, data=CustomerCreate(display_name=CALLER_NAME, phones=[CALLER_NUMBER], tier="vip")
            ).id
            # The agent whose phone is 1001 has a login: calls they take are recorded by username.
            session.add(
                User(
                    username="agent_1001",
                    display_name="王小明",
                    role="agent",
                    password_hash="x",
                    extension="1001",
                )
            )
        client: AmiClient = app.state.platform.telephony.ami
        await client.wait_connected(timeout=15)
        checks = {result.name: result.ok for result in await app.state.platform.readiness.run()}
        assert checks == {"database": True, "ami": True}

        action = caller_originate("4100", number=CALLER_NUMBER, name=CALLER_NAME, delay=0.5, talk=3)
        result = await client.send_action(action.pop("Action"), action)
        assert result.response.get("Response") == "Success", result.response

        def ended() -> Interaction | None:
            with app.state.platform.sessions() as session:
                found: Interaction | None = session.scalars(
                    select(Interaction).where(
                        Interaction.customer_id == customer_id, Interaction.ended_at.is_not(None)
                    )
                ).first()
                return found

        interaction = await _wait_for(ended, 40, "the call's interaction to end")
        assert interaction.channel == "phone"
        assert interaction.direction == "inbound"
        assert interaction.address == "+86" + CALLER_NUMBER
        assert interaction.queue == "fallback"
        # Extensions with a login are recorded as the agent's username; others as the extension.
        assert interaction.agent in {"agent_1001"} | {f"100{n}" for n in range(2, 7)}
        assert interaction.answered_at is not None
        assert interaction.wait_seconds is not None and interaction.wait_seconds >= 0
        assert interaction.talk_seconds is not None and interaction.talk_seconds >= 1
        assert interaction.hangup_cause
        assert app.state.platform.telephony.recorder.failed == 0
