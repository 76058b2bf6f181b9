"""Every bus message of the ACD travels through the platform's JSON codec and comes back equal."""

from __future__ import annotations

from bus.codec import Codec
from routing import messages as m
from routing.decisions import Publish
from routing.events import CallEnded, OfferAnswered
from tests.routing.builders import T0, agent, core, enter, log_in, queue

TYPES = [m.AgentStateChanged, m.CallQueued, m.CallOffered, m.OfferMissed, m.CallAnswered, m.CallAbandoned,
         m.CallOverflowed, m.QueueSnapshot, m.AgentSnapshot, m.Statistics]


def test_every_message_round_trips_through_the_bus_codec() -> None:
    codec = Codec()
    for cls in TYPES:
        codec.register(cls)
    c = core([queue("q", wrapup_seconds=0)], [agent("a", ["q"])])
    out = log_in(c, "a") + enter(c, "c1", "q", T0, caller_name="张三丰", tier="vip", customer_id="42")
    out += enter(c, "c2", "q", T0 + 1)
    out += c.handle(OfferAnswered("c1", "a"), T0 + 2) + c.handle(CallEnded("c1"), T0 + 30)
    messages = [x.message for x in out if isinstance(x, Publish)]
    messages += [c.queue_snapshot("q", T0 + 31), c.agent_snapshot("a", T0 + 31), c.statistics(T0 + 31)]
    seen = {type(msg) for msg in messages}
    assert seen >= {m.AgentStateChanged, m.CallQueued, m.CallOffered, m.CallAnswered}
    for msg in messages:
        name, payload = codec.encode(msg)
        assert codec.decode(name, payload) == msg
