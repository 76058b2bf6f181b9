"""The ACD service on the bundled PBX: a waiting caller is connected to the agent the core chose
(their phone rings with the caller's number and name, answer bridges them), and a phone that does
not answer pauses its agent "missed" and puts the call back at the head of its queue."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bus import InProcessBus, Subscription
from routing import messages as m
from routing.ami_control import AmiCallControl
from routing.config import RoutingConfigError, parse
from routing.core import RoutingCore
from routing.domain import AgentState, CallAttributes, CallStatus, RoutingConfig
from routing.engine import Engine
from routing.events import CallEnded, LogIn
from routing.repository import SqlConfigChangeStore, SqlJourneyStore
from routing.service import RoutingService
from routing.store import MemoryStore
from telephony.ami import AmiClient, Message
from telephony.control import ApplicationTarget, db_delete, db_put, originate
from tests.routing.builders import agent, queue
from tests.telephony.control.calls import EventLog, hang_up_all, poll, unique_extension, unique_number
from tests.telephony.control.fixtures import ami, events

__all__ = ["ami", "events"]

pytestmark = pytest.mark.pbx


def starts_with(prefix: str, event: Message) -> bool:
    return event.get("Channel", "").startswith(prefix)


class Caller:
    """A caller waiting in a holding context: the ``;2`` half of ``Local/s@sim-hold`` (its tone plays)."""

    def __init__(self, leg: str, number: str) -> None:
        self.leg = leg
        self.waiting = leg.replace(";1", ";2")
        self.number = number


async def place_caller(ami: AmiClient) -> Caller:
    number = unique_number()
    placed = await originate(ami, "Local/s@sim-hold", ApplicationTarget("Wait", "60"),
                             caller_id_number=number, caller_id_name="张三丰", variables={"SIM_HOLD": "60"})
    return Caller(placed.channel, number)


Acd = tuple[RoutingService, dict[str, str], Subscription[object], str]


@pytest.fixture
async def acd(ami: AmiClient) -> AsyncIterator[Acd]:
    extension = unique_extension()
    config = RoutingConfig(queues=(queue("q", ring_timeout=4, wrapup_seconds=0, max_wait=120),),
                           agents=(agent("alice", ["q"], ext=extension),))
    channels: dict[str, str] = {}
    bus = InProcessBus()
    subscription = bus.subscribe("test")
    service = RoutingService(Engine(RoutingCore(config), MemoryStore()),
                             control=AmiCallControl(ami, caller_channel=channels.get), publish=bus.publish)
    async with service:
        yield service, channels, subscription, extension
    await bus.close()
    try:
        await db_delete(ami, "simphone", f"{extension}/mode")
    except Exception:
        pass


async def test_a_waiting_caller_is_bridged_to_the_agent_the_core_chose(
        ami: AmiClient, events: EventLog, acd: Acd) -> None:
    service, channels, _subscription, extension = acd
    caller = await place_caller(ami)
    try:
        channels["c1"] = caller.waiting
        await service.submit(LogIn("alice"))
        await service.call_entered(CallAttributes(call_id="c1", queue="q", caller_number=caller.number,
                                                  caller_name="张三丰"))
        calls = service.core.calls
        await poll(lambda: "c1" in calls and calls["c1"].status is CallStatus.CONNECTED,
                   what="the call answered by alice")
        assert service.core.agents["alice"].state is AgentState.ON_CALL
        ringing = await events.wait("Newstate", ChannelStateDesc="Ringing", where=lambda e: e.get(
            "Channel", "").startswith(f"Local/{extension}@agent-phones"))
        assert (ringing.get("CallerIDNum"), ringing.get("CallerIDName")) == (caller.number, "张三丰")
        joined = await events.wait("BridgeEnter", Channel=caller.waiting)
        await events.wait("BridgeEnter", BridgeUniqueid=joined.get("BridgeUniqueid", ""),
                          where=lambda e: e.get("Channel", "").startswith(f"Local/{extension}@agent-phones"))
    finally:
        await hang_up_all(ami, caller.leg, caller.waiting)


async def test_a_phone_that_does_not_answer_pauses_its_agent_and_requeues_the_call_at_the_head(
        ami: AmiClient, acd: Acd) -> None:
    service, channels, subscription, extension = acd
    await db_put(ami, "simphone", f"{extension}/mode", "noanswer")
    caller = await place_caller(ami)
    try:
        channels["c1"] = caller.waiting
        await service.submit(LogIn("alice"))
        await service.call_entered(CallAttributes(call_id="c1", queue="q", caller_number=caller.number))
        await poll(lambda: service.core.agents["alice"].state is AgentState.PAUSED, deadline=20,
                   what="alice paused after the ring timeout")
        alice = service.core.agents["alice"]
        call = service.core.calls["c1"]
        assert alice.reason == "missed"
        assert (call.status, call.head, call.tried) == (CallStatus.WAITING, True, {"alice"})
        published = [subscription.get_nowait() for _ in range(subscription.queued)]
        assert any(isinstance(msg, m.OfferMissed) and msg.agent_id == "alice" for msg in published)
        assert any(isinstance(msg, m.AgentStateChanged) and msg.reason == "missed" for msg in published)
    finally:
        await hang_up_all(ami, caller.leg, caller.waiting)


def seed(extension: str) -> dict[str, object]:
    return {"queues": {"q": {"ring_timeout": 4, "wrapup_seconds": 0, "max_wait": 120}},
            "agents": {"alice": {"extension": extension, "queues": ["q"]}}}


def service_from(document: dict[str, object], ami: AmiClient, channels: dict[str, str],
                 **ports: Any) -> RoutingService:
    control = AmiCallControl(ami, caller_channel=channels.get)
    return RoutingService(Engine(RoutingCore(parse(document)), MemoryStore()), control=control,
                          publish=lambda message: None, document=document, **ports)


async def test_a_run_time_queue_change_is_validated_stored_audited_and_survives_a_restart(
        ami: AmiClient, db_sessionmaker: sessionmaker[Session]) -> None:
    document = seed(unique_extension())
    changes = SqlConfigChangeStore(db_sessionmaker)
    async with service_from(document, ami, {}, changes=changes) as service:
        await service.change("queue", "q", {"ring_timeout": 4, "max_wait": 45}, "supervisor1")
        assert service.core.queues["q"].max_wait == 45
        with pytest.raises(RoutingConfigError, match="unknown strategy"):
            await service.change("queue", "q", {"strategy": "fastest"}, "supervisor1")
        with pytest.raises(RoutingConfigError, match="retired by a restart"):
            await service.change("queue", "q", None, "supervisor1")
        await service.change("agent", "alice", None, "supervisor1")
        assert "alice" not in service.core.agents
    async with service_from(document, ami, {}, changes=changes) as restarted:
        assert restarted.core.queues["q"].max_wait == 120
        await restarted.load_changes()
        assert restarted.core.queues["q"].max_wait == 45
        assert "alice" not in restarted.core.agents
    history = await changes.history("queue", "q")
    assert [(c.actor, json.loads(c.body)["max_wait"]) for c in history] == [("supervisor1", 45)]


async def test_the_journey_of_a_connected_call_is_stored(
        ami: AmiClient, db_sessionmaker: sessionmaker[Session]) -> None:
    extension = unique_extension()
    journeys = SqlJourneyStore(db_sessionmaker)
    channels: dict[str, str] = {}
    caller = await place_caller(ami)
    call_id = f"c-{caller.number}"
    try:
        async with service_from(seed(extension), ami, channels, journeys=journeys) as service:
            channels[call_id] = caller.waiting
            await service.submit(LogIn("alice"))
            await service.call_entered(CallAttributes(call_id=call_id, queue="q", customer_id="77"))
            calls = service.core.calls
            await poll(lambda: call_id in calls and calls[call_id].status is CallStatus.CONNECTED,
                       what="the call answered")
            await service.submit(CallEnded(call_id))
    finally:
        await hang_up_all(ami, caller.leg, caller.waiting)
    steps = await journeys.steps(call_id)
    assert [(s.step, s.agent_id) for s in steps] == [("entered", None), ("offered", "alice"),
                                                     ("answered", "alice"), ("ended", "alice")]
    last = await journeys.last_agent("77", since=0)
    assert last is not None and last.agent_id == "alice"


async def test_calls_reach_agents_with_the_right_skill_vip_before_standard(
        ami: AmiClient, events: EventLog) -> None:
    billing, general = unique_extension(), unique_extension()
    document = {
        "priority": {"tiers": {"vip": 30}},
        "queues": {"billing": {"skills": {"billing": 5}, "ring_timeout": 8, "wrapup_seconds": 0},
                   "general": {"skills": {"general": 1}, "ring_timeout": 8, "wrapup_seconds": 0}},
        "agents": {"bill": {"extension": billing, "skills": {"billing": 7}, "queues": ["billing", "general"]},
                   "gen": {"extension": general, "skills": {"general": 3}, "queues": ["general"]}},
    }
    channels: dict[str, str] = {}
    callers = [await place_caller(ami) for _ in range(3)]
    try:
        async with service_from(document, ami, channels) as service:
            for name, caller in zip(("std", "vip", "bill-call"), callers, strict=True):
                channels[name] = caller.waiting
            await service.call_entered(CallAttributes(call_id="std", queue="general"))
            await service.call_entered(CallAttributes(call_id="vip", queue="general", tier="vip"))
            await service.call_entered(CallAttributes(call_id="bill-call", queue="billing"))
            await service.submit(LogIn("gen"))
            await service.submit(LogIn("bill"))
            calls = service.core.calls
            await poll(lambda: all(calls[c].status is CallStatus.CONNECTED for c in ("vip", "bill-call")),
                       what="the VIP and the billing call answered")
            assert (calls["vip"].agent_id, calls["bill-call"].agent_id) == ("gen", "bill")
            assert calls["std"].status is CallStatus.WAITING
            for call_id, extension in (("vip", general), ("bill-call", billing)):
                joined = await events.wait("BridgeEnter", Channel=channels[call_id])
                agent_leg = f"Local/{extension}@agent-phones"
                await events.wait("BridgeEnter", BridgeUniqueid=joined.get("BridgeUniqueid", ""),
                                  where=partial(starts_with, agent_leg))
    finally:
        for caller in callers:
            await hang_up_all(ami, caller.leg, caller.waiting)


async def test_agents_are_the_users_with_an_extension(
        ami: AmiClient, db_sessionmaker: sessionmaker[Session]) -> None:
    from callcenter.adapters.routing_record import RecordAgentDirectory
    from tickets.users.models import User

    extension = unique_extension()
    suffix = unique_number()[-6:]
    alice, carol, dave = f"alice{suffix}", f"carol{suffix}", f"dave{suffix}"
    with db_sessionmaker() as session, session.begin():
        session.add_all([
            User(username=alice, display_name="李娜", password_hash="x", extension=extension),
            User(username=carol, display_name="Carol", password_hash="x", extension=unique_extension()),
            User(username=dave, display_name="Dave", password_hash="x", extension=unique_extension(),
                 active=False),
        ])
    document = {"queues": {"q": {}},
                "agents": {alice: {"extension": "0000", "skills": {"general": 5}, "queues": ["q"]},
                           dave: {"extension": "0002", "queues": ["q"]},
                           "ghost": {"extension": "0001", "queues": ["q"]}}}
    async with service_from(document, ami, {}) as service:
        await service.submit(LogIn(dave))
        assert service.core.agents[dave].state is AgentState.AVAILABLE
        await service.sync_agents(RecordAgentDirectory(db_sessionmaker))
        agents = service.core.agents
        assert agents[alice].profile.extension == extension and agents[alice].profile.name == "李娜"
        assert agents[alice].profile.level("general") == 5  # the configuration's skills are kept
        assert agents[carol].profile.queues == ()  # known to the record only: seen, never offered calls
        assert agents[dave].state is AgentState.LOGGED_OUT  # inactive in the record
        assert "ghost" not in agents
