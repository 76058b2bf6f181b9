"""The ACD service: feeds the engine from the platform's events and carries its decisions out.

One decision at a time goes through the engine (an ``asyncio.Lock``); what the decisions ask of the
PBX runs in tasks of its own, so a slow AMI action never holds the ACD back, and its failure comes
back as an event (an agent leg that could not be placed is ``OfferFailed``). Journey steps go to the
journey store through a bounded queue drained by a writer task; snapshots and statistics of the
queues that changed are published every ``snapshot_interval``. A heartbeat tells the holding
dialplan the engine is alive and refreshes the agents' reservations in the state store.

    service = RoutingService(engine, control=..., publish=bus.publish, journeys=..., tiers=...)
    async with service:
        await service.call_entered(CallAttributes(call_id=..., queue="general", customer_id="42"))
        await service.submit(LogIn("agent1"))
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from types import TracebackType
from typing import Any, Self

from routing import decisions as d
from routing import messages as m
from routing.config import RoutingConfigError, parse, with_changes
from routing.domain import AgentProfile, CallAttributes, QueueConfig
from routing.engine import Engine
from routing.events import (
    CallEntered,
    Input,
    LogOut,
    OfferAnswered,
    OfferFailed,
    RemoveAgent,
    Tick,
    UpsertAgent,
    UpsertQueue,
)
from routing.ports import (
    AgentDirectory,
    AgentLegFailed,
    CallControl,
    ConfigChange,
    ConfigChangeStore,
    CustomerTiers,
    EventSource,
    JourneyStore,
)

log = logging.getLogger(__name__)

Publisher = Callable[[object], None]
_CHANNEL_POLL = 0.02
"""How often ``caller_channel`` looks again while it waits for the tracker (s)."""


class RoutingService:
    def __init__(
        self,
        engine: Engine,
        *,
        control: CallControl,
        publish: Publisher,
        journeys: JourneyStore | None = None,
        tiers: CustomerTiers | None = None,
        changes: ConfigChangeStore | None = None,
        document: Any = None,
        clock: Callable[[], float] = time.time,
        snapshot_interval: float = 1.0,
        heartbeat_ttl: float = 6.0,
        journey_buffer: int = 10_000,
        channel_wait: float = 2.0,
    ) -> None:
        self.engine = engine
        self.core = engine.core
        self._control = control
        self._publish = publish
        self._journeys = journeys
        self._tiers = tiers
        self._changes = changes
        self._document = document
        self._applied: list[ConfigChange] = []
        self._clock = clock
        self._snapshot_interval = snapshot_interval
        self._heartbeat_ttl = heartbeat_ttl
        self._channel_wait = channel_wait
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._journal: asyncio.Queue[d.RecordJourney | None] = asyncio.Queue(journey_buffer)  # None: stop
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._writer: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        gc.collect()
        gc.freeze()  # the loaded configuration and agents leave the collector's generations
        self._loops = [
            asyncio.create_task(self._timer_loop(), name="routing-timers"),
            asyncio.create_task(self._snapshot_loop(), name="routing-snapshots"),
            asyncio.create_task(self._heartbeat_loop(), name="routing-heartbeat"),
        ]
        if self.engine.instance is not None:  # several instances: agents handed over by the others
            self._loops.append(asyncio.create_task(self._handover_loop(), name="routing-handovers"))
        self._writer = asyncio.create_task(self._journey_loop(), name="routing-journeys")

    async def close(self) -> None:
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops = []
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._writer is not None:  # the writer stores what it holds, then stops
            await self._journal.put(None)
            await self._writer
            self._writer = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    # ------------------------------------------------------------------ input
    async def submit(self, event: Input) -> list[d.Decision]:
        """Apply one event or command now; returns the decisions (already being carried out)."""
        async with self._lock:
            decisions = await self.engine.handle(event, self._clock())
        self._carry_out(decisions)
        self._wake.set()
        return decisions

    async def call_entered(self, attrs: CallAttributes) -> list[d.Decision]:
        """A call enters distribution: its tier from the record and, for a sticky queue, the
        caller's last agent from the journey store, when the IVR did not give them."""
        customer = attrs.customer_id
        if customer:
            if attrs.tier is None and self._tiers is not None:
                attrs = replace(attrs, tier=await self._safely(self._tiers.tier(customer), None))
            queue = self.core.queues.get(attrs.queue)
            sticky = queue.strategy.sticky if queue is not None else None
            if sticky is not None and attrs.last_agent is None and self._journeys is not None:
                since = self._clock() - sticky.days * 86400.0
                last = await self._safely(self._journeys.last_agent(customer, since), None)
                if last is not None:
                    attrs = replace(attrs, last_agent=last.agent_id, last_agent_at=last.at)
        return await self.submit(CallEntered(attrs))

    async def caller_channel(self, call_id: str, lookup: Callable[[str], str | None], *,
                             wait: float | None = None) -> str | None:
        """The caller's channel by ``lookup`` (the call tracker's), waiting up to ``wait`` seconds
        (``channel_wait``, default 2 s) for one it has not seen yet; None after that.

        A route request (the IVR's route step, the inbound dialplan) can arrive before the tracker
        has handled the new caller's channel events (under load, or its resync still running):
        answering at once would fail a caller the ACD can serve open to the plain fallback queue.
        The wait is bounded, so a caller whose channel never appears still fails open."""
        channel = lookup(call_id)
        if channel:
            return channel
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self._channel_wait if wait is None else wait)
        while loop.time() < deadline:
            await asyncio.sleep(min(_CHANNEL_POLL, max(0.0, deadline - loop.time())))
            channel = lookup(call_id)
            if channel:
                return channel
        log.info("routing: call %s: no caller channel seen within %.1f s", call_id,
                 self._channel_wait if wait is None else wait)
        return None

    async def consume(self, source: EventSource) -> None:
        """Feed every event of ``source`` (until it ends); a failing event is logged and skipped."""
        async for event in source.events():
            try:
                if isinstance(event, CallEntered):
                    await self.call_entered(event.attrs)
                else:
                    await self.submit(event)
            except Exception:
                log.exception("routing: event %r failed; skipped", event)

    # ------------------------------------------------------------------ configuration at run time
    async def load_changes(self) -> None:
        """Apply the stored run-time changes over the seed (at start, before calls arrive)."""
        if self._changes is None:
            return
        stored = list(await self._changes.current())
        config = parse(with_changes(self._document, stored))
        self._applied = stored
        for queue in config.queues:
            await self.submit(UpsertQueue(queue))
        for profile in config.agents:
            await self.submit(UpsertAgent(profile))
        kept = {profile.agent_id for profile in config.agents}
        for agent_id in [a for a in self.core.agents if a not in kept]:
            await self.submit(RemoveAgent(agent_id))

    async def change(self, kind: str, name: str, body: dict[str, Any] | None, actor: str) -> None:
        """Add, change (``body``: the entry as in routing.yaml) or remove (``body`` None) a queue or an
        agent. The whole configuration is validated with the change first (``RoutingConfigError``
        naming the entry); the change is stored (audited) before it takes effect."""
        if kind == "queue" and body is None:
            raise RoutingConfigError([f"queues.{name}: a queue is retired by a restart, not live"])
        change = ConfigChange(kind=kind, name=name, body="" if body is None else json.dumps(body),
                              actor=actor, at=self._clock(), removed=body is None)
        config = parse(with_changes(self._document, [*self._applied, change]))
        if self._changes is not None:
            await self._changes.record(change)
        self._applied.append(change)
        if kind == "queue":
            await self.submit(UpsertQueue(config.queue(name)))
        elif body is None:
            await self.submit(RemoveAgent(name))
        else:
            profile = next(p for p in config.agents if p.agent_id == name)
            await self.submit(UpsertAgent(profile))

    async def sync_agents(self, directory: AgentDirectory) -> None:
        """Agents are the users with an extension: the directory's extension and name win over the
        configuration's; a user the configuration does not know becomes an agent of no queue (seen,
        never offered calls); an inactive user is logged out; an agent who is no user is removed."""
        users = {user.username: user for user in await directory.users_with_extension()}
        for username, user in sorted(users.items()):
            known = self.core.agents.get(username)
            base = known.profile if known is not None else AgentProfile(username, user.extension)
            profile = replace(base, extension=user.extension, name=user.name or base.name)
            if known is None or known.profile != profile:
                await self.submit(UpsertAgent(profile))
            if not user.active:
                await self.submit(LogOut(username))
        for agent_id in [a for a in self.core.agents if a not in users]:
            await self.submit(RemoveAgent(agent_id))

    # ------------------------------------------------------------------ reads
    def statistics(self) -> m.Statistics:
        return self.core.statistics(self._clock())

    def queue_snapshot(self, name: str) -> m.QueueSnapshot:
        return self.core.queue_snapshot(name, self._clock())

    def agent_snapshot(self, agent_id: str) -> m.AgentSnapshot:
        return self.core.agent_snapshot(agent_id, self._clock())

    def queues(self) -> list[QueueConfig]:
        return list(self.core.queues.values())

    # ------------------------------------------------------------------ output
    def _carry_out(self, decisions: list[d.Decision]) -> None:
        for decision in decisions:
            if isinstance(decision, d.Publish):
                self._send(decision.message)
            elif isinstance(decision, d.RecordJourney):
                self._journal_step(decision)
            elif isinstance(decision, d.OfferCall):
                self._spawn(self._ring(decision))
            elif isinstance(decision, d.CancelOffer):
                self._spawn(self._control.cancel_agent_leg(decision.call_id, decision.agent_id))
            elif isinstance(decision, d.Announce):
                self._spawn(self._control.announce(decision.call_id, decision.position,
                                                   decision.estimated_wait))
            elif isinstance(decision, d.OfferCallback):
                self._spawn(self._control.redirect(decision.call_id, "callback"))
            elif isinstance(decision, d.SendToVoicemail):
                self._spawn(self._control.redirect(decision.call_id, f"voicemail:{decision.mailbox}"))
            elif isinstance(decision, d.Refused):
                log.warning("routing: %s refused (%s): %s", decision.input, decision.error_id,
                            decision.message)
                if decision.input == "CallEntered" and decision.subject:
                    self._spawn(self._control.redirect(decision.subject, "fallback"))
            # Overflow to one of our queues, PauseAgent, ReleaseAgent: the engine and the messages did it

    async def _ring(self, offer: d.OfferCall) -> None:
        try:
            await self._control.ring_agent(offer.call_id, offer.extension, caller_number=offer.caller_number,
                                           caller_name=offer.caller_name, ring_seconds=offer.ring_timeout)
        except AgentLegFailed as exc:
            await self.submit(OfferFailed(offer.call_id, offer.agent_id, exc.reason))
        except Exception as exc:
            log.warning("routing: agent leg %s for %s failed: %s", offer.extension, offer.call_id, exc)
            await self.submit(OfferFailed(offer.call_id, offer.agent_id, "unreachable"))
        else:
            await self.submit(OfferAnswered(offer.call_id, offer.agent_id))

    def _send(self, message: object) -> None:
        try:
            self._publish(message)
        except Exception:
            log.exception("routing: publishing %s failed", type(message).__name__)

    def _journal_step(self, step: d.RecordJourney) -> None:
        if self._journeys is None:
            return
        try:
            self._journal.put_nowait(step)
        except asyncio.QueueFull:
            log.error("routing: journey buffer full; step %s of %s dropped", step.step, step.call_id)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(self._guard(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("routing: a call-control action failed")

    @staticmethod
    async def _safely(work: Coroutine[Any, Any, Any], default: Any) -> Any:
        try:
            return await work
        except Exception:
            log.exception("routing: a lookup failed; going on without it")
            return default

    # ------------------------------------------------------------------ loops
    async def _timer_loop(self) -> None:
        while True:
            deadline = self.core.next_deadline()
            delay = 3600.0 if deadline is None else max(0.0, deadline - self._clock())
            self._wake.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that arrives as the
            # event is set, and close() would wait for this loop forever
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            deadline = self.core.next_deadline()
            if deadline is not None and deadline <= self._clock():
                try:
                    await self.submit(Tick())
                except Exception:
                    log.exception("routing: timers failed")

    async def _snapshot_loop(self) -> None:
        while True:
            await asyncio.sleep(self._snapshot_interval)
            dirty = self.core.take_dirty()
            now = self._clock()
            for name in sorted(dirty):
                if name in self.core.queues:
                    self._send(self.core.queue_snapshot(name, now))
            if dirty:
                self._send(self.core.statistics(now))

    async def _heartbeat_loop(self) -> None:
        while True:
            try:
                await self.engine.refresh()
                if self.engine.store_ok:  # no store, no offers: let the dialplan's fallback take the callers
                    await self._control.heartbeat(self._heartbeat_ttl)
            except Exception as exc:  # the AMI link is down or starting: the dialplan fails open meanwhile
                log.warning("routing: heartbeat failed: %s", exc)
            await asyncio.sleep(self._heartbeat_ttl / 3)

    async def _handover_loop(self) -> None:
        while True:
            try:
                handed = await self.engine.handovers(1.0)
            except Exception as exc:  # the store is down: the engine offers nothing meanwhile
                log.warning("routing: handovers not read: %s", exc)
                await asyncio.sleep(1.0)
                continue
            for event in handed:
                try:
                    await self.submit(event)
                except Exception:
                    log.exception("routing: handover %r failed", event)

    async def _journey_loop(self) -> None:
        """Store journey steps in batches (up to 500 a write) until the stop mark."""
        while True:
            item = await self._journal.get()
            steps: list[d.RecordJourney] = []
            while item is not None:
                steps.append(item)
                if len(steps) >= 500 or self._journal.empty():
                    break
                item = self._journal.get_nowait()
            if steps and self._journeys is not None:
                try:
                    await self._journeys.append(steps)
                except Exception:
                    log.exception("routing: %d journey steps could not be stored", len(steps))
            if item is None:
                return
