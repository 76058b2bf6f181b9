"""The ACD's pure decision core: ``RoutingCore.handle(event, now) -> list[Decision]``.

No I/O and no clock of its own: the caller passes ``now`` (seconds, epoch) with every event and
calls ``handle(Tick(), now)`` at ``next_deadline()`` so timers (ring timeouts, escalation steps,
maximum waits, announcements, wrap-up ends, sticky windows) fire.

Data structures, sized for thousands of agents and calls:

- per queue, the waiting calls in a sorted list keyed by ``routing.ordering.queue_order`` (the
  order is time-invariant, so inserting is a bisect and the head is index 0);
- per queue, the set of offerable agents serving it (available, phone free, not held by another
  instance): a new call looks only at these;
- one timer heap with lazy invalidation (each timer carries a token checked when it fires).

Work conservation: after every change, each offerable agent has been offered the best call they are
eligible for, from any of their queues, if there is one; the only calls skipped are those held in a
sticky window for another agent.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Callable
from typing import Any

from routing import decisions as d
from routing import erlang
from routing import events as e
from routing import messages as m
from routing.domain import (
    BLOCKING_DEVICE_STATES,
    Agent,
    AgentProfile,
    AgentState,
    Call,
    CallAttributes,
    CallStatus,
    OverflowAction,
    QueueConfig,
    RoutingConfig,
)
from routing.eligibility import Requirements, requirements, steps_reached
from routing.ordering import cross_queue_rank, effective_priority, queue_order, store_score
from routing.stats import DayClock, QueueCounters
from routing.strategies import choose


class RoutingError(ValueError):
    """A command or event the core cannot apply (unknown agent or queue); nothing was changed.

    ``handle`` turns it into a ``Refused`` decision (timers due by then have fired and stand)."""

    def __init__(self, error_id: str, message: str) -> None:
        self.error_id = error_id
        super().__init__(message)


_RING, _ESCALATE, _MAX_WAIT, _ANNOUNCE, _WRAP_UP, _STICKY, _HELD = range(7)
_AVAILABLE, _PAUSED = AgentState.AVAILABLE, AgentState.PAUSED
_VALUE = {state: state.value for state in AgentState}


class RoutingCore:
    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self.queues: dict[str, QueueConfig] = {}
        self.agents: dict[str, Agent] = {}
        self.calls: dict[str, Call] = {}
        self.waiting: dict[str, list[tuple[int, float, float, int, str]]] = {}
        self.offerable: dict[str, set[str]] = {}  # queue → offerable agents serving it
        self.members: dict[str, dict[str, int]] = {}  # queue → agent → per-queue priority
        self.counters: dict[str, QueueCounters] = {}
        self.dirty: set[str] = set()  # queues whose snapshot changed since the last ``take_dirty``
        #: (queue, call, store score or None for "left the queue"), for a state store's global order
        self.queue_changes: list[tuple[str, str, float | None]] = []
        self._reqs: dict[str, Requirements] = {}
        self._shared_reqs: dict[tuple[object, ...], Requirements] = {}  # calls alike share one
        # per queue, the waiting calls grouped by their current requirements, each group in queue
        # order: an agent looks at the head of each group they qualify for, never at every call
        self.classes: dict[str, dict[Requirements, _Group]] = {}
        self._class_of: dict[str, _Group] = {}
        self._sticky_for: dict[str, set[str]] = {}  # agent → calls held for them
        self._timers: list[tuple[float, int, int, str, object]] = []
        self._seq = 0
        self._day = DayClock(config.utc_offset_hours)
        for queue in config.queues:
            self._put_queue(queue)
        for profile in config.agents:
            self._put_agent(profile)

    # ------------------------------------------------------------------ entry point
    def handle(self, event: e.Input, now: float) -> list[d.Decision]:
        out: list[d.Decision] = []
        if self._day.rolled(now):
            self._new_day()
        self._fire_timers(now, out)
        handler = _HANDLERS.get(type(event))
        try:
            if handler is None:
                raise RoutingError("unknown-event", f"the core does not handle {type(event).__name__}")
            handler(self, event, now, out)
        except RoutingError as exc:  # refused before any change; timers that fired stand
            out.append(d.Refused(type(event).__name__, exc.error_id, str(exc), _subject(event)))
        return out

    def next_deadline(self) -> float | None:
        return self._timers[0][0] if self._timers else None

    # ------------------------------------------------------------------ reads
    def agent(self, agent_id: str) -> Agent:
        try:
            return self.agents[agent_id]
        except KeyError:
            raise RoutingError("no-such-agent", f"unknown agent {agent_id!r}") from None

    def queue(self, name: str) -> QueueConfig:
        try:
            return self.queues[name]
        except KeyError:
            raise RoutingError("no-such-queue", f"unknown queue {name!r}") from None

    def is_offerable(self, agent: Agent, now: float) -> bool:
        return (agent.state is AgentState.AVAILABLE and agent.device not in BLOCKING_DEVICE_STATES
                and agent.held_until <= now)

    def requirements_of(self, call: Call) -> Requirements:
        reqs = self._reqs.get(call.call_id)
        if reqs is None:
            key = (call.queue, call.attrs.skills, call.attrs.language, call.step)
            reqs = self._shared_reqs.get(key)
            if reqs is None:
                reqs = self._shared_reqs[key] = requirements(call, self.queues[call.queue])
            self._reqs[call.call_id] = reqs
        return reqs

    def eligible(self, agent: Agent, call: Call) -> bool:
        """May ``agent`` take ``call`` now (state aside): serves its queue, not tried, meets its
        current requirements."""
        return (call.queue in self.members and agent.profile.agent_id in self.members[call.queue]
                and agent.profile.agent_id not in call.tried
                and self.requirements_of(call).met_by(agent.profile))

    def in_sticky_window(self, call: Call, now: float) -> bool:
        return call.sticky_agent is not None and now < call.sticky_until

    def position(self, call: Call) -> int:
        """1-based position among the waiting calls of its queue."""
        return bisect_left(self.waiting[call.queue], call.order) + 1

    def serving_agents(self, queue: str) -> int:
        """Agents logged in, not paused, serving ``queue``."""
        return sum(1 for a in self.members.get(queue, {})
                   if self.agents[a].state not in (AgentState.LOGGED_OUT, AgentState.PAUSED))

    def estimated_wait(self, call: Call) -> float | None:
        counters = self.counters[call.queue]
        aht = counters.aht or self.queues[call.queue].default_handle_seconds
        return erlang.position_wait(self.position(call), self.serving_agents(call.queue), aht)

    def take_dirty(self) -> set[str]:
        dirty, self.dirty = self.dirty, set()
        return dirty

    def queue_statistics(self, name: str, now: float) -> m.QueueStatistics:
        counters = self.counters[name]
        waiting = self.waiting[name]
        longest = max((now - self.calls[entry[4]].queue_entered_at for entry in waiting), default=0.0)
        return _statistics(name, counters, len(waiting), longest, self._agent_counts(self.members[name]))

    def statistics(self, now: float) -> m.Statistics:
        per_queue = tuple(self.queue_statistics(name, now) for name in sorted(self.queues))
        total = QueueCounters()
        for counters in self.counters.values():
            total.add(counters)
        return m.Statistics(
            at=now, queues=per_queue,
            total=_statistics("", total, sum(s.waiting for s in per_queue),
                              max((s.longest_wait for s in per_queue), default=0.0),
                              self._agent_counts(self.agents)),
        )

    def queue_snapshot(self, name: str, now: float) -> m.QueueSnapshot:
        queue = self.queue(name)
        calls = tuple(
            m.WaitingCall(
                call_id=call.call_id, position=i + 1, priority=round(effective_priority(call, queue, now), 3),
                waited=now - call.queue_entered_at, customer_id=call.attrs.customer_id, tier=call.attrs.tier,
                caller_number=call.attrs.caller_number, status=call.status.value,
            )
            for i, call in enumerate(self.calls[entry[4]] for entry in self.waiting[name])
        )
        return m.QueueSnapshot(at=now, stats=self.queue_statistics(name, now), waiting_calls=calls)

    def agent_snapshot(self, agent_id: str, now: float) -> m.AgentSnapshot:
        agent = self.agent(agent_id)
        p = agent.profile
        return m.AgentSnapshot(
            agent_id=p.agent_id, name=p.name, extension=p.extension, state=agent.state.value,
            reason=agent.reason, since=agent.since, call_id=agent.call_id, device=agent.device.value,
            queues=tuple(q.queue for q in p.queues), skills=tuple((s.skill, s.level) for s in p.skills),
            calls_today=agent.calls_today, talk_today=agent.talk_today, at=now,
        )

    def _agent_counts(self, agent_ids: object) -> m.AgentCounts:
        counts = dict.fromkeys((s.value for s in AgentState), 0)
        for agent_id in agent_ids:  # type: ignore[attr-defined]
            counts[self.agents[agent_id].state.value] += 1
        return m.AgentCounts(**counts)

    # ------------------------------------------------------------------ configuration
    def _put_queue(self, queue: QueueConfig) -> None:
        self.queues[queue.name] = queue
        self._shared_reqs.clear()
        self.waiting.setdefault(queue.name, [])
        self.offerable.setdefault(queue.name, set())
        self.members.setdefault(queue.name, {})
        self.counters.setdefault(queue.name, QueueCounters())
        entries = self.waiting[queue.name]
        entries.clear()
        self.classes[queue.name] = {}
        for call in self.calls.values():
            if call.queue == queue.name:
                self._reqs.pop(call.call_id, None)
                self._class_of.pop(call.call_id, None)
                call.order = queue_order(call, queue)
                if call.status is CallStatus.WAITING:
                    entries.append(call.order)
                    self._file(call)
        entries.sort()

    def _put_agent(self, profile: AgentProfile) -> Agent:
        unknown = [ms.queue for ms in profile.queues if ms.queue not in self.queues]
        if unknown:
            raise RoutingError("no-such-queue", f"agent {profile.agent_id!r}: unknown queue {unknown[0]!r}")
        for groups in self.classes.values():  # what the agent meets is learnt again
            for group in groups.values():
                group.meets.pop(profile.agent_id, None)
        agent = self.agents.get(profile.agent_id)
        if agent is None:
            agent = self.agents[profile.agent_id] = Agent(profile)
        else:
            self._unindex(agent)
            for ms in agent.profile.queues:
                self.members[ms.queue].pop(profile.agent_id, None)
            agent.profile = profile
        for ms in profile.queues:
            self.members[ms.queue][profile.agent_id] = ms.priority
        return agent

    def _new_day(self) -> None:
        for name in self.counters:
            self.counters[name] = QueueCounters()
        for agent in self.agents.values():
            agent.calls_today = 0
            agent.talk_today = 0.0
        self.dirty.update(self.queues)

    # ------------------------------------------------------------------ indexes
    def _index(self, agent: Agent, now: float) -> None:
        if self.is_offerable(agent, now):
            agent.indexed = True
            agent_id = agent.profile.agent_id
            for name in agent.profile.queue_names:
                self.offerable[name].add(agent_id)

    def _unindex(self, agent: Agent) -> None:
        if not agent.indexed:  # an agent freed and offered a call at once was never indexed
            return
        agent.indexed = False
        agent_id = agent.profile.agent_id
        for name in agent.profile.queue_names:
            self.offerable[name].discard(agent_id)

    def _enqueue(self, call: Call) -> None:
        call.status = CallStatus.WAITING
        call.order = queue_order(call, self.queues[call.queue])
        insort(self.waiting[call.queue], call.order)
        self._file(call)
        self.dirty.add(call.queue)
        self.queue_changes.append((call.queue, call.call_id, store_score(call.order)))

    def _dequeue(self, call: Call) -> None:
        entries = self.waiting[call.queue]
        i = bisect_left(entries, call.order)
        if i < len(entries) and entries[i] == call.order:
            del entries[i]
        self._unfile(call)
        self.dirty.add(call.queue)
        self.queue_changes.append((call.queue, call.call_id, None))

    def _file(self, call: Call) -> None:
        reqs = self.requirements_of(call)
        groups = self.classes[call.queue]
        group = groups.get(reqs)
        if group is None:
            group = groups[reqs] = _Group(call.queue, reqs)
        insort(group.entries, call.order)
        self._class_of[call.call_id] = group

    def _unfile(self, call: Call) -> None:
        group = self._class_of.pop(call.call_id, None)
        if group is None:
            return
        entries = group.entries
        i = bisect_left(entries, call.order)
        if i < len(entries) and entries[i] == call.order:
            del entries[i]
        if not entries:
            groups = self.classes[group.queue]
            if groups.get(group.reqs) is group:
                del groups[group.reqs]

    def _timer(self, at: float, kind: int, key: str, token: object) -> None:
        self._seq += 1
        heapq.heappush(self._timers, (at, self._seq, kind, key, token))

    # ------------------------------------------------------------------ state changes
    def _set_state(self, agent: Agent, state: AgentState, now: float, out: list[d.Decision],
                   reason: str = "") -> None:
        previous = agent.state
        agent.state = state
        agent.since = now
        agent.reason = reason if state is _PAUSED else ""
        if previous is _AVAILABLE and state is not _AVAILABLE:
            self._unindex(agent)
        self.dirty.update(agent.profile.queue_names)
        out.append(d.Publish(m.AgentStateChanged(agent.profile.agent_id, _VALUE[state], _VALUE[previous],
                                                 agent.reason, now, agent.call_id)))

    def _make_available(self, agent: Agent, now: float, out: list[d.Decision]) -> None:
        agent.call_id = None
        if agent.state is not AgentState.AVAILABLE:
            self._set_state(agent, AgentState.AVAILABLE, now, out)
        self._agent_free(agent, now, out)

    def _agent_free(self, agent: Agent, now: float, out: list[d.Decision]) -> None:
        """Offer the agent the best call they may take, or index them as offerable."""
        if not self.is_offerable(agent, now):
            return
        call = self._best_call_for(agent, now)
        if call is None:
            self._index(agent, now)
        else:
            self._offer(call, agent, now, out)

    def _best_call_for(self, agent: Agent, now: float) -> Call | None:
        agent_id = agent.profile.agent_id
        held = self._sticky_for.get(agent_id)
        if held:
            mine = [self.calls[c] for c in held if self.calls[c].status is CallStatus.WAITING
                    and self.eligible(agent, self.calls[c])]
            if mine:
                return min(mine, key=lambda c: cross_queue_rank(c, self.queues[c.queue], now))
        best: Call | None = None
        best_rank: tuple[int, float, float, int] | None = None
        profile = agent.profile
        calls = self.calls
        classes = self.classes
        for name in profile.queue_names:
            groups = classes[name]
            if not groups:
                continue
            queue = self.queues[name]
            for group in groups.values():
                if not group.met_by(profile):
                    continue
                for entry in group.entries:  # the group's first call this agent may take
                    call = calls[entry[4]]
                    if agent_id in call.tried:
                        continue
                    sticky = call.sticky_agent
                    if sticky is not None and sticky != agent_id and now < call.sticky_until:
                        continue
                    # cross_queue_rank(call, queue, now), inline (the same arithmetic, in the same order)
                    entered = call.entered_at
                    rank = (entry[0], -(call.priority + queue.ageing_per_minute * (now - entered) / 60.0
                                        + queue.weight), entered, call.seq)
                    if best_rank is None or rank < best_rank:
                        best, best_rank = call, rank
                    break
        return best

    def _call_waiting(self, call: Call, now: float, out: list[d.Decision]) -> None:
        """Offer a (newly) waiting call to the best offerable agent who may take it."""
        agent = self._best_agent_for(call, now)
        if agent is not None:
            self._offer(call, agent, now, out)

    def _best_agent_for(self, call: Call, now: float) -> Agent | None:
        queue = self.queues[call.queue]
        pool = self.offerable[call.queue]
        if not pool:
            return None
        if self.in_sticky_window(call, now):
            sticky = call.sticky_agent
            if sticky not in pool:
                return None
            agent = self.agents[sticky]
            return agent if self.eligible(agent, call) else None
        reqs = self.requirements_of(call)
        agents = self.agents
        group = self._class_of.get(call.call_id)
        meets = group.met_by if group is not None else reqs.met_by
        candidates = [agents[a] for a in pool if a not in call.tried and meets(agents[a].profile)]
        if not candidates:
            return None
        tiers = self.members[call.queue]
        top = min(tiers[a.profile.agent_id] for a in candidates)
        candidates = [a for a in candidates if tiers[a.profile.agent_id] == top]
        candidates.sort(key=lambda a: a.profile.agent_id)
        return choose(candidates, queue, reqs.skills, now)

    def _offer(self, call: Call, agent: Agent, now: float, out: list[d.Decision]) -> None:
        queue = self.queues[call.queue]
        self._dequeue(call)
        self._drop_sticky(call)
        call.status = CallStatus.OFFERED
        call.attempts += 1
        call.agent_id = agent.profile.agent_id
        call.last_agent = agent.profile.agent_id
        call.offered_at = now
        agent.call_id = call.call_id
        agent.last_offer[call.queue] = now
        self._timer(now + queue.ring_timeout, _RING, call.call_id, (call.attempts, agent.profile.agent_id))
        a = call.attrs
        # OfferCall first: an engine whose reservation fails drops it and the messages after it
        out.append(d.OfferCall(call.call_id, agent.profile.agent_id, agent.profile.extension, call.queue,
                               queue.ring_timeout, a.caller_number, a.caller_name))
        agent.resumed_since = agent.since
        self._set_state(agent, AgentState.RESERVED, now, out)
        out.append(d.Publish(m.CallOffered(
            call.call_id, agent.profile.agent_id, agent.profile.extension, call.queue, call.attempts,
            a.customer_id, a.tier, a.intent, a.caller_number, a.caller_name, now - call.queue_entered_at, now,
        )))
        out.append(d.RecordJourney(call.call_id, "offered", now, call.queue, agent.profile.agent_id, "",
                                   a.customer_id))

    def _drop_sticky(self, call: Call) -> None:
        if call.sticky_agent is not None:
            held = self._sticky_for.get(call.sticky_agent)
            if held is not None:
                held.discard(call.call_id)
                if not held:
                    del self._sticky_for[call.sticky_agent]
            call.sticky_agent = None

    def _withdraw_offer(self, call: Call, agent: Agent) -> None:
        """The call is no longer offered to the agent (who is left in their current state)."""
        call.agent_id = None
        agent.call_id = None

    def _requeue_at_head(self, call: Call, now: float, out: list[d.Decision]) -> None:
        call.head = True
        self._enqueue(call)
        if now - call.queue_entered_at >= self.queues[call.queue].max_wait:
            self._max_wait(call, now, out)
        else:
            self._call_waiting(call, now, out)

    def _offer_failed(self, call: Call, agent: Agent, reason: str, now: float, out: list[d.Decision]) -> None:
        agent_id = agent.profile.agent_id
        out.append(d.CancelOffer(call.call_id, agent_id))
        out.append(d.ReleaseAgent(agent_id, call.call_id))
        out.append(d.Publish(m.OfferMissed(call.call_id, agent_id, call.queue, reason, now)))
        out.append(d.RecordJourney(call.call_id, "no_answer", now, call.queue, agent_id, reason,
                                   call.attrs.customer_id))
        call.tried.add(agent_id)
        self._withdraw_offer(call, agent)
        self._set_state(agent, AgentState.PAUSED, now, out, "missed")
        out.append(d.PauseAgent(agent_id, "missed"))
        self._requeue_at_head(call, now, out)

    def _admit(self, call: Call, queue: QueueConfig, now: float, out: list[d.Decision], detail: str, *,
               offer: bool = True, since: float | None = None) -> None:
        """The call enters ``queue`` (``since``: when, for an adopted call; else now): timers,
        counters, journey, then (``offer``) an agent if one may take it."""
        since = now if since is None else since
        call.queue = queue.name
        call.queue_entered_at = since
        call.step = steps_reached(queue, now - since)
        call.head = False
        self._reqs.pop(call.call_id, None)
        self.counters[queue.name].offered += 1
        self._enqueue(call)
        self._timer(since + queue.max_wait, _MAX_WAIT, call.call_id, since)
        if call.step < len(queue.escalation):
            self._timer(since + queue.escalation[call.step].after, _ESCALATE, call.call_id, since)
        if queue.announce_interval > 0:
            self._timer(now + queue.announce_interval, _ANNOUNCE, call.call_id, since)
        a = call.attrs
        out.append(d.RecordJourney(call.call_id, "entered", now, queue.name, None, detail, a.customer_id))
        out.append(d.Publish(m.CallQueued(call.call_id, queue.name, call.priority, a.customer_id, a.tier,
                                          a.caller_number, a.caller_name, now)))
        if offer:
            self._call_waiting(call, now, out)

    def _base_priority(self, attrs: CallAttributes, queue: QueueConfig) -> int:
        base = attrs.priority if attrs.priority is not None else queue.priority
        return base + self.config.priority.boost(attrs.tier, attrs.intent)

    def _max_wait(self, call: Call, now: float, out: list[d.Decision]) -> None:
        queue = self.queues[call.queue]
        overflow = queue.overflow
        waited = now - call.queue_entered_at
        self._dequeue(call)
        self._drop_sticky(call)
        self.counters[queue.name].overflowed += 1
        target = overflow.target if overflow.action is OverflowAction.QUEUE else ""
        action = overflow.action
        if action is OverflowAction.QUEUE and (target not in self.queues or target in call.visited):
            action = OverflowAction.VOICEMAIL  # a target removed at run time, or a loop: never wait forever
            target = ""
        out.append(d.Publish(m.CallOverflowed(call.call_id, queue.name, action.value,
                                              target or overflow.target, waited, now)))
        out.append(d.RecordJourney(call.call_id, "overflowed", now, queue.name, None,
                                   f"{action.value}:{target or overflow.target}", call.attrs.customer_id))
        if action is OverflowAction.QUEUE:
            out.append(d.Overflow(call.call_id, queue.name, target))
            call.visited = (*call.visited, queue.name)
            target_queue = self.queues[target]
            call.priority = self._base_priority(call.attrs, target_queue)
            self._admit(call, target_queue, now, out, f"overflow from {queue.name}")
            return
        if action is OverflowAction.CALLBACK:
            out.append(d.OfferCallback(call.call_id, queue.name))
        else:
            out.append(d.SendToVoicemail(call.call_id, queue.name, overflow.target))
        self._forget(call)

    def _forget(self, call: Call) -> None:
        self._drop_sticky(call)
        self.calls.pop(call.call_id, None)
        self._reqs.pop(call.call_id, None)

    def _abandon(self, call: Call, now: float, out: list[d.Decision]) -> None:
        waited = now - call.queue_entered_at
        short = waited < self.config.short_abandon_seconds
        counters = self.counters[call.queue]
        counters.abandoned += 1
        counters.short_abandoned += short
        self.dirty.add(call.queue)
        if call.status is CallStatus.WAITING:
            self._dequeue(call)
        elif call.status is CallStatus.OFFERED and call.agent_id is not None:
            agent = self.agents[call.agent_id]
            out.append(d.CancelOffer(call.call_id, call.agent_id))
            out.append(d.ReleaseAgent(call.agent_id, call.call_id))
            self._withdraw_offer(call, agent)
            self._after_call(agent, now, out)
        out.append(d.Publish(m.CallAbandoned(call.call_id, call.queue, waited, short, now)))
        out.append(d.RecordJourney(call.call_id, "abandoned", now, call.queue, None, "",
                                   call.attrs.customer_id))
        self._forget(call)

    def _after_call(self, agent: Agent, now: float, out: list[d.Decision]) -> None:
        """The call or offer is over, wrap-up (if any) ended: the pending pause or logout, else free."""
        pending, reason = agent.pending, agent.pending_reason
        agent.pending, agent.pending_reason = None, ""
        agent.call_id = None
        if pending is not None:
            self._set_state(agent, pending, now, out, reason)
        else:
            self._make_available(agent, now, out)

    def _end_wrap_up(self, agent: Agent, now: float, out: list[d.Decision]) -> None:
        counters = self.counters.get(agent.wrap_queue)
        if counters is not None:
            counters.handle_seconds += now - agent.since
        out.append(d.ReleaseAgent(agent.profile.agent_id, agent.call_id or ""))
        self._after_call(agent, now, out)

    def _call_over(self, call: Call, now: float, out: list[d.Decision], step: str, detail: str = "") -> None:
        agent = self.agents[call.agent_id] if call.agent_id is not None else None
        out.append(d.RecordJourney(call.call_id, step, now, call.queue, call.agent_id, detail,
                                   call.attrs.customer_id))
        self._forget(call)
        if agent is None:
            return
        talk = now - call.answered_at
        agent.talk_today += talk
        counters = self.counters[call.queue]
        counters.handled += 1
        counters.handle_seconds += talk
        agent.wrap_queue = call.queue
        wrap = self.queues[call.queue].wrapup_seconds
        self._set_state(agent, AgentState.WRAP_UP, now, out)
        if wrap <= 0:
            self._end_wrap_up(agent, now, out)
        else:
            self._timer(now + wrap, _WRAP_UP, agent.profile.agent_id, now)

    def _cancel_agent_offer(self, agent: Agent, now: float, out: list[d.Decision]) -> None:
        """Agent paused or logged out while reserved or ringing: the call goes back to the head."""
        call = self.calls.get(agent.call_id or "")
        if call is None or call.agent_id != agent.profile.agent_id:
            return
        out.append(d.CancelOffer(call.call_id, agent.profile.agent_id))
        out.append(d.ReleaseAgent(agent.profile.agent_id, call.call_id))
        call.tried.add(agent.profile.agent_id)
        self._withdraw_offer(call, agent)
        self._requeue_at_head(call, now, out)

    # ------------------------------------------------------------------ timers
    def _fire_timers(self, now: float, out: list[d.Decision]) -> None:
        timers = self._timers
        while timers and timers[0][0] <= now:
            _at, _seq, kind, key, token = heapq.heappop(timers)
            if kind == _WRAP_UP or kind == _HELD:
                agent = self.agents.get(key)
                if agent is None:
                    continue
                if kind == _WRAP_UP and agent.state is AgentState.WRAP_UP and agent.since == token:
                    self._end_wrap_up(agent, now, out)
                elif kind == _HELD and agent.held_until == token:
                    agent.held_until = 0.0
                    self._agent_free(agent, now, out)
                continue
            call = self.calls.get(key)
            if call is None:
                continue
            if kind == _RING:
                if call.status is not CallStatus.CONNECTED and (call.attempts, call.agent_id) == token:
                    agent = self.agents[call.agent_id]  # type: ignore[index]
                    self._offer_failed(call, agent, "no-answer", now, out)
            elif kind == _STICKY:
                if call.status is CallStatus.WAITING and call.sticky_until == token:
                    self._drop_sticky(call)
                    self._call_waiting(call, now, out)
            elif call.queue_entered_at != token:
                continue  # the call moved to another queue since
            elif kind == _MAX_WAIT:
                if call.status is CallStatus.WAITING:
                    self._max_wait(call, now, out)
                # offered: decided when the offer fails (``_requeue_at_head``); connected: nothing
            elif kind == _ESCALATE:
                queue = self.queues[call.queue]
                waiting = call.status is CallStatus.WAITING
                if waiting:
                    self._unfile(call)
                call.step = steps_reached(queue, now - call.queue_entered_at)
                self._reqs.pop(call.call_id, None)
                if waiting:
                    self._file(call)
                if call.step < len(queue.escalation):
                    self._timer(call.queue_entered_at + queue.escalation[call.step].after, _ESCALATE,
                                call.call_id, token)
                if call.status is CallStatus.WAITING:
                    self._call_waiting(call, now, out)
            elif kind == _ANNOUNCE:
                queue = self.queues[call.queue]
                if call.status is CallStatus.WAITING:
                    out.append(d.Announce(call.call_id, self.position(call), self.estimated_wait(call)))
                if call.status is not CallStatus.CONNECTED:
                    self._timer(now + queue.announce_interval, _ANNOUNCE, call.call_id, token)

    # ------------------------------------------------------------------ handlers
    def _on_call_entered(self, event: e.CallEntered, now: float, out: list[d.Decision]) -> None:
        call = self._enter(event, now, out)
        if call is not None:
            self._call_waiting(call, now, out)

    def _on_calls_adopted(self, event: e.CallsAdopted, now: float, out: list[d.Decision]) -> None:
        for entered in event.calls:  # an unknown queue refuses the batch before any change
            self.queue(entered.attrs.queue)
        adopted = [call for entered in event.calls if (call := self._enter(entered, now, out)) is not None]
        adopted.sort(key=lambda c: cross_queue_rank(c, self.queues[c.queue], now))
        for call in adopted:
            if call.status is CallStatus.WAITING and call.call_id in self.calls:
                self._call_waiting(call, now, out)

    def _enter(self, event: e.CallEntered, now: float, out: list[d.Decision]) -> Call | None:
        """The call enters its queue (not yet offered); ``None`` when it is already distributed."""
        attrs = event.attrs
        if attrs.call_id in self.calls:
            return None  # the same call again (a replay after a resync): already in distribution
        queue = self.queue(attrs.queue)
        since = now if event.entered_at is None else min(event.entered_at, now)
        self._seq += 1
        call = Call(attrs=attrs, queue=queue.name, priority=self._base_priority(attrs, queue),
                    entered_at=since, queue_entered_at=since, seq=self._seq)
        self.calls[attrs.call_id] = call
        sticky = queue.strategy.sticky
        last = self.agents.get(attrs.last_agent or "")
        if (sticky is not None and last is not None and attrs.last_agent_at is not None
                and since - attrs.last_agent_at <= sticky.days * 86400.0 and self.eligible(last, call)):
            call.sticky_agent = last.profile.agent_id
            call.sticky_until = since + sticky.seconds
            self._sticky_for.setdefault(call.sticky_agent, set()).add(attrs.call_id)
            self._timer(call.sticky_until, _STICKY, attrs.call_id, call.sticky_until)
        self._admit(call, queue, now, out, "" if event.entered_at is None else "adopted", offer=False,
                    since=since)
        return call

    def _on_ringing(self, event: e.AgentRinging, now: float, out: list[d.Decision]) -> None:
        call = self.calls.get(event.call_id)
        agent = self.agents.get(event.agent_id)
        if call is None or agent is None or call.agent_id != event.agent_id:
            return
        if agent.state is AgentState.RESERVED:
            self._set_state(agent, AgentState.RINGING, now, out)

    def _on_answered(self, event: e.OfferAnswered, now: float, out: list[d.Decision]) -> None:
        call = self.calls.get(event.call_id)
        agent = self.agents.get(event.agent_id)
        if agent is None:
            return
        if call is None or call.agent_id != event.agent_id or call.status is not CallStatus.OFFERED:
            out.append(d.CancelOffer(event.call_id, event.agent_id))  # answered too late: hang that leg up
            return
        call.status = CallStatus.CONNECTED
        call.answered_at = now
        waited = now - call.queue_entered_at
        counters = self.counters[call.queue]
        counters.answered += 1
        counters.answered_in_sl += waited <= self.queues[call.queue].service_level_seconds
        counters.wait_answered += waited
        agent.calls_today += 1
        self._set_state(agent, AgentState.ON_CALL, now, out)
        out.append(d.Publish(m.CallAnswered(call.call_id, event.agent_id, call.queue, waited, now)))
        out.append(d.RecordJourney(call.call_id, "answered", now, call.queue, event.agent_id, "",
                                   call.attrs.customer_id))

    def _offered(self, call_id: str, agent_id: str) -> tuple[Call | None, Agent | None]:
        """The call and agent when that call is offered to that agent now, else (None, None)."""
        call = self.calls.get(call_id)
        agent = self.agents.get(agent_id)
        if call is None or agent is None or call.agent_id != agent_id:
            return None, None
        if call.status is not CallStatus.OFFERED:
            return None, None
        return call, agent

    def _on_offer_failed(self, event: e.OfferFailed, now: float, out: list[d.Decision]) -> None:
        call, agent = self._offered(event.call_id, event.agent_id)
        if call is None or agent is None:
            return
        self._offer_failed(call, agent, event.reason, now, out)

    def _on_reservation_lost(self, event: e.ReservationLost, now: float, out: list[d.Decision]) -> None:
        call, agent = self._offered(event.call_id, event.agent_id)
        if call is None or agent is None:
            return
        self._withdraw_offer(call, agent)
        agent.held_until = now + self.config.missed_retry_seconds
        self._timer(agent.held_until, _HELD, agent.profile.agent_id, agent.held_until)
        # the offer never left this instance: back to available as it was, nothing to publish
        agent.state = AgentState.AVAILABLE
        agent.since = agent.resumed_since
        self._enqueue(call)
        self._call_waiting(call, now, out)

    def _on_handed_over(self, event: e.AgentHandedOver, now: float, out: list[d.Decision]) -> None:
        call = self.calls.get(event.call_id)
        agent = self.agents.get(event.agent_id)
        takes = (call is not None and agent is not None and call.status is CallStatus.WAITING
                 and agent.state is AgentState.AVAILABLE and agent.call_id is None
                 and agent.device not in BLOCKING_DEVICE_STATES and self.eligible(agent, call)
                 and call.sticky_agent in (None, event.agent_id))
        if not takes or call is None or agent is None:
            out.append(d.ReleaseAgent(event.agent_id, event.call_id))  # the store's reservation goes
            return
        agent.held_until = 0.0
        self._offer(call, agent, now, out)

    def _on_hung_up(self, event: e.CallerHungUp | e.CallEnded, now: float, out: list[d.Decision]) -> None:
        call = self.calls.get(event.call_id)
        if call is None:
            return
        if call.status is CallStatus.CONNECTED:
            self._call_over(call, now, out, "ended")
        else:
            self._abandon(call, now, out)

    def _on_ended(self, event: e.CallEnded, now: float, out: list[d.Decision]) -> None:
        self._on_hung_up(event, now, out)

    def _on_transferred(self, event: e.CallTransferred, now: float, out: list[d.Decision]) -> None:
        call = self.calls.get(event.call_id)
        if call is None:
            return
        if call.status is CallStatus.CONNECTED:
            self._call_over(call, now, out, "transferred", event.target)
        else:
            self._abandon(call, now, out)

    def _on_callback(self, event: e.CallbackRequested, now: float, out: list[d.Decision]) -> None:
        call = self.calls.get(event.call_id)
        if call is None or call.status is CallStatus.CONNECTED:
            return
        if call.status is CallStatus.OFFERED and call.agent_id is not None:
            agent = self.agents[call.agent_id]
            out.append(d.CancelOffer(call.call_id, call.agent_id))
            out.append(d.ReleaseAgent(call.agent_id, call.call_id))
            self._withdraw_offer(call, agent)
            self._after_call(agent, now, out)
        else:
            self._dequeue(call)
        self.counters[call.queue].overflowed += 1
        out.append(d.OfferCallback(call.call_id, call.queue))
        out.append(d.Publish(m.CallOverflowed(call.call_id, call.queue, "callback", "",
                                              now - call.queue_entered_at, now)))
        out.append(d.RecordJourney(call.call_id, "overflowed", now, call.queue, None, "callback:requested",
                                   call.attrs.customer_id))
        self._forget(call)

    def _on_device(self, event: e.DeviceStateChanged, now: float, out: list[d.Decision]) -> None:
        agent = self.agent(event.agent_id)
        agent.device = event.state
        if agent.state is AgentState.AVAILABLE:
            if self.is_offerable(agent, now):
                self._agent_free(agent, now, out)
            else:
                self._unindex(agent)

    def _on_log_in(self, event: e.LogIn, now: float, out: list[d.Decision]) -> None:
        agent = self.agent(event.agent_id)
        if agent.state is AgentState.LOGGED_OUT:
            self._make_available(agent, now, out)

    def _leave(self, agent: Agent, state: AgentState, reason: str, now: float, out: list[d.Decision]) -> None:
        """Pause or log out: now, or after the current call's wrap-up."""
        if agent.state is AgentState.ON_CALL:
            agent.pending, agent.pending_reason = state, reason
            return
        if agent.state in (AgentState.RESERVED, AgentState.RINGING):
            self._cancel_agent_offer(agent, now, out)
        if agent.state is AgentState.WRAP_UP:
            counters = self.counters.get(agent.wrap_queue)
            if counters is not None:
                counters.handle_seconds += now - agent.since
            out.append(d.ReleaseAgent(agent.profile.agent_id, ""))
        agent.call_id = None
        if agent.state is not state or agent.reason != reason:
            self._set_state(agent, state, now, out, reason)

    def _on_log_out(self, event: e.LogOut, now: float, out: list[d.Decision]) -> None:
        agent = self.agent(event.agent_id)
        if agent.state is not AgentState.LOGGED_OUT:
            self._leave(agent, AgentState.LOGGED_OUT, "", now, out)

    def _on_pause(self, event: e.Pause, now: float, out: list[d.Decision]) -> None:
        agent = self.agent(event.agent_id)
        if agent.state is AgentState.LOGGED_OUT:
            raise RoutingError("agent-logged-out", f"agent {event.agent_id!r} is logged out")
        self._leave(agent, AgentState.PAUSED, event.reason, now, out)

    def _on_unpause(self, event: e.Unpause, now: float, out: list[d.Decision]) -> None:
        agent = self.agent(event.agent_id)
        if agent.state is AgentState.PAUSED:
            self._make_available(agent, now, out)
        elif agent.pending is AgentState.PAUSED:
            agent.pending, agent.pending_reason = None, ""

    def _on_end_wrap_up(self, event: e.EndWrapUp, now: float, out: list[d.Decision]) -> None:
        agent = self.agent(event.agent_id)
        if agent.state is AgentState.WRAP_UP:
            self._end_wrap_up(agent, now, out)

    def _on_upsert_agent(self, event: e.UpsertAgent, now: float, out: list[d.Decision]) -> None:
        agent = self._put_agent(event.profile)
        if agent.state is AgentState.AVAILABLE:
            self._agent_free(agent, now, out)

    def _on_remove_agent(self, event: e.RemoveAgent, now: float, out: list[d.Decision]) -> None:
        agent = self.agent(event.agent_id)
        if agent.state is AgentState.ON_CALL:
            raise RoutingError("agent-on-call", f"agent {event.agent_id!r} is on a call")
        self._leave(agent, AgentState.LOGGED_OUT, "", now, out)
        for ms in agent.profile.queues:
            self.members[ms.queue].pop(event.agent_id, None)
        self._sticky_for.pop(event.agent_id, None)
        del self.agents[event.agent_id]

    def _on_upsert_queue(self, event: e.UpsertQueue, now: float, out: list[d.Decision]) -> None:
        queue = event.queue
        if queue.overflow.action is OverflowAction.QUEUE and queue.overflow.target not in self.queues:
            raise RoutingError("no-such-queue", f"queue {queue.name!r}: unknown overflow target")
        self._put_queue(queue)
        for agent_id in list(self.members[queue.name]):
            agent = self.agents[agent_id]
            if self.is_offerable(agent, now) and agent.call_id is None:
                self._agent_free(agent, now, out)

    def _on_tick(self, event: e.Tick, now: float, out: list[d.Decision]) -> None:
        return


