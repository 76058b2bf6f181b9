"""The ACD on the running platform with the bundled PBX: 30 callers with different skills and
priorities waiting in the holding dialplan against 6 simulated agent phones. Every call reaches
an agent with the right skill, VIP calls before standard ones, and a ring-no-answer puts the call
back at the head of its queue. Calls end through the platform's own events (the agent phone's
device state going idle ends the call for the ACD), so the agents take the next calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from callcenter.platform import build_platform
from ivr.ports import RouteRequest
from routing import messages as m
from routing.events import LogIn, Pause, Unpause
from telephony.ami import AmiClient
from tests.fixtures.pbx import PbxHandle
from tests.routing.acd_pbx import acd_settings, add_users, new_call_id, phone, place_waiting_caller, until
from tests.telephony.control.calls import hang_up_all, unique_extension, unique_number

# Telephony behaviour, on the embedded database only: what the ACD stores is tested on both
# backends in tests/routing and tests/callcenter's record tests.
pytestmark = [pytest.mark.pbx, pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)]

GENERAL = ("gen1", "gen2", "gen3")
BILLING = ("bill1", "bill2", "bill3")


def _document(extensions: dict[str, str]) -> dict[str, Any]:
    queue = {"ring_timeout": 4, "wrapup_seconds": 0, "max_wait": 300, "announce_interval": 0}
    return {
        "priority": {"tiers": {"vip": 30}},
        "missed_retry_seconds": 1,
        "queues": {"general": {"skills": {"general": 1}, **queue},
                   "billing": {"skills": {"billing": 5}, **queue}},
        "agents": {
            **{name: {"extension": extensions[name], "skills": {"general": 4}, "queues": ["general"]}
               for name in GENERAL},
            **{name: {"extension": extensions[name], "skills": {"billing": 7}, "queues": ["billing"]}
               for name in BILLING},
        },
    }




async def test_thirty_callers_reach_agents_with_their_skill_vip_first_and_a_missed_call_goes_back_to_the_head(
        pbx: PbxHandle, fresh_db_url: str, tmp_path: Path) -> None:
    extensions = {name: unique_extension() for name in (*GENERAL, *BILLING)}
    add_users(fresh_db_url, extensions)
    settings = acd_settings(pbx, fresh_db_url, tmp_path, _document(extensions))
    platform = build_platform(settings, ami=True, record_calls=False)
    assert platform.acd is not None and platform.acd_runtime is not None and platform.telephony is not None
    runtime = platform.acd_runtime
    service, distributor = platform.acd, runtime.distributor
    seen: list[object] = []
    channels: list[str] = []
    async with platform.running():
        subscription = platform.bus.subscribe("test", m.CallOffered, m.CallAnswered, m.OfferMissed)
        ami: AmiClient = platform.telephony.ami
        await ami.wait_connected(timeout=20)
        try:
            for name, ext in extensions.items():
                await phone(ami, ext, mode="noanswer" if name == "bill1" else "answer", ring=0.5, talk=1)
                await service.submit(LogIn(name))
                await service.submit(Pause(name, "setup"))
            calls: dict[str, tuple[str, bool]] = {}  # call id → queue, vip
            for n in range(30):
                queue, vip = ("general", "billing")[n % 2], n % 3 == 0
                call_id, number = new_call_id(), unique_number()
                channels.append(await place_waiting_caller(ami, call_id, number))
                await until(lambda c=call_id: runtime.caller_channel(c), 10, "the caller tracked")
                target = await distributor.route(RouteRequest(call_id=call_id, queue=queue, caller=number,
                                                              tier="vip" if vip else None))
                assert target is not None and target.dialplan == "cc-acd-wait,s,1"
                calls[call_id] = (queue, vip)

            def drain() -> list[object]:
                while subscription.queued:
                    seen.append(subscription.get_nowait())
                return seen

            await service.submit(Unpause("bill1"))  # alone: offered the head billing call, does not answer
            await until(lambda: any(isinstance(x, m.OfferMissed) for x in drain()), 20,
                         "bill1's miss")
            missed = next(x for x in seen if isinstance(x, m.OfferMissed))
            await phone(ami, extensions["bill1"], ring=0.5, talk=1)
            for name in (*GENERAL, "bill2", "bill3", "bill1"):
                await service.submit(Unpause(name))

            def answered() -> dict[str, str]:
                drain()
                return {x.call_id: x.agent_id for x in seen if isinstance(x, m.CallAnswered)}

            await until(lambda: len(answered()) == 30, 50, "all 30 calls answered")
        finally:
            subscription.close()
            await hang_up_all(ami, *channels)
    by_agent = answered()
    for call_id, (queue, _vip) in calls.items():
        assert by_agent[call_id] in (GENERAL if queue == "general" else BILLING), call_id
    offers = [x for x in seen if isinstance(x, m.CallOffered)]
    for queue in ("general", "billing"):
        first = list(dict.fromkeys(o.call_id for o in offers if o.queue == queue))
        flags = [calls[c][1] for c in first]
        assert flags == sorted(flags, reverse=True), f"{queue}: a standard call was offered before a VIP one"
    assert missed.agent_id == "bill1" and calls[missed.call_id] == ("billing", True)
    after = [o for o in offers if o.queue == "billing" and o.at >= missed.at]
    assert after[0].call_id == missed.call_id  # back at the head: the next billing offer
    assert after[0].agent_id != "bill1"
