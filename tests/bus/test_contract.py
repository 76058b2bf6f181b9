"""The bus contract, run on both transports (``buses`` is parametrized: in-process and Redis)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bus import LOSSY, BusClosed, Dropped, Policy, SubscriberOverflow, SubscriptionClosed
from tests.bus.conftest import Buses, eventually
from tests.bus.messages import AgentPaused, CallEnded, Caller, CallStarted, Leg, ScreenPop, Tier

ALICE = Caller("+8613800138000", "张三丰")


def started(n: int) -> CallStarted:
    return CallStarted(call_id=f"c{n}", n=n, caller=ALICE)


async def test_messages_of_one_publisher_arrive_in_publish_order(buses: Buses) -> None:
    everything = buses.sub.subscribe("recorder")
    sent = [started(n) if n % 3 else CallEnded(call_id=f"c{n}", n=n) for n in range(300)]
    for message in sent:
        buses.pub.publish(message)
    received = [await everything.get() for _ in sent]
    assert received == sent


async def test_a_subscriber_to_given_types_receives_only_those_types(buses: Buses) -> None:
    calls = buses.sub.subscribe("acd", CallStarted, CallEnded)
    agents = buses.sub.subscribe("wallboard", AgentPaused)
    buses.pub.publish(started(1))
    buses.pub.publish(AgentPaused("1001", 2, "lunch"))
    buses.pub.publish(CallEnded("c1", 3))
    buses.pub.publish(AgentPaused("1002", 4))
    assert [await calls.get(), await calls.get()] == [started(1), CallEnded("c1", 3)]
    assert [await agents.get(), await agents.get()] == [
        AgentPaused("1001", 2, "lunch"), AgentPaused("1002", 4)]
    await eventually(buses.delivered_all("acd", 2), what="all messages routed")
    assert calls.queued == 0 and agents.queued == 0


@pytest.mark.parametrize("policy", list(Policy))
async def test_a_subscriber_that_never_reads_does_not_hold_back_another(buses: Buses, policy: Policy) -> None:
    stuck = buses.sub.subscribe("stuck", policy=policy, maxsize=5)
    fast = buses.sub.subscribe("recorder", CallStarted)
    for n in range(200):
        buses.pub.publish(started(n))
    assert [(await fast.get()).n for _ in range(200)] == list(range(200))
    await eventually(buses.delivered_all("stuck", 200), what="the stuck subscriber's drops")
    assert stuck.queued == 5
    (stats,) = [s for s in buses.sub.stats() if s.name == "stuck"]
    assert (stats.dropped, stats.delivered, stats.overflows) == (195, 0, 1)


async def test_a_reliable_subscriber_is_told_of_an_overflow_where_it_happened_then_continues(
    buses: Buses,
) -> None:
    acd = buses.sub.subscribe("acd", CallStarted, maxsize=3)
    for n in range(10):
        buses.pub.publish(started(n))
    await eventually(buses.delivered_all("acd", 10), what="10 messages at the ACD")
    assert [(await acd.get()).n for _ in range(3)] == [0, 1, 2]
    with pytest.raises(SubscriberOverflow) as overflow:
        await acd.get()
    assert (overflow.value.name, overflow.value.missed) == ("acd", 7)
    buses.pub.publish(started(10))  # after the resync the subscription goes on
    assert (await acd.get()).n == 10
    (stats,) = buses.sub.stats()
    assert (stats.name, stats.policy, stats.delivered, stats.dropped, stats.overflows) == (
        "acd", "reliable", 4, 7, 1)


async def test_an_overflow_ends_async_for_so_a_reliable_loop_cannot_skip_it(buses: Buses) -> None:
    recorder = buses.sub.subscribe("recorder", CallStarted, maxsize=2)
    for n in range(4):
        buses.pub.publish(started(n))
    await eventually(buses.delivered_all("recorder", 4), what="4 messages at the recorder")
    seen: list[int] = []
    with pytest.raises(SubscriberOverflow):
        async for message in recorder:
            seen.append(message.n)
    assert seen == [0, 1]


async def test_a_lossy_subscriber_gets_the_number_of_dropped_messages_then_the_later_ones(
    buses: Buses,
) -> None:
    ui = buses.sub.subscribe("wallboard", CallStarted, policy=LOSSY, maxsize=2)
    for n in range(5):
        buses.pub.publish(started(n))
    await eventually(buses.delivered_all("wallboard", 5), what="5 messages at the wallboard")
    assert [await ui.get() for _ in range(3)] == [started(0), started(1), Dropped(3)]
    buses.pub.publish(started(5))
    assert await ui.get() == started(5)
    (stats,) = buses.sub.stats()
    assert (stats.policy, stats.delivered, stats.dropped, stats.overflows, stats.queued) == (
        "lossy", 3, 3, 1, 0)


async def test_statistics_add_up_per_subscriber_name_and_outlive_closed_subscriptions(buses: Buses) -> None:
    first = buses.sub.subscribe("websocket", policy=LOSSY, maxsize=1)
    second = buses.sub.subscribe("websocket", policy=LOSSY, maxsize=1)
    buses.pub.publish(started(1))
    buses.pub.publish(started(2))
    await eventually(buses.delivered_all("websocket", 4), what="both websockets fed")
    assert await first.get() == started(1)
    first.close()
    (stats,) = buses.sub.stats()
    assert (stats.subscriptions, stats.queued, stats.delivered, stats.dropped, stats.overflows) == (
        1, 1, 1, 2, 2)
    second.close()
    (stats,) = buses.sub.stats()
    assert (stats.subscriptions, stats.queued, stats.delivered, stats.dropped) == (0, 0, 1, 2)


async def test_closing_the_bus_wakes_every_waiting_subscriber_after_it_drained(buses: Buses) -> None:
    subs = [buses.sub.subscribe(f"sub{i}", CallStarted) for i in range(3)]
    buses.pub.publish(started(1))
    await eventually(lambda: all(s.queued == 1 for s in subs), what="one message each")
    assert await subs[0].get() == started(1)

    async def drain(sub: object) -> list[object]:
        return [m async for m in sub]  # type: ignore[attr-defined]

    readers = [asyncio.create_task(drain(s)) for s in subs]
    await asyncio.sleep(0)  # let them start waiting
    await buses.sub.close()
    if buses.pub is not buses.sub:
        await buses.pub.close()
    assert await asyncio.wait_for(asyncio.gather(*readers), 5) == [[], [started(1)], [started(1)]]
    with pytest.raises(SubscriptionClosed):
        await subs[0].get()


async def test_a_closed_bus_refuses_publishes_and_subscriptions(buses: Buses) -> None:
    await buses.pub.close()
    await buses.sub.close()
    with pytest.raises(BusClosed):
        buses.pub.publish(started(1))
    with pytest.raises(BusClosed):
        buses.sub.subscribe("late")


async def test_closing_a_subscription_ends_its_loop_and_stops_its_deliveries(buses: Buses) -> None:
    sub = buses.sub.subscribe("console", CallStarted)
    other = buses.sub.subscribe("recorder", CallStarted)
    reader = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    sub.close()
    with pytest.raises(SubscriptionClosed):
        await asyncio.wait_for(reader, 5)
    buses.pub.publish(started(1))
    assert await other.get() == started(1)
    assert sub.queued == 0 and [m async for m in sub] == []


async def test_nested_dataclasses_cross_the_bus_as_the_same_values(buses: Buses) -> None:
    pops = buses.sub.subscribe("console", ScreenPop)
    leg = Leg(party=Caller("1001", "Agent Li", restricted=True), started=1.5, ended=None)
    sent = [
        ScreenPop(agent="1001", caller=ALICE, tier=Tier.VIP, at=datetime(2026, 12, 1, 8, 30, tzinfo=UTC),
                  scores={"churn": 0.25, "value": 3.0}, pair=(ALICE, leg), who=leg),
        ScreenPop(agent="1002", caller=None, tier=Tier.STANDARD, at=datetime(2026, 12, 1, 8, 31),
                  scores={}, pair=(ALICE, None), who=ALICE),
        CallEnded("c1", 1, legs=(leg, leg), cause=16),
    ]
    for message in sent:
        buses.pub.publish(message)
    received = [await pops.get(), await pops.get()]
    assert received == sent[:2]
    assert type(received[0].tier) is Tier and type(received[0].pair) is tuple


async def test_anything_but_a_frozen_dataclass_is_refused_at_publish(buses: Buses) -> None:
    @dataclass
    class Mutable:
        n: int

    with pytest.raises(TypeError, match="frozen dataclass"):
        buses.pub.publish(Mutable(1))
    with pytest.raises(TypeError, match="frozen dataclass"):
        buses.pub.publish({"type": "call_started"})
