"""The core and a state store together: the core decides, the store arbitrates between instances.

``Engine.handle(event, now)`` runs the core, keeps the store's global queue order in step, and
reserves each offered agent atomically before the offer is carried out. An agent the store refuses
(another instance holds them) goes back to the core as ``ReservationLost``, and the refused offer
and its messages are dropped, so no agent is ever offered two calls across instances.
"""

from __future__ import annotations

from dataclasses import replace

from routing import decisions as d
from routing import erlang
from routing import messages as m
from routing.core import RoutingCore
from routing.domain import AgentState
from routing.events import Input, ReservationLost
from routing.store import StateStore

HELD_STATES = (AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP)


class Engine:
    def __init__(self, core: RoutingCore, store: StateStore, reservation_ttl: float = 60.0) -> None:
        self.core = core
        self.store = store
        self.reservation_ttl = reservation_ttl

    async def handle(self, event: Input, now: float) -> list[d.Decision]:
        out: list[d.Decision] = []
        pending: list[Input] = [event]
        while pending:
            decisions = self.core.handle(pending.pop(0), now)
            changes, self.core.queue_changes = self.core.queue_changes, []
            releases = [(x.agent_id, x.call_id) for x in decisions if isinstance(x, d.ReleaseAgent)]
            offers = [x for x in decisions if isinstance(x, d.OfferCall)]
            ttl = self.reservation_ttl
            reserves = [(x.agent_id, x.call_id, max(ttl, x.ring_timeout * 2)) for x in offers]
            granted = await self.store.commit(changes, releases, reserves)
            lost = {(x.call_id, x.agent_id) for x, ok in zip(offers, granted, strict=True) if not ok}
            pending.extend(ReservationLost(call_id, agent_id) for call_id, agent_id in lost)
            for decision in decisions:
                if lost and _belongs_to_lost_offer(decision, lost):
                    continue
                if isinstance(decision, d.Announce):
                    decision = await self._global_position(decision)
                out.append(decision)
        return out

    async def refresh(self) -> None:
        """Extend every reservation this instance holds (call it well within ``reservation_ttl``)."""
        for agent in self.core.agents.values():
            if agent.state in HELD_STATES and agent.call_id:
                await self.store.refresh(agent.profile.agent_id, agent.call_id, self.reservation_ttl)

    async def _global_position(self, announce: d.Announce) -> d.Announce:
        call = self.core.calls.get(announce.call_id)
        if call is None:
            return announce
        position = await self.store.position(call.queue, call.call_id)
        if position is None or position == announce.position:
            return announce
        aht = self.core.counters[call.queue].aht or self.core.queues[call.queue].default_handle_seconds
        wait = erlang.position_wait(position, self.core.serving_agents(call.queue), aht)
        return replace(announce, position=position, estimated_wait=wait)


def _belongs_to_lost_offer(decision: d.Decision, lost: set[tuple[str, str]]) -> bool:
    if isinstance(decision, d.OfferCall):
        return (decision.call_id, decision.agent_id) in lost
    if isinstance(decision, d.RecordJourney):
        return decision.step == "offered" and (decision.call_id, decision.agent_id or "") in lost
    if isinstance(decision, d.Publish):
        msg = decision.message
        if isinstance(msg, m.CallOffered):
            return (msg.call_id, msg.agent_id) in lost
        if isinstance(msg, m.AgentStateChanged):
            return msg.state == AgentState.RESERVED.value and (msg.call_id or "", msg.agent_id) in lost
    return False
