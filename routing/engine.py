"""The core and a state store together: the core decides, the store arbitrates between instances.

``Engine.handle(event, now)`` runs the core, keeps the store's global queue order in step, and
reserves each offered agent atomically before the offer is carried out. An agent the store refuses
(another instance holds them) goes back to the core as ``ReservationLost``, and the refused offer
and its messages are dropped, so no agent is ever offered two calls across instances.

Several instances (``instance`` set, e.g. with the Redis store), one global order: every waiting
call's store entry carries a descriptor (owner, priority, entry time, current requirements, agents
tried, sticky agent). Before an offer is reserved, the first entries of the agent's queues are read
(``store.heads``, one round trip); when another instance's call comes first in the one ordering
(``routing.ordering.cross_queue_rank``) and the agent may take it, the agent is handed over to
that instance instead (``commit(handovers=...)``: reserved for that call and left in the owner's
inbox, atomically) and this instance's offer is dropped (``ReservationLost``: its call is offered
elsewhere). The owner takes its inbox (``handovers``) and offers the call (``AgentHandedOver``). A
handover the store refuses (the call was taken meanwhile) falls back to this instance's offer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from routing import decisions as d
from routing import erlang
from routing import messages as m
from routing.core import RoutingCore
from routing.domain import Agent, AgentState, Call, QueueConfig, SkillLevel
from routing.eligibility import Requirements
from routing.events import AgentHandedOver, Input, ReservationLost
from routing.ordering import cross_queue_rank, store_score
from routing.store import Handover, Heads, StateStore

log = logging.getLogger(__name__)

HELD_STATES = (AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP)
HEAD_ENTRIES = 8
"""Per queue, how many of other instances' first waiting calls a handover looks at (among the first
``HEAD_ENTRIES × store.HEAD_SCAN``; past them, this instance's own choice stands)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A waiting call's descriptor in the state store, as another instance reads it."""

    owner: str
    priority: int
    entered_at: float
    head: bool
    requirements: Requirements
    tried: frozenset[str]
    sticky_agent: str | None
    sticky_until: float

    @staticmethod
    def describe(instance: str, call: Call, requirements: Requirements) -> str:
        r = requirements
        return json.dumps({
            "o": instance, "p": call.priority, "e": call.entered_at, "h": call.head,
            "s": [[x.skill, x.level] for x in r.skills], "a": [[x.skill, x.level] for x in r.alternatives],
            "l": r.language, "t": sorted(r.teams), "x": sorted(call.tried), "k": call.sticky_agent,
            "u": call.sticky_until,
        }, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def parse(text: str) -> Entry | None:
        try:
            v = json.loads(text)
            requirements = Requirements(tuple(SkillLevel(s, int(n)) for s, n in v["s"]),
                                        tuple(SkillLevel(s, int(n)) for s, n in v["a"]), v["l"],
                                        frozenset(v["t"]))
            return Entry(str(v["o"]), int(v["p"]), float(v["e"]), bool(v["h"]), requirements,
                         frozenset(v["x"]), v["k"], float(v["u"]))
        except (ValueError, KeyError, TypeError):
            return None

    def may_take(self, agent: Agent, now: float) -> bool:
        agent_id = agent.profile.agent_id
        if agent_id in self.tried:
            return False
        if self.sticky_agent not in (None, agent_id) and now < self.sticky_until:
            return False
        return self.requirements.met_by(agent.profile)

    def rank(self, queue: QueueConfig, now: float) -> tuple[int, float, float]:
        """``cross_queue_rank`` without the sequence (instances number their calls apart)."""
        effective = self.priority + queue.ageing_per_minute * (now - self.entered_at) / 60.0
        return (0 if self.head else 1, -(effective + queue.weight), self.entered_at)


class Engine:
    """When the store cannot be reached, nothing is offered (an offer needs a reservation: no agent
    is ever offered twice); calls wait, and ``store_ok`` is False so the service stops its heartbeat
    and the holding dialplan moves the callers to the plain fallback queue. When the store answers
    again, this instance's waiting calls and held agents are written back before anything else."""

    def __init__(self, core: RoutingCore, store: StateStore, reservation_ttl: float = 60.0,
                 instance: str | None = None, alive_ttl: float = 10.0) -> None:
        self.core = core
        self.store = store
        self.reservation_ttl = reservation_ttl
        self.instance = instance
        """This instance's name among several sharing the store (``None``: alone, no global order)."""
        self.alive_ttl = alive_ttl
        self.store_ok = True
        self.handed_over = 0
        """Agents this instance freed and handed to another instance's call."""
        self._unsynced_removals: list[tuple[str, str, float | None]] = []

    async def handle(self, event: Input, now: float) -> list[d.Decision]:
        out: list[d.Decision] = []
        pending: list[Input] = [event]
        while pending:
            decisions = self.core.handle(pending.pop(0), now)
            changes, self.core.queue_changes = self.core.queue_changes, []
            releases: list[tuple[str, str]] = []
            offers: list[d.OfferCall] = []
            announces = False
            for x in decisions:  # one pass: most are Publish and RecordJourney
                if isinstance(x, d.OfferCall):
                    offers.append(x)
                elif isinstance(x, d.ReleaseAgent):
                    releases.append((x.agent_id, x.call_id))
                elif isinstance(x, d.Announce):
                    announces = True
            lost: set[tuple[str, str]] = set()
            if self.instance:  # several instances: the global order may hand an agent to another
                lost = await self._commit_shared(decisions, changes, releases, offers, now)
            elif changes or releases or offers or not self.store_ok:
                ttl = self.reservation_ttl
                reserves = [(x.agent_id, x.call_id, max(ttl, x.ring_timeout * 2)) for x in offers]
                granted = await self._commit(changes, releases, reserves)
                kept = {x.call_id for x, ok in zip(offers, granted, strict=False) if ok}
                lost = {(x.call_id, x.agent_id) for x in offers if x.call_id not in kept}
            if lost:
                pending.extend(ReservationLost(call_id, agent_id) for call_id, agent_id in lost)
                decisions = [x for x in decisions if not _belongs_to_lost_offer(x, lost)]
            if announces:
                for decision in decisions:
                    out.append(await self._global_position(decision) if isinstance(decision, d.Announce)
                               else decision)
            else:
                out.extend(decisions)
        return out

    async def _commit_shared(self, decisions: list[d.Decision], changes: list[tuple[str, str, float | None]],
                             releases: list[tuple[str, str]], offers: list[d.OfferCall],
                             now: float) -> set[tuple[str, str]]:
        """Commit one step of an instance among several; returns the offers lost (call, agent)."""
        ttl = self.reservation_ttl
        ahead: dict[str, tuple[str, str, str]] = {}
        freed = _freed_without_offer(decisions, offers)
        if offers or freed:
            ahead = await self._globally_first(offers, freed, now)
        local = [x for x in offers if x.agent_id not in ahead]
        remote = [x for x in offers if x.agent_id in ahead]
        reserves = [(x.agent_id, x.call_id, max(ttl, x.ring_timeout * 2)) for x in local]
        handovers: list[Handover] = [(x.agent_id, *ahead[x.agent_id], max(ttl, x.ring_timeout * 2))
                                     for x in remote]
        handovers += [(agent_id, *ahead[agent_id], ttl) for agent_id in freed if agent_id in ahead]
        granted = await self._commit(changes, releases, reserves, handovers, self._descriptors(changes))
        kept = {x.call_id for x, ok in zip(local, granted, strict=False) if ok}
        handed = {x.call_id for x, ok in zip(remote, granted[len(local):], strict=False) if ok}
        self.handed_over += sum(granted[len(local):])
        refused = [x for x in remote if x.call_id not in handed]
        if refused:  # the other instance's call was taken meanwhile: this instance's offer stands
            again = await self._commit([], [], [(x.agent_id, x.call_id, max(ttl, x.ring_timeout * 2))
                                                for x in refused])
            kept |= {x.call_id for x, ok in zip(refused, again, strict=False) if ok}
        return {(x.call_id, x.agent_id) for x in offers if x.call_id not in kept}

    async def _commit(self, changes: list[tuple[str, str, float | None]], releases: list[tuple[str, str]],
                      reserves: list[tuple[str, str, float]], handovers: Sequence[Handover] = (),
                      descriptors: dict[str, str] | None = None) -> list[bool]:
        failed = [False] * (len(reserves) + len(handovers))
        if not self.store_ok and not await self.resync():
            self._unsynced_removals.extend(c for c in changes if c[2] is None)
            return failed
        try:
            if handovers or descriptors:
                return await self.store.commit(changes, releases, reserves, handovers, descriptors)
            return await self.store.commit(changes, releases, reserves)
        except Exception:
            log.exception("routing: the state store is unreachable; no offers until it is back")
            self.store_ok = False
            self._unsynced_removals.extend(c for c in changes if c[2] is None)
            return failed

    # ------------------------------------------------------------------ one order across instances
    def _descriptors(self, changes: list[tuple[str, str, float | None]]) -> dict[str, str]:
        assert self.instance is not None
        out: dict[str, str] = {}
        for _queue, call_id, score in changes:
            call = self.core.calls.get(call_id)
            if score is not None and call is not None:
                out[call_id] = Entry.describe(self.instance, call, self.core.requirements_of(call))
        return out

    async def _globally_first(self, offers: list[d.OfferCall], freed: list[str],
                              now: float) -> dict[str, tuple[str, str, str]]:
        """Per agent offered a call (or freed with none to take here): (queue, call, owner) of another
        instance's call that comes first in the one ordering and that the agent may take, if any."""
        if not self.instance or not self.store_ok:
            return {}
        core = self.core
        wanted: list[tuple[Agent, Call | None]] = [(core.agents[x.agent_id], core.calls.get(x.call_id))
                                                   for x in offers]
        for agent_id in freed:
            agent = core.agents.get(agent_id)
            if agent is not None and agent.call_id is None and core.is_offerable(agent, now):
                wanted.append((agent, None))
        queues = sorted({ms.queue for agent, _call in wanted for ms in agent.profile.queues})
        try:
            heads: Heads = await self.store.heads(queues, HEAD_ENTRIES, skip_owner=self.instance)
        except Exception as exc:  # the commit that follows finds the store down and says so
            log.warning("routing: the global queue heads could not be read: %s", exc)
            return {}
        ahead: dict[str, tuple[str, str, str]] = {}
        taken: set[str] = set()
        for agent, call in wanted:
            best: tuple[int, float, float] | None = None
            if call is not None:
                best = cross_queue_rank(call, core.queues[call.queue], now)[:3]
            choice: tuple[str, str, str] | None = None
            for ms in agent.profile.queues:
                queue = core.queues[ms.queue]
                for call_id, _score, text in heads.get(ms.queue, []):
                    if call_id in taken or call_id in core.calls:
                        continue  # this instance's own calls: its core chose among them already
                    entry = Entry.parse(text)
                    if entry is None or entry.owner == self.instance or not entry.may_take(agent, now):
                        continue
                    rank = entry.rank(queue, now)
                    if best is None or rank < best:
                        best, choice = rank, (ms.queue, call_id, entry.owner)
                    break  # the queue's first call of another instance the agent may take
            if choice is not None:
                ahead[agent.profile.agent_id] = choice
                taken.add(choice[1])
        return ahead

    async def handovers(self, wait: float) -> list[AgentHandedOver]:
        """Agents other instances handed to this instance's calls (waits up to ``wait`` s for one)."""
        if self.instance is None:
            return []
        taken = await self.store.take_handovers(self.instance, wait)
        return [AgentHandedOver(call_id, agent_id) for call_id, agent_id in taken]

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
            if self.instance is not None:
                await self.store.commit(changes, [], held, descriptors=self._descriptors(changes))
            else:
                await self.store.commit(changes, [], held)
        except Exception:
            return False
        self._unsynced_removals = []
        self.store_ok = True
        log.warning("routing: the state store is back; %d queue entries and %d agents written back",
                    len(changes), len(held))
        return True

    async def refresh(self) -> None:
        """Extend every reservation this instance holds (call it well within ``reservation_ttl``) and,
        with several instances, this instance's liveness (within ``alive_ttl``)."""
        if not self.store_ok and not await self.resync():
            return
        if self.instance is not None:
            await self.store.alive(self.instance, self.alive_ttl)
        held = [(agent.profile.agent_id, agent.call_id) for agent in self.core.agents.values()
                if agent.state in HELD_STATES and agent.call_id]
        if held:  # one round trip for all (one per agent kept the event loop busy between decisions)
            await self.store.refresh_many(held, self.reservation_ttl)

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


def _freed_without_offer(decisions: list[d.Decision], offers: list[d.OfferCall]) -> list[str]:
    """Agents who became available in this step and were offered nothing here."""
    offered = {x.agent_id for x in offers}
    freed: list[str] = []
    for decision in decisions:
        if isinstance(decision, d.Publish) and isinstance(decision.message, m.AgentStateChanged):
            msg = decision.message
            if msg.state == AgentState.AVAILABLE.value and msg.agent_id not in offered | set(freed):
                freed.append(msg.agent_id)
    return freed


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