class _Group:
    """The waiting calls of one queue that have the same current requirements, in queue order, and
    which agents meet those requirements (learnt on first look; forgotten when an agent changes)."""

    __slots__ = ("entries", "meets", "queue", "reqs")

    def __init__(self, queue: str, reqs: Requirements) -> None:
        self.queue = queue
        self.reqs = reqs
        self.entries: list[tuple[int, float, float, int, str]] = []
        self.meets: dict[str, bool] = {}

    def met_by(self, profile: AgentProfile) -> bool:
        ok = self.meets.get(profile.agent_id)
        if ok is None:
            ok = self.meets[profile.agent_id] = self.reqs.met_by(profile)
        return ok


def _subject(event: e.Input) -> str:
    if isinstance(event, e.CallEntered):
        return event.attrs.call_id
    return str(getattr(event, "call_id", None) or getattr(event, "agent_id", None) or "")


def _statistics(name: str, c: QueueCounters, waiting: int, longest: float,
                agents: m.AgentCounts) -> m.QueueStatistics:
    return m.QueueStatistics(
        queue=name, waiting=waiting, longest_wait=longest, offered=c.offered, answered=c.answered,
        abandoned=c.abandoned, short_abandoned=c.short_abandoned, overflowed=c.overflowed,
        answered_in_sl=c.answered_in_sl, service_level=c.service_level, asa=c.asa, aht=c.aht, agents=agents,
    )


