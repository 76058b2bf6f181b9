"""The platform: every long-lived part, built from settings in one place and run in one lifespan.

``build_platform(settings, ...)`` builds the parts (nothing connects yet); ``async with
platform.running():`` starts them in order and stops them in reverse: the database readiness check,
the call recorder, the AMI link with its call tracker, the FastAGI server and the background jobs.
``serve``, ``demo`` and ``simulate`` build the web app on it (``agent_console.app.create_app``);
routers reach it through ``agent_console.deps.PlatformDep`` or the narrow dependencies of their own
package that the app fills from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from agent_console.auth.ratelimit import InMemoryLoginLimiter, LoginLimiter
from bus import metrics as bus_metrics
from callcenter.acd_runtime import AcdRuntime
from callcenter.call_records import CallRecorder
from callcenter.ivr_runtime import IvrRuntime, build_ivr
from callcenter.messages import CALL_EVENTS, PlatformBus, build_bus
from callcenter.readiness import ReadinessChecks, database_check
from config.settings import Settings
from routing.service import RoutingService
from telephony.agi import FastAgiServer
from telephony.ami import AmiClient, Message
from telephony.devices import device_state_change
from telephony.tracker import CallTracker, TrackerLink, attach
from tickets import db as tickets_db
from tickets.jobs import run_jobs_forever
from tickets.users.passwords import Passwords
from tickets.workflow.rules import WorkflowRules, load_rules

log = logging.getLogger(__name__)


@dataclass
class Telephony:
    """The link to one Asterisk: the AMI client, the call tracker fed by it, the recorder of calls."""

    ami: AmiClient
    tracker: CallTracker
    recorder: CallRecorder | None
    """``None`` when calls are not written to the customer record (``callcenter simulate``)."""
    link: TrackerLink | None = None


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    """Sessions on the platform's database (services flush; the caller commits)."""
    passwords: Passwords
    login_limiter: LoginLimiter
    workflow_rules: WorkflowRules
    bus: PlatformBus
    """Typed messages between the parts: the tracker's call events (see docs/bus.md)."""
    readiness: ReadinessChecks = field(default_factory=ReadinessChecks)
    metrics: CollectorRegistry = field(default_factory=CollectorRegistry)
    telephony: Telephony | None = None
    """``None`` when the platform runs without Asterisk (``serve --no-ami``, API tests)."""
    agi: FastAgiServer | None = None
    ivr: IvrRuntime | None = None
    """The IVR flows and the FastAGI handler ``ivr`` (with the FastAGI server)."""
    acd: RoutingService | None = None
    """The ACD (routing.service.RoutingService), with the AMI link: ``None`` without Asterisk."""
    acd_runtime: AcdRuntime | None = None
    """The ACD's wiring (callcenter/acd_runtime.py): its distributor, members of the fallback queue."""
    run_jobs: bool = False
    jobs_task: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Platform]:
        """Start every part, yield the running platform, stop them in reverse order (also on errors)."""
        async with contextlib.AsyncExitStack() as stack:
            self.readiness.add("database", database_check(self.engine))
            stack.callback(self.readiness.remove, "database")
            stack.callback(self.engine.dispose)
            await self.bus.start()
            stack.push_async_callback(self.bus.close)
            if self.telephony is not None:
                await stack.enter_async_context(self._telephony_running(self.telephony))
            if self.acd_runtime is not None:
                await stack.enter_async_context(self.acd_runtime.running(self.bus, self.bus.publish))
            if self.ivr is not None:
                await stack.enter_async_context(self.ivr.running())
            if self.agi is not None:
                await self.agi.start()
                stack.push_async_callback(self.agi.close)
                log.info("FastAGI server on %s:%s", self.agi.host, self.agi.bound_port)
            if self.run_jobs:
                await stack.enter_async_context(self._jobs_running())
            yield self

    @contextlib.asynccontextmanager
    async def _telephony_running(self, parts: Telephony) -> AsyncIterator[None]:
        if parts.recorder is not None:
            parts.recorder.start(self.bus.subscribe("call-recorder", *CALL_EVENTS))
        unsubscribe = parts.tracker.subscribe(self.bus.publish)
        devices = parts.ami.subscribe("DeviceStateChange", self._device_state)
        parts.link = attach(parts.ami, parts.tracker)
        self.readiness.add("ami", lambda: parts.ami.connected)
        parts.ami.start()
        log.info("AMI link to %s:%s starting", self.settings.ami.host, self.settings.ami.port)
        try:
            yield
        finally:
            self.readiness.remove("ami")
            parts.link.detach()
            devices.cancel()
            unsubscribe()
            await parts.ami.close()
            if parts.recorder is not None:
                await parts.recorder.close()

    def _device_state(self, event: Message) -> None:
        change = device_state_change(event)
        if change is not None and change.extension is not None:  # agent phones only
            self.bus.publish(change)

    @contextlib.asynccontextmanager
    async def _jobs_running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(
            run_jobs_forever(self.sessions, self.workflow_rules), name="tickets-jobs"
        )
        self.jobs_task = task
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.jobs_task = None


def build_platform(
    settings: Settings,
    *,
    ami: bool = False,
    record_calls: bool = True,
    agi: bool = False,
    jobs: bool = False,
    passwords: Passwords | None = None,
    login_limiter: LoginLimiter | None = None,
    workflow_rules: WorkflowRules | None = None,
) -> Platform:
    """The platform for ``settings``: ``ami`` links to Asterisk (the call tracker and, with
    ``record_calls``, the recorder writing calls to the customer record), ``agi`` serves FastAGI on
    ``settings.agi`` with the IVR on its ``ivr`` route, ``jobs`` runs the tickets background jobs."""
    workflow_rules = workflow_rules or load_rules()
    engine = tickets_db.create_engine(settings.effective_database_url)
    sessions = tickets_db.session_factory(engine)
    telephony = acd = None
    if ami:
        tracker = CallTracker()
        recorder = CallRecorder(sessions, tracker) if record_calls else None
        telephony = Telephony(ami=AmiClient(settings.ami), tracker=tracker, recorder=recorder)
        acd = AcdRuntime(settings, sessions, telephony.ami, tracker, workflow_rules)
    bus = build_bus(settings)
    metrics = CollectorRegistry()
    bus_metrics.register(bus, metrics)
    agi_server = ivr_runtime = None
    if agi:
        agi_server = FastAgiServer.from_settings(settings.agi)
        ivr_runtime = build_ivr(settings, sessions, workflow_rules,
                                distributor=acd.distributor if acd is not None else None)
        agi_server.add_route("ivr", ivr_runtime.handler)
        if acd is not None:
            agi_server.add_route("acd", acd.agi)
    return Platform(
        settings=settings,
        engine=engine,
        sessions=sessions,
        passwords=passwords or Passwords(),
        login_limiter=login_limiter or InMemoryLoginLimiter(max_failures=5, window_seconds=60),
        workflow_rules=workflow_rules,
        bus=bus,
        metrics=metrics,
        telephony=telephony,
        agi=agi_server,
        ivr=ivr_runtime,
        acd=acd.service if acd is not None else None,
        acd_runtime=acd,
        run_jobs=jobs,
    )
