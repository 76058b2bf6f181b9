"""Two engines sharing one store, fed random interleavings: an agent is never offered two calls,
and an offer the store refused leaves no trace in what the engine returns."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from routing import messages as m
from routing.core import RoutingCore
from routing.decisions import Decision, OfferCall, Publish, RecordJourney, ReleaseAgent
from routing.domain import CallAttributes, CallStatus, RoutingConfig
from routing.engine import Engine
from routing.events import CallEnded, CallEntered, CallerHungUp, Input, LogIn, OfferAnswered, Tick
from routing.store import MemoryStore
from tests.routing.builders import T0, agent, queue

AGENTS = [agent(f"a{i}", ["q"], ext=f"80{i}") for i in range(4)]


def new_engine(store: MemoryStore) -> Engine:
    config = RoutingConfig(queues=(queue("q", wrapup_seconds=0, max_wait=500, ring_timeout=30),),
                           agents=tuple(AGENTS), missed_retry_seconds=1)
    return Engine(RoutingCore(config), store)


step = st.tuples(st.integers(0, 1), st.integers(0, 5), st.integers(0, 100), st.floats(0, 3))


@settings(max_examples=150, deadline=None)
@given(st.lists(step, min_size=1, max_size=80))
def test_two_engines_on_one_store_never_offer_an_agent_twice(
        steps: list[tuple[int, int, int, float]]) -> None:
    now = [T0]

    def clock() -> float:
        return now[0]

    store = MemoryStore(clock=clock)
    engines = [new_engine(store), new_engine(store)]
    holding: dict[str, tuple[int, str]] = {}  # agent → (engine, call), from carried-out offers
    calls = 0

    def record(which: int, out: list[Decision]) -> None:
        lost_free = {(x.call_id, x.agent_id) for x in out if isinstance(x, OfferCall)}
        for decision in out:
            if isinstance(decision, OfferCall):
                held = holding.get(decision.agent_id)
                assert held is None, f"{decision.agent_id} offered {decision.call_id} while holding {held}"
                holding[decision.agent_id] = (which, decision.call_id)
            elif isinstance(decision, ReleaseAgent) and holding.get(decision.agent_id, (-1, ""))[0] == which:
                del holding[decision.agent_id]
            elif isinstance(decision, Publish) and isinstance(decision.message, m.CallOffered):
                assert (decision.message.call_id, decision.message.agent_id) in lost_free
            elif isinstance(decision, RecordJourney) and decision.step == "offered":
                assert (decision.call_id, decision.agent_id or "") in lost_free

    async def run() -> None:
        nonlocal calls
        for which, _engine in enumerate(engines):
            for profile in AGENTS:
                record(which, await engines[which].handle(LogIn(profile.agent_id), now[0]))
        for which, kind, pick, dt in steps:
            now[0] += dt
            engine = engines[which]
            core = engine.core
            event: Input
            offered = sorted(c.call_id for c in core.calls.values() if c.status is CallStatus.OFFERED)
            connected = sorted(c.call_id for c in core.calls.values() if c.status is CallStatus.CONNECTED)
            if kind <= 1:
                calls += 1
                event = CallEntered(CallAttributes(call_id=f"e{which}-{calls}", queue="q"))
            elif kind == 2 and offered:
                call = core.calls[offered[pick % len(offered)]]
                event = OfferAnswered(call.call_id, call.agent_id or "")
            elif kind == 3 and connected:
                event = CallEnded(connected[pick % len(connected)])
            elif kind == 4 and core.calls:
                event = CallerHungUp(sorted(core.calls)[pick % len(core.calls)])
            else:
                event = Tick()
            record(which, await engine.handle(event, now[0]))

    asyncio.run(run())
