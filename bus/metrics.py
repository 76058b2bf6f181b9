"""Prometheus metrics of a bus: ``register(bus, registry)`` adds a collector read at each scrape.

Per subscriber name and policy: ``callcenter_bus_delivered_total``, ``callcenter_bus_dropped_total``
(messages a subscriber never got), ``callcenter_bus_overflows_total`` (gaps it was told of),
``callcenter_bus_queued`` and ``callcenter_bus_subscriptions``. A Redis bus adds
``callcenter_bus_redis_connected``, ``callcenter_bus_outbound_queued``,
``callcenter_bus_outbound_dropped_total`` and ``callcenter_bus_gaps_total`` /
``callcenter_bus_missed_total`` (what its reader found missing on the stream).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from bus.base import BusBase
from bus.redis_stream import RedisBus

LABELS = ["subscriber", "policy"]


class BusCollector(Collector):
    def __init__(self, bus: BusBase) -> None:
        self.bus = bus

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        delivered = CounterMetricFamily("callcenter_bus_delivered", "Bus messages delivered", labels=LABELS)
        dropped = CounterMetricFamily(
            "callcenter_bus_dropped", "Bus messages a subscriber never received (queue full or lost)",
            labels=LABELS)
        overflows = CounterMetricFamily(
            "callcenter_bus_overflows", "Gaps a subscriber was told of (SubscriberOverflow or Dropped)",
            labels=LABELS)
        queued = GaugeMetricFamily("callcenter_bus_queued", "Bus messages waiting in queues", labels=LABELS)
        subscriptions = GaugeMetricFamily("callcenter_bus_subscriptions", "Open bus subscriptions",
                                          labels=LABELS)
        for s in self.bus.stats():
            labels = [s.name, str(s.policy)]
            delivered.add_metric(labels, s.delivered)
            dropped.add_metric(labels, s.dropped)
            overflows.add_metric(labels, s.overflows)
            queued.add_metric(labels, s.queued)
            subscriptions.add_metric(labels, s.subscriptions)
        yield from (delivered, dropped, overflows, queued, subscriptions)
        if isinstance(self.bus, RedisBus):
            t = self.bus.transport_stats()
            yield GaugeMetricFamily("callcenter_bus_redis_connected", "1 when the bus reaches Redis",
                                    value=int(t.connected))
            yield GaugeMetricFamily("callcenter_bus_outbound_queued", "Published, not yet written to Redis",
                                    value=t.outbound_queued)
            yield CounterMetricFamily("callcenter_bus_outbound_dropped",
                                      "Published messages dropped before Redis (buffer full)",
                                      value=t.outbound_dropped)
            yield CounterMetricFamily("callcenter_bus_gaps", "Gaps the reader found on the stream",
                                      value=t.gaps)
            yield CounterMetricFamily("callcenter_bus_missed", "Messages missing in those gaps",
                                      value=t.missed)


def register(bus: BusBase, registry: CollectorRegistry) -> BusCollector:
    """Expose ``bus``'s counters in ``registry`` (the app's /metrics registry)."""
    collector = BusCollector(bus)
    registry.register(collector)
    return collector
