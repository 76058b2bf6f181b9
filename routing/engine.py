"""The core and a state store together: the core decides, the store arbitrates between instances.

``Engine.handle(event, now)`` runs the core, keeps the store's global queue order in step, and
reserves each offered agent atomically before the offer is carried out. An agent the store refuses
(another instance holds them) goes back to the core as ``ReservationLost``, and the refused offer
and its messages are dropped, so no agent is ever offered two calls across instances.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from routing import decisions as d
from routing import erlang
from routing import messages as m
from routing.core import RoutingCore
from routing.domain import AgentState
from routing.events import Input, ReservationLost
from routing.ordering import store_score
from routing.store import StateStore

log = logging.getLogger(__name__)

HELD_STATES = (AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP)


class Engine:
    """When the store cannot be reached, nothing is offered (an offer needs a reservation: no agent
    is ever offered twice); calls wait, and ``store_ok`` is False so the service stops its heartbeat
    and the holding dialplan moves the callers to the plain fallback queue. When the store answers
    again, this instance's waiting calls and held agents are written back before anything else."""

    def __init__(self, core: RoutingCore, store: StateStore, reservation_ttl: float = 60.0) -> None:
        self.core = core
        self.store = store
        self.reservation_ttl = reservation_ttl
        self.store_ok = True
        self._unsynced_removals: list[tuple[str, str, float | None]] = []

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
            granted = await self._commit(changes, releases, reserves)
            lost = {(x.call_id, x.agent_id) for x, ok in zip(offers, granted, strict=True) if not ok}
            pending.extend(ReservationLost(call_id, agent_id) for call_id, agent_id in lost)
            for decision in decisions:
                if lost and _belongs_to_lost_offer(decision, lost):
                    continue
                if isinstance(decision, d.Announce):
                    decision = await self._global_position(decision)
                out.append(decision)
        return out

    async def _commit(self, changes: list[tuple[str, str, float | None]], releases: list[tuple[str, str]],
                      reserves: list[tuple[str, str, float]]) -> list[bool]:
        if not self.store_ok and not await self.resync():
            self._unsynced_removals.extend(c for c in changes if c[2] is None)
            return [False] * len(reserves)
        try:
            return await self.store.commit(changes, releases, reserves)
        except Exception:
            log.exception("routing: the state store is unreachable; no offers until it is back")
            self.store_ok = False
            self._unsynced_removals.extend(c for c in changes if c[2] is None)
            return [False] * len(reserves)

    async def resync(self) -> bool:
        """Write this instance's state back to a store that was unreachable; True when it worked."""
        core = self.core
        changes = list(self._unsynced_removals)
        for entries in core.waiting.values():
            for entry in entries:
                call = core.calls[entry[4]]
                changes.append((call.queue, call.call_id, store_score(call.order)))
        held = [(a.profile.agent_id, a.call_id, self.reservation_ttl) for a in core.agents.values()
                if a.state in HELD_STATES and a.call_id]
        try:
            await self.store.commit(changes, [], held)
        except Exception:
            return False
        self._unsynced_removals = []
        self.store_ok = True
        log.warning("routing: the state store is back; %d queue entries and %d agents written back",
                    len(changes), len(held))
        return True

    async def refresh(self) -> None:
        """Extend every reservation this instance holds (call it well within ``reservation_ttl``)."""
        if not self.store_ok and not await self.resync():
            return
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
