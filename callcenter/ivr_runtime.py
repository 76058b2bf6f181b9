"""The IVR as the platform runs it: the flows of ``config/ivr/`` (reloaded when they change), the
FastAGI handler ``ivr`` over the customer record's ports, and IVR analytics for the API.

Distribution: until the ACD takes calls from the IVR, a routed call waits in the PBX's plain
queue ``fallback`` *inside* the IVR session (``RouteTarget(queue=...)``), so the post-call survey
still runs and the caller's priority travels as ``QUEUE_PRIO``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath

from sqlalchemy.orm import Session, sessionmaker

from callcenter.adapters.ivr_record import RecordPorts
from callcenter.commands.ivr import flows_dir, prompt_store, reload_stamp
from config.settings import Settings
from ivr.agi_session import RecordingPlace
from ivr.analytics import IvrAnalytics
from ivr.handler import IvrHandler
from ivr.ports import Distributor, IvrPorts, RouteRequest, RouteTarget
from ivr.prompts import PromptStore, build_flow_prompts
from ivr.registry import FlowRegistry
from tickets.workflow.rules import WorkflowRules

log = logging.getLogger(__name__)

RECORDINGS_IN_PBX = PurePosixPath("/var/spool/callcenter/voicemail")
"""Where Asterisk writes voicemail recordings (inside the bundled PBX's root)."""
FALLBACK_QUEUE = "fallback"


class PlainQueueDistributor:
    """Distributor: every routed call waits in one app_queue queue (the PBX's ``fallback``)."""

    def __init__(self, queue: str = FALLBACK_QUEUE) -> None:
        self.queue = queue

    async def route(self, request: RouteRequest) -> RouteTarget | None:
        return RouteTarget(queue=self.queue)


@dataclass
class IvrRuntime:
    registry: FlowRegistry
    handler: IvrHandler
    analytics: IvrAnalytics
    prompts: PromptStore
    watch_interval: float = 2.0
    _watcher: asyncio.Task[None] | None = field(default=None, init=False)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Load the flows (a shipped flow that fails validation stops the start) and watch them."""
        report = self.registry.reload()
        if not report.ok:
            problems = "; ".join(str(p) for p in report.problems())
            raise RuntimeError(f"the IVR flows in {flows_dir()} do not validate: {problems}")
        built = await asyncio.to_thread(build_flow_prompts, self.prompts, self.registry.flows.values())
        for refused in built.refused:
            log.error("IVR prompt not available (callers hear silence there): %s", refused)
        log.info("IVR prompts: %s built, %s cached (%s)", built.built, built.cached, self.prompts.cache_dir)
        self._watcher = asyncio.create_task(self.registry.watch(self.watch_interval), name="ivr-flows")
        try:
            yield
        finally:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None


def build_ivr(
    settings: Settings,
    sessions: sessionmaker[Session],
    rules: WorkflowRules,
    *,
    distributor: Distributor | None = None,
) -> IvrRuntime:
    record = RecordPorts(sessions, rules)
    ports = IvrPorts(
        customers=record,
        tickets=record,
        distributor=distributor or PlainQueueDistributor(),
        callbacks=record,
        surveys=record,
        journeys=record,
        clock=lambda: datetime.now(UTC),
    )
    registry = FlowRegistry(flows_dir(), reload_stamp=reload_stamp(settings))
    root = settings.pbx.root_dir.expanduser()
    recordings = RecordingPlace(
        host_dir=root / str(RECORDINGS_IN_PBX).lstrip("/"), asterisk_dir=RECORDINGS_IN_PBX
    )
    prompts = prompt_store(settings)
    handler = IvrHandler(registry, ports, prompts, recordings)
    return IvrRuntime(registry=registry, handler=handler, analytics=IvrAnalytics(record), prompts=prompts)