_Handler = Callable[[RoutingCore, Any, float, list[d.Decision]], None]
_HANDLERS: dict[type, _Handler] = {
    e.CallEntered: RoutingCore._on_call_entered,
    e.CallsAdopted: RoutingCore._on_calls_adopted,
    e.AgentRinging: RoutingCore._on_ringing,
    e.OfferAnswered: RoutingCore._on_answered,
    e.OfferFailed: RoutingCore._on_offer_failed,
    e.ReservationLost: RoutingCore._on_reservation_lost,
    e.AgentHandedOver: RoutingCore._on_handed_over,
    e.CallerHungUp: RoutingCore._on_hung_up,
    e.CallEnded: RoutingCore._on_ended,
    e.CallTransferred: RoutingCore._on_transferred,
    e.CallbackRequested: RoutingCore._on_callback,
    e.DeviceStateChanged: RoutingCore._on_device,
    e.LogIn: RoutingCore._on_log_in,
    e.LogOut: RoutingCore._on_log_out,
    e.Pause: RoutingCore._on_pause,
    e.Unpause: RoutingCore._on_unpause,
    e.EndWrapUp: RoutingCore._on_end_wrap_up,
    e.UpsertAgent: RoutingCore._on_upsert_agent,
    e.RemoveAgent: RoutingCore._on_remove_agent,
    e.UpsertQueue: RoutingCore._on_upsert_queue,
    e.Tick: RoutingCore._on_tick,
}
