"""Two engine instances sharing one Redis route a burst of calls: no agent is offered two calls
(also while freed agents are handed over between the instances for the global queue order)."""

from __future__ import annotations

import asyncio

import pytest

from routing.core import RoutingCore
from routing.decisions import Announce, Decision, OfferCall, ReleaseAgent
from routing.domain import CallAttributes, RoutingConfig
from routing.engine import Engine
from routing.events import CallEnded, CallEntered, LogIn, OfferAnswered, Pause, Tick
from routing.redis_store import RedisStore
from routing.store import MemoryStore
from tests.routing.builders import T0, agent, queue
from tests.routing.conftest import REDIS_URL

pytestmark = pytest.mark.redis

AGENTS = [agent(f"a{i:02d}", ["q"], ext=f"7{i:03d}") for i in range(12)]


def new_core() -> RoutingCore:
    config = RoutingConfig(queues=(queue("q", wrapup_seconds=0, max_wait=3600, ring_timeout=600),),
                           agents=tuple(AGENTS), missed_retry_seconds=1)
    return RoutingCore(config)


class Ledger:
    """Who holds which agent, from the offers actually carried out (reserved in the store)."""

    def __init__(self) -> None:
        self.holding: dict[str, tuple[str, str]] = {}  # agent → (instance, call)
        self.offers = 0

    def record(self, instance: str, decisions: list[Decision]) -> list[OfferCall]:
        made = []
        for decision in decisions:
            if isinstance(decision, OfferCall):
                held = self.holding.get(decision.agent_id)
                assert held is None, f"{decision.agent_id} offered {decision.call_id} while holding {held}"
                self.holding[decision.agent_id] = (instance, decision.call_id)
                self.offers += 1
                made.append(decision)
            elif isinstance(decision, ReleaseAgent):
                held = self.holding.get(decision.agent_id)
                if held is not None and held[0] == instance:
                    del self.holding[decision.agent_id]
        return made


async def run_instance(name: str, engine: Engine, ledger: Ledger, calls: int, start: float = T0) -> None:
    now = start
    for agent_profile in AGENTS:
        ledger.record(name, await engine.handle(LogIn(agent_profile.agent_id), now))
    live: list[OfferCall] = []
    for i in range(calls):
        now += 0.01
        live += ledger.record(name, await engine.handle(
            CallEntered(CallAttributes(call_id=f"{name}-{i}", queue="q")), now))
        if i % 5 == 4 and live:  # some calls are answered and end, releasing their agents
            offer = live.pop(0)
            ledger.record(name, await engine.handle(OfferAnswered(offer.call_id, offer.agent_id), now))
            live += ledger.record(name, await engine.handle(CallEnded(offer.call_id), now + 0.005))
        if i % 7 == 6:
            now += 1.5  # held agents are tried again
            live += ledger.record(name, await engine.handle(Tick(), now))
        for handed in await engine.handovers(0):  # agents the other instance freed for our calls
            live += ledger.record(name, await engine.handle(handed, now))
        await asyncio.sleep(0)


@pytest.mark.parametrize("global_order", [False, True])
async def test_two_instances_sharing_redis_never_offer_one_agent_two_calls(redis_prefix: str,
                                                                           global_order: bool) -> None:
    stores = [RedisStore.from_url(REDIS_URL, prefix=redis_prefix) for _ in range(2)]
    ledger = Ledger()
    try:
        engines = [Engine(new_core(), s, instance=name if global_order else None)
                   for s, name in zip(stores, ("one", "two"), strict=True)]
        for engine in engines:
            await engine.refresh()
        await asyncio.gather(run_instance("one", engines[0], ledger, 60),
                             run_instance("two", engines[1], ledger, 60, start=T0 + 0.005))
        holders = {a.agent_id: await stores[0].holder(a.agent_id) for a in AGENTS}
    finally:
        for s in stores:
            await s.close()
    assert ledger.offers > len(AGENTS)  # agents were reused after their calls ended
    for agent_id, (_instance, call_id) in ledger.holding.items():
        assert holders[agent_id] == call_id  # the store agrees with what was carried out


async def test_the_engine_keeps_the_global_queue_order_in_the_store() -> None:
    store = MemoryStore()
    engine = Engine(new_core(), store)
    for i, priority in enumerate([None, 30, None]):
        attrs = CallAttributes(call_id=f"c{i}", queue="q", priority=priority)
        await engine.handle(CallEntered(attrs), T0 + i)
    assert await store.order("q") == ["c1", "c0", "c2"]
    await engine.handle(LogIn("a00"), T0 + 5)
    assert await store.order("q") == ["c0", "c2"]
    assert await store.holder("a00") == "c1"


async def test_while_redis_is_unreachable_nothing_is_offered_and_its_state_is_rebuilt_when_it_returns(
        redis_prefix: str) -> None:
    dead = RedisStore.from_url("redis://127.0.0.1:1/0", prefix=redis_prefix)
    engine = Engine(new_core(), dead)
    now = T0
    out = await engine.handle(LogIn("a00"), now)
    out += await engine.handle(CallEntered(CallAttributes(call_id="c1", queue="q")), now)
    out += await engine.handle(CallEntered(CallAttributes(call_id="c2", queue="q")), now + 0.1)
    assert [x for x in out if isinstance(x, OfferCall)] == [] and not engine.store_ok
    await dead.close()
    live = RedisStore.from_url(REDIS_URL, prefix=redis_prefix)
    try:
        engine.store = live
        out = await engine.handle(Tick(), now + 2)  # the agent held back after the refusal is free again
        assert engine.store_ok
        assert [(x.call_id, x.agent_id) for x in out if isinstance(x, OfferCall)] == [("c1", "a00")]
        assert await live.holder("a00") == "c1"
        assert await live.order("q") == ["c2"]
    finally:
        await live.close()


async def test_announced_positions_are_global_across_instances(redis_prefix: str) -> None:
    announced = queue("q", announce_interval=20, max_wait=3600, default_handle_seconds=100)
    config = RoutingConfig(agents=tuple(AGENTS[:2]), queues=(announced,))
    stores = [RedisStore.from_url(REDIS_URL, prefix=redis_prefix) for _ in range(2)]
    try:
        one, two = (Engine(RoutingCore(config), s) for s in stores)
        for engine in (one, two):
            for profile in AGENTS[:2]:
                await engine.handle(LogIn(profile.agent_id), T0)
            await engine.handle(Pause("a00", "break"), T0)
            await engine.handle(Pause("a01", "break"), T0)
        await one.handle(CallEntered(CallAttributes(call_id="first", queue="q")), T0 + 1)
        await two.handle(CallEntered(CallAttributes(call_id="second", queue="q")), T0 + 2)
        out = await two.handle(Tick(), T0 + 22)
        (announce,) = [x for x in out if isinstance(x, Announce)]
        assert (announce.call_id, announce.position) == ("second", 2)  # its own core knows only one call
    finally:
        for s in stores:
            await s.close()
