"""One queue order across engine instances sharing a state store: calls entered through instance
one and instance two, interleaved, and a freed agent always gets the globally first call it may
take (handed over to the instance that owns it), whichever instance freed it. Runs on one
in-memory store shared in-process and on the real Redis (two clients, one prefix)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from routing.core import RoutingCore
from routing.decisions import Decision, OfferCall
from routing.domain import CallAttributes, PriorityRules, RoutingConfig
from routing.engine import Engine
from routing.events import CallEnded, CallEntered, LogIn, OfferAnswered
from routing.redis_store import RedisStore
from routing.store import MemoryStore, StateStore
from tests.routing.builders import T0, agent, queue, skills
from tests.routing.conftest import REDIS_URL


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def two_stores(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[list[StateStore]]:
    if request.param == "memory":
        shared = MemoryStore()
        yield [shared, shared]
        return
    stores = [RedisStore.from_url(REDIS_URL, prefix=redis_prefix) for _ in range(2)]
    try:
        yield list(stores)
    finally:
        for store in stores:
            await store.close()


def new_core(*agent_ids: str) -> RoutingCore:
    agents = [agent(a, ["q"], ext=f"70{n}", skills=skills(billing=9 if a == "expert" else 2))
              for n, a in enumerate(agent_ids)]
    q = queue("q", wrapup_seconds=0, max_wait=3600, ring_timeout=600)
    return RoutingCore(RoutingConfig(queues=(q,), agents=tuple(agents), missed_retry_seconds=1,
                                     priority=PriorityRules(tiers=(("vip", 30),))))


def offered(decisions: list[Decision]) -> list[tuple[str, str]]:
    return [(x.call_id, x.agent_id) for x in decisions if isinstance(x, OfferCall)]


async def serve(engine: Engine, call_id: str, agent_id: str, at: float) -> list[Decision]:
    """The offer is answered and the call ends at ``at``; the decisions of the end."""
    await engine.handle(OfferAnswered(call_id, agent_id), at - 0.5)
    return await engine.handle(CallEnded(call_id), at)


async def take(engine: Engine, at: float) -> list[Decision]:
    out: list[Decision] = []
    for event in await engine.handovers(0):
        out += await engine.handle(event, at)
    return out


async def test_a_freed_agent_gets_the_globally_first_call_whichever_instance_it_entered_through(
        two_stores: list[StateStore]) -> None:
    one = Engine(new_core("a"), two_stores[0], instance="one")
    two = Engine(new_core("a"), two_stores[1], instance="two")
    for engine in (one, two):
        await engine.refresh()  # alive: handovers to it are accepted
        await engine.handle(LogIn("a"), T0)
    assert offered(await one.handle(CallEntered(CallAttributes("c0", "q")), T0)) == [("c0", "a")]
    entries = [(two, "y1"), (one, "x1"), (two, "y2"), (one, "x2"), (two, "v")]
    for n, (engine, call_id) in enumerate(entries, start=1):
        attrs = CallAttributes(call_id, "q", tier="vip" if call_id == "v" else None)
        await engine.handle(CallEntered(attrs), T0 + n)
    owner = {"x1": one, "x2": one, "y1": two, "y2": two, "v": two}
    order: list[str] = []
    serving, call_id, at = one, "c0", T0 + 10
    for _ in range(5):
        ended = await serve(serving, call_id, "a", at)
        at += 1
        made = offered(ended) + offered(await take(one, at)) + offered(await take(two, at))
        assert len(made) == 1, made  # one offer, by the instance that owns the call
        call_id = made[0][0]
        serving = owner[call_id]
        assert serving is (one if call_id.startswith("x") else two)
        order.append(call_id)
    assert order == ["v", "y1", "x1", "y2", "x2"]  # VIP first, then arrival across both instances
    assert one.handed_over + two.handed_over >= 3
    assert await two_stores[0].holder("a") == "x2"


async def test_another_instances_call_the_agent_may_not_take_does_not_hold_back_a_local_one(
        two_stores: list[StateStore]) -> None:
    one = Engine(new_core("a", "expert"), two_stores[0], instance="one")
    two = Engine(new_core("a", "expert"), two_stores[1], instance="two")
    for engine in (one, two):
        await engine.refresh()
        for agent_id in ("a", "expert"):
            await engine.handle(LogIn(agent_id), T0)
    busy = offered(await one.handle(CallEntered(CallAttributes("c0", "q")), T0))
    busy += offered(await one.handle(CallEntered(CallAttributes("c1", "q")), T0))
    on_call = {agent_id: call_id for call_id, agent_id in busy}
    assert set(on_call) == {"a", "expert"}
    hard = CallAttributes("hard", "q", skills=skills(billing=8))  # only the expert may take it
    await two.handle(CallEntered(hard), T0 + 1)
    await one.handle(CallEntered(CallAttributes("easy", "q")), T0 + 2)
    # "a" is freed first: two's earlier call is not for them, so one's own call goes to them
    assert offered(await serve(one, on_call["a"], "a", T0 + 10)) == [("easy", "a")]
    assert one.handed_over == 0
    # the expert, freed with nothing left at one, is handed to two's call
    assert offered(await serve(one, on_call["expert"], "expert", T0 + 11)) == []
    assert one.handed_over == 1
    assert offered(await take(two, T0 + 11)) == [("hard", "expert")]
