"""The bus's counters in Prometheus text, as /metrics would serve them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bus import LOSSY, InProcessBus, SubscriberOverflow
from bus.metrics import register
from bus.redis_stream import RedisBus
from tests.bus.messages import Caller, CallStarted


def samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
    }


async def test_drops_and_overflows_are_counted_per_subscriber_name_and_policy() -> None:
    bus = InProcessBus()
    registry = CollectorRegistry()
    register(bus, registry)
    acd = bus.subscribe("acd", CallStarted, maxsize=2)
    bus.subscribe("wallboard", policy=LOSSY, maxsize=1)
    for n in range(5):
        bus.publish(CallStarted(f"c{n}", n, Caller("1", "a")))
    await acd.get()
    with pytest.raises(SubscriberOverflow):
        await acd.get(), await acd.get()
    got = samples(registry)
    acd_labels = (("policy", "reliable"), ("subscriber", "acd"))
    ui_labels = (("policy", "lossy"), ("subscriber", "wallboard"))
    assert got[("callcenter_bus_delivered_total", acd_labels)] == 2
    assert got[("callcenter_bus_dropped_total", acd_labels)] == 3
    assert got[("callcenter_bus_overflows_total", acd_labels)] == 1
    assert got[("callcenter_bus_queued", acd_labels)] == 0
    assert got[("callcenter_bus_dropped_total", ui_labels)] == 4
    assert got[("callcenter_bus_queued", ui_labels)] == 1
    assert got[("callcenter_bus_subscriptions", ui_labels)] == 1
    assert not any(name.startswith("callcenter_bus_redis") for name, _ in got)
    await bus.close()


@pytest.mark.redis
async def test_a_redis_bus_also_reports_its_link_and_outbound_buffer(
    redis_bus_factory: Callable[..., RedisBus],
) -> None:
    bus = redis_bus_factory()
    await bus.start()
    registry = CollectorRegistry()
    register(bus, registry)
    got = samples(registry)
    assert got[("callcenter_bus_redis_connected", ())] == 1
    assert got[("callcenter_bus_outbound_dropped_total", ())] == 0
    assert got[("callcenter_bus_gaps_total", ())] == 0
