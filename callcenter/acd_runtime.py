"""The ACD as the platform runs it: ``routing.service.RoutingService`` built from settings, fed
from the platform bus, carrying its decisions out over the platform's AMI link.

- configuration: ``settings.routing.config_file`` (default ``config/routing.yaml``), run-time
  changes from ``routing_config_changes`` replayed at start; agents in step with the record's users;
- state: ``MemoryStore``, or ``RedisStore`` on ``settings.redis_url`` when ``routing.store`` is
  ``redis`` (several instances: each gets an instance name, and the queue order is global);
- journeys in ``routing_journey_steps``; customer tiers from the record;
- events: the tracker's ``CallEnded`` and the phones' ``DeviceStateChange`` (reliable bus
  subscription, ``callcenter.adapters.routing_events``);
- call control: ``AmiCallControl`` (callers found through the call tracker; after the agent hangs
  up the caller goes on in ``cc-acd-after``; fallback → ``cc-acd-fallback``);
- the fail-open queue's members: every agent the engine knows with a queue is a member of the
  app_queue ``fallback`` queue (``QueueAdd``/``QueueRemove``, again after every AMI reconnect);
- adoption: after every AMI login (the first included) the phones' device states are read and the
  callers found waiting in the holding context enter distribution again with their attributes and
  entry time (``callcenter.adapters.routing_adoption``); callers held back (their agent leg from
  before is still ringing) are looked at again every ``adopt_retry`` seconds;
- FastAGI route ``acd``: the holding dialplan's callback key (``acd?callback=1&call=<id>``);
- the IVR's distributor (``AcdDistributor``) hands routed calls to the ACD.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from callcenter.adapters.ivr_record import RecordPorts
from callcenter.adapters.routing_adoption import Adoption, AdoptionReport
from callcenter.adapters.routing_distributor import AcdDistributor
from callcenter.adapters.routing_events import MESSAGES, RoutingEvents
from callcenter.adapters.routing_record import RecordAgentDirectory, RecordCustomerTiers
from config.settings import Settings
from ivr.ports import CallbackRequest
from routing import config as routing_config
from routing import messages as m
from routing.ami_control import AmiCallControl
from routing.core import RoutingCore
from routing.engine import Engine
from routing.events import CallbackRequested
from routing.repository import SqlConfigChangeStore, SqlJourneyStore
from routing.service import Publisher, RoutingService
from routing.store import MemoryStore, StateStore
from telephony.agi import AgiSession
from telephony.ami import AmiClient
from telephony.control import DialplanTarget
from telephony.tracker import CallTracker
from tickets.workflow.rules import WorkflowRules

log = logging.getLogger(__name__)

FALLBACK_QUEUE = "fallback"
AFTER_CONTEXT = "cc-acd-after"
FALLBACK_CONTEXT = "cc-acd-fallback"
CALLBACK_CONTEXT = "cc-acd-callback"


class AcdRuntime:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], ami: AmiClient,
                 tracker: CallTracker, rules: WorkflowRules, *, fallback_queue: str = FALLBACK_QUEUE,
                 members_interval: float = 5.0, adopt_retry: float = 2.0) -> None:
        path = settings.routing.config_file or routing_config.DEFAULT_FILE
        self.document = routing_config.read_document(path)
        config = routing_config.parse(self.document)
        self._tracker = tracker
        self._ami = ami
        self.fallback_queue = fallback_queue
        self._members_interval = members_interval
        self._members: set[str] = set()
        self._publish: Publisher = lambda message: None
        self._pending: set[asyncio.Task[None]] = set()
        self._callbacks = RecordPorts(sessions, rules)
        self.directory = RecordAgentDirectory(sessions)
        fallback = DialplanTarget(FALLBACK_CONTEXT, "s", 1)
        self.control = AmiCallControl(
            ami, caller_channel=self.caller_channel,
            targets={"fallback": fallback, "callback": DialplanTarget(CALLBACK_CONTEXT, "s", 1),
                     # no voicemail box of the ACD's own yet: an overflow to voicemail waits for an agent
                     "voicemail": fallback},
            after_bridge=DialplanTarget(AFTER_CONTEXT, "s", 1),
            heartbeat_family=settings.routing.heartbeat_family,
        )
        store = self._store(settings)
        # with a shared (Redis) store, one global queue order across the instances sharing it
        instance = None if isinstance(store, MemoryStore) else f"acd-{secrets.token_hex(6)}"
        self.service = RoutingService(
            Engine(RoutingCore(config), store, instance=instance), control=self.control,
            publish=self._on_message, journeys=SqlJourneyStore(sessions), tiers=RecordCustomerTiers(sessions),
            changes=SqlConfigChangeStore(sessions), document=self.document,
            heartbeat_ttl=settings.routing.heartbeat_ttl,
        )
        self._heartbeat_ttl = settings.routing.heartbeat_ttl
        self.live = False
        self.adoption = Adoption(self.service, ami, self.control, holding=settings.routing.holding_context,
                                 fallback=fallback, caller_channel=self.caller_channel)
        self._adopt_retry = adopt_retry
        self._retrying: asyncio.Task[None] | None = None
        self.adopted: list[AdoptionReport] = []
        """What each adoption run found (the last one last)."""
        self.distributor = AcdDistributor(self.service, ami=ami, caller_channel=self.caller_channel,
                                          holding=settings.routing.holding_context,
                                          heartbeat_family=settings.routing.heartbeat_family,
                                          fallback_queue=fallback_queue, running=lambda: self.live)

    @staticmethod
    def _store(settings: Settings) -> StateStore:
        if settings.routing.store == "redis":
            from redis.asyncio import Redis

            from routing.redis_store import RedisStore

            return RedisStore(Redis.from_url(settings.redis_url), prefix=settings.routing.redis_prefix)
        return MemoryStore()

    def caller_channel(self, call_id: str) -> str | None:
        """The channel that started the call (its Uniqueid is the call's Linkedid): the one that ran
        the IVR and waits in the holding dialplan (for a Local pair, its ``;1`` half)."""
        call = self._tracker.call(call_id)
        if call is None:
            return None
        first = next((party.channel for party in call.channels if party.uniqueid == call_id), None)
        return first or call.caller.channel

    # ------------------------------------------------------------------ lifecycle
    @contextlib.asynccontextmanager
    async def running(self, bus: object, publish: Publisher) -> AsyncIterator[AcdRuntime]:
        """Start the service (stored changes replayed, agents synced), feed it from ``bus``."""
        self._publish = publish
        subscription = bus.subscribe("acd", *MESSAGES)  # type: ignore[attr-defined]
        self._ami.on_connect(self._reconnected)
        async with self.service:
            await self.service.load_changes()
            try:
                await self.service.sync_agents(self.directory)
            except Exception:
                log.exception("ACD: agents not synced with the record; the configuration's agents serve")
            tasks = [asyncio.create_task(self.service.consume(RoutingEvents(subscription, self.service.core)),
                                         name="acd-events"),
                     asyncio.create_task(self._members_loop(), name="acd-fallback-members")]
            self.live = True
            if self._ami.connected:  # logged in before the service ran: alive and adopting now
                await self._beat()
                await self.adopt()
            try:
                yield self
            finally:
                self.live = False
                if self._retrying is not None:
                    self._retrying.cancel()
                subscription.close()
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    async def _reconnected(self) -> None:
        self._members.clear()  # an Asterisk restart forgets the members added at run time
        if self.live:  # the tracker resynced just before (its listener comes first)
            await self._beat()
            await self.adopt()

    async def _beat(self) -> None:
        """The heartbeat at once (callers in the holding dialplan see the engine alive)."""
        if not self.service.engine.store_ok:
            return
        try:
            await self.control.heartbeat(self._heartbeat_ttl)
        except Exception as exc:
            log.warning("ACD: heartbeat after the AMI login failed: %s", exc)

    # ------------------------------------------------------------------ adoption after a restart
    async def adopt(self) -> AdoptionReport | None:
        """Adopt the callers waiting in the holding context (see ``routing_adoption``); callers held
        back are looked at again every ``adopt_retry`` seconds while there are any."""
        report = await self._adopt_once()
        if report is not None and report.held_back and self._retrying is None:
            self._retrying = asyncio.get_running_loop().create_task(self._adopt_again(),
                                                                    name="acd-adopt-retry")
        return report

    async def _adopt_once(self) -> AdoptionReport | None:
        try:
            report = await self.adoption.run()
        except Exception:
            log.exception("ACD: adopting the waiting callers failed")
            return None
        self.adopted.append(report)
        del self.adopted[:-20]
        return report

    async def _adopt_again(self) -> None:
        try:
            while True:
                await asyncio.sleep(self._adopt_retry)
                if not (self.live and self._ami.connected):
                    return
                report = await self._adopt_once()
                if report is not None and not report.held_back:
                    return
        finally:
            self._retrying = None

    # ------------------------------------------------------------------ the fail-open queue's members
    def wanted_members(self) -> set[str]:
        return {a.profile.extension for a in self.service.core.agents.values()
                if a.profile.extension and a.profile.queues}

    async def sync_members(self) -> None:
        wanted = self.wanted_members()
        for extension in sorted(wanted - self._members):
            await self.control.add_member(self.fallback_queue, extension)
            self._members.add(extension)
        for extension in sorted(self._members - wanted):
            await self.control.remove_member(self.fallback_queue, extension)
            self._members.discard(extension)

    async def _members_loop(self) -> None:
        while True:
            if self._ami.connected:
                try:
                    await self.sync_members()
                except Exception as exc:
                    log.warning("ACD: fallback queue members not in step: %s", exc)
            await asyncio.sleep(self._members_interval)

    # ------------------------------------------------------------------ messages and callbacks
    def _on_message(self, message: object) -> None:
        self._publish(message)
        if isinstance(message, m.CallOverflowed) and message.action == "callback":
            number = self.distributor.numbers.pop(message.call_id, "")
            if number:
                work = self._schedule_callback(message.call_id, number)
                task = asyncio.get_running_loop().create_task(work)
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
        elif isinstance(message, m.CallAnswered | m.CallAbandoned):
            self.distributor.numbers.pop(message.call_id, None)

    async def _schedule_callback(self, call_id: str, number: str) -> None:
        try:
            ref = await self._callbacks.callback(CallbackRequest(call_id=call_id, number=number,
                                                                 not_before=datetime.now(UTC)))
            log.info("ACD call %s: callback %s scheduled for %s", call_id, ref, number)
        except Exception:
            log.exception("ACD call %s: the callback for %s could not be stored", call_id, number)

    async def agi(self, agi: AgiSession) -> None:
        """FastAGI route ``acd``: ``?callback=1&call=<id>`` (the holding dialplan's callback key)."""
        call_id = agi.env.query.get("call", "")
        if agi.env.query.get("callback") == "1" and call_id:
            await self.service.submit(CallbackRequested(call_id))
