"""An engine restart while callers wait in the holding dialplan, on the bundled PBX: the callers
entered through the first engine are adopted by the next one (started before the heartbeat went
stale) with their attributes and entry time, and reach the agent in the one ordering (VIP first,
then in arrival order); an agent whose phone is busy on a call the engine did not place (as on a
fallback-queue call) is not offered any of them. A caller found without attributes goes to the
fallback queue; one whose agent leg from before still rings waits until it stops. And the codec
the distributor leaves on the caller's channel."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import pytest

from callcenter.adapters.routing_adoption import CALL_VARIABLE, decode_call, encode_call
from callcenter.platform import Platform, build_platform
from ivr.ports import RouteRequest
from routing import messages as m
from routing.domain import CallAttributes
from routing.events import CallEntered, LogIn, Pause
from telephony.ami import AmiClient
from telephony.control import ApplicationTarget, get_variable, hangup, local_channel, originate
from tests.fixtures.pbx import PbxHandle
from tests.routing.acd_pbx import acd_settings, add_users, new_call_id, phone, place_waiting_caller, until
from tests.routing.builders import T0, skills
from tests.telephony.ami.pbxtools import client_for
from tests.telephony.control.calls import hang_up_all, unique_extension, unique_number

# Telephony behaviour, on the embedded database only: what the ACD stores is tested on both
# backends in tests/routing and tests/callcenter's record tests.
ONE_BACKEND = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)




def _parts(platform: Platform) -> tuple[Any, Any, AmiClient]:
    assert platform.acd is not None and platform.acd_runtime is not None and platform.telephony is not None
    return platform.acd, platform.acd_runtime, platform.telephony.ami


@pytest.mark.pbx
@ONE_BACKEND
async def test_callers_waiting_through_a_restart_are_adopted_and_served_in_order_never_by_a_busy_agent(
        pbx: PbxHandle, fresh_db_url: str, tmp_path: Path) -> None:
    extensions = {"busy": unique_extension(), "free": unique_extension()}
    add_users(fresh_db_url, extensions)
    document = {"priority": {"tiers": {"vip": 30}},
                "queues": {"q": {"wrapup_seconds": 0, "max_wait": 300, "announce_interval": 0,
                                 "ring_timeout": 5}},
                "agents": {name: {"extension": ext, "queues": ["q"]} for name, ext in extensions.items()}}
    settings = acd_settings(pbx, fresh_db_url, tmp_path, document, heartbeat_ttl=30)
    first = build_platform(settings, ami=True, record_calls=False)
    service, runtime, ami = _parts(first)
    tiers = {"c1": None, "c2": None, "c3": "vip", "c4": None}
    ids: dict[str, str] = {}
    channels: list[str] = []
    probe = client_for(pbx)
    async with probe:
        try:
            async with first.running():
                await ami.wait_connected(timeout=20)
                for name in extensions:
                    await service.submit(LogIn(name))
                    await service.submit(Pause(name, "before the restart"))
                for name, tier in tiers.items():
                    call_id, number = new_call_id(), unique_number()
                    ids[name] = call_id
                    channels.append(await place_waiting_caller(probe, call_id, number))
                    await until(lambda c=call_id: runtime.caller_channel(c), 10, "the caller tracked")
                    target = await runtime.distributor.route(RouteRequest(call_id=call_id, queue="q",
                                                                          caller=number, tier=tier))
                    assert target is not None and target.dialplan == "cc-acd-wait,s,1"
                # the "busy" agent's phone is taken by a call the engine did not place
                await phone(probe, extensions["busy"], ring=0.2, talk=60)
                busy_leg = await originate(probe, local_channel(extensions["busy"], "agent-phones"),
                                           ApplicationTarget("Wait", "60"))
                channels.append(busy_leg.channel)
                await phone(probe, extensions["free"], ring=0.3, talk=0.5)
            # the first engine is gone; its heartbeat is still fresh: the callers wait on
            assert (await get_variable(probe, "CONTEXT", channel=channels[0])).value == "cc-acd-wait"
            second = build_platform(settings, ami=True, record_calls=False)
            service, runtime, ami = _parts(second)
            seen = second.bus.subscribe("test", m.CallOffered, m.CallAnswered)
            async with second.running():
                await until(lambda: len(service.core.calls) == 4, 20, "the four callers adopted")
                assert service.core.agents["busy"].device.value == "inuse"
                assert [r.adopted for r in runtime.adopted if r.adopted] == [list(ids.values())]
                for name in extensions:  # the agents come back to their consoles
                    await service.submit(LogIn(name))
                messages: list[object] = []

                def answered() -> list[str]:
                    while seen.queued:
                        messages.append(seen.get_nowait())
                    return [x.call_id for x in messages if isinstance(x, m.CallAnswered)]

                await until(lambda: len(answered()) == 4, 40, "the four adopted calls answered")
            seen.close()
        finally:
            await hang_up_all(probe, *channels)
    by_id = {call_id: name for name, call_id in ids.items()}
    assert [by_id[c] for c in answered()] == ["c3", "c1", "c2", "c4"]
    offers = [x for x in messages if isinstance(x, m.CallOffered)]
    assert {x.agent_id for x in offers} == {"free"}
    assert {x.tier for x in offers if x.call_id == ids["c3"]} == {"vip"}  # attributes came along


def test_the_attributes_left_on_the_channel_come_back_as_they_were() -> None:
    attrs = CallAttributes(call_id="1796.1", queue="billing", caller_number="13800138000",
                           caller_name='王芳, "VIP" & co', priority=3, customer_id="C-7", tier="vip",
                           language="zh", intent="complaint", skills=skills(billing=5, general=1),
                           last_agent="ann", last_agent_at=T0 - 3600.25)
    text = encode_call(attrs, T0 + 0.123456)
    assert not any(c in text for c in ',"\r\n')
    assert decode_call("1796.1", text) == CallEntered(attrs, entered_at=T0 + 0.123456)
    bare = CallAttributes(call_id="x", queue="q")
    assert decode_call("x", encode_call(bare, T0)) == CallEntered(bare, entered_at=T0)
    assert decode_call("x", "") is None
    assert decode_call("x", "v=1&queue=q&entered=soon") is None
    assert decode_call("x", "queue=q&entered=1") is None
    assert CALL_VARIABLE == "CC_ACD_CALL"


@pytest.mark.pbx
@ONE_BACKEND
async def test_a_waiting_caller_without_attributes_goes_to_the_fallback_and_one_still_ringing_an_agent_waits(
        pbx: PbxHandle, fresh_db_url: str, tmp_path: Path) -> None:
    ext = unique_extension()
    add_users(fresh_db_url, {"ann": ext})
    document = {"queues": {"q": {"wrapup_seconds": 0, "max_wait": 300, "announce_interval": 0}},
                "agents": {"ann": {"extension": ext, "queues": ["q"]}}}
    settings = acd_settings(pbx, fresh_db_url, tmp_path, document, heartbeat_ttl=30)
    platform = build_platform(settings, ami=True, record_calls=False)
    service, runtime, ami = _parts(platform)
    family = {"CC_ACD_FAMILY": settings.routing.heartbeat_family}
    channels: list[str] = []
    probe = client_for(pbx)
    moved: list[str] = []
    probe.subscribe("Newexten", lambda e: moved.append(e.get("Channel", ""))
                    if e.get("Context") == "cc-acd-fallback" else None)
    async with probe, platform.running():
        await ami.wait_connected(timeout=20)
        await until(lambda: runtime.adopted, 20, "the adoption at the AMI login")
        try:
            bare = await place_waiting_caller(probe, new_call_id(), unique_number(), variables=family)
            channels.append(bare)
            ringing_id = new_call_id()
            attrs = CallAttributes(call_id=ringing_id, queue="q", caller_number="13700002222")
            channels.append(await place_waiting_caller(
                probe, ringing_id, "13700002222",
                variables={**family, CALL_VARIABLE: encode_call(attrs, time.time() - 5)}))
            await phone(probe, ext, mode="noanswer")
            leg = asyncio.create_task(originate(probe, local_channel(ext, "agent-phones"),
                                                ApplicationTarget("Wait", "30"), timeout=20,
                                                variables={"CC_CALL_ID": ringing_id}))
            await until(lambda: ext in pbx.cli("core show channels concise"), 10, "the agent leg ringing")
            report = await runtime.adopt()
            assert report is not None
            assert report.to_fallback == [bare] and report.held_back == [ringing_id]
            await until(lambda: bare in moved, 10, "the caller without attributes in cc-acd-fallback")
            assert ringing_id not in service.core.calls
            await hangup(probe, f"/^Local\\/{ext}@agent-phones-/")  # the old offer stops ringing
            with contextlib.suppress(Exception):
                await leg
            await until(lambda: ringing_id in service.core.calls, 10, "the held-back caller adopted")
            assert service.core.calls[ringing_id].attrs.caller_number == "13700002222"
        finally:
            await hang_up_all(probe, *channels)
