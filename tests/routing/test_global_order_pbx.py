"""The global queue order with two ACD services sharing one Redis, on the bundled PBX: an agent
freed by instance one, while instance two holds an earlier caller, is handed over (through the
store and the service's handover loop) and instance two's caller rings the agent's phone and is
answered, before instance one's own later caller."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest

from bus import InProcessBus
from routing import messages as m
from routing.ami_control import AmiCallControl
from routing.core import RoutingCore
from routing.domain import CallAttributes, CallStatus, RoutingConfig
from routing.engine import Engine
from routing.events import CallEnded, LogIn
from routing.redis_store import RedisStore
from routing.service import RoutingService
from telephony.ami import AmiClient
from tests.routing.builders import agent, queue
from tests.routing.conftest import REDIS_URL
from tests.routing.test_service_pbx import place_caller
from tests.telephony.control.calls import hang_up_all, poll, unique_extension
from tests.telephony.control.fixtures import ami, events

__all__ = ["ami", "events"]

pytestmark = [pytest.mark.pbx, pytest.mark.redis]


@pytest.fixture
async def stores(redis_prefix: str) -> AsyncIterator[list[RedisStore]]:
    both = [RedisStore.from_url(REDIS_URL, prefix=redis_prefix) for _ in range(2)]
    yield both
    for store in both:
        await store.close()


async def test_an_agent_freed_by_one_instance_is_handed_to_the_other_instances_earlier_caller(
        ami: AmiClient, stores: list[RedisStore]) -> None:
    extension = unique_extension()
    config = RoutingConfig(queues=(queue("q", ring_timeout=6, wrapup_seconds=0, max_wait=300),),
                           agents=(agent("alice", ["q"], ext=extension),), missed_retry_seconds=30)
    family = f"cc-test-{secrets.token_hex(4)}"  # the services' heartbeat, apart from other tests'
    bus = InProcessBus()
    seen = bus.subscribe("test", m.CallAnswered, m.CallOffered)
    channels: list[dict[str, str]] = [{}, {}]
    one, two = (RoutingService(Engine(RoutingCore(config), store, instance=name),
                               control=AmiCallControl(ami, caller_channel=calls.get, heartbeat_family=family),
                               publish=bus.publish)
                for store, name, calls in zip(stores, ("one", "two"), channels, strict=True))
    legs: list[str] = []
    async with one, two:
        try:
            for service in (one, two):
                await service.submit(LogIn("alice"))
            callers = {}
            for call_id, service, calls in (("c0", one, channels[0]), ("y1", two, channels[1]),
                                            ("x1", one, channels[0])):
                caller = await place_caller(ami)
                legs += [caller.leg, caller.waiting]
                calls[call_id] = caller.waiting
                callers[call_id] = caller
                await service.call_entered(CallAttributes(call_id=call_id, queue="q",
                                                          caller_number=caller.number))
                if call_id == "c0":
                    await poll(lambda: one.core.calls["c0"].status is CallStatus.CONNECTED, 20,
                               "c0 answered by alice through instance one")
            await hang_up_all(ami, callers["c0"].leg, callers["c0"].waiting)
            await one.submit(CallEnded("c0"))  # alice is free at instance one, which holds x1
            await poll(lambda: "y1" in two.core.calls and two.core.calls["y1"].status is CallStatus.CONNECTED,
                       20, "y1 (instance two's, earlier) answered by alice")
            assert one.engine.handed_over == 1
            assert one.core.calls["x1"].status is CallStatus.WAITING
            messages = [seen.get_nowait() for _ in range(seen.queued)]
            offers = [(x.call_id, x.agent_id) for x in messages if isinstance(x, m.CallOffered)]
            assert offers == [("c0", "alice"), ("y1", "alice")]
        finally:
            await hang_up_all(ami, *legs)
    await bus.close()
