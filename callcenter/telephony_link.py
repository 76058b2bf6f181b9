"""The AMI link of a running platform: client, call tracker and call recorder, as an app lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from callcenter.call_records import CallRecorder
from telephony.ami import AmiClient
from telephony.tracker import CallTracker, attach

log = logging.getLogger(__name__)


@asynccontextmanager
async def telephony_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Connect to AMI in the background (retrying until it answers), track calls, record them.

    ``/readyz`` reports the link as the ``ami`` check; ``app.state.ami``, ``app.state.calls`` and
    ``app.state.call_recorder`` are there for the routers of the next milestones.
    """
    settings = app.state.settings
    client = AmiClient(settings.ami)
    tracker = CallTracker()
    recorder = CallRecorder(app.state.db)
    tracker.subscribe(recorder.submit)
    link = attach(client, tracker)
    app.state.ami, app.state.calls, app.state.call_recorder = client, tracker, recorder
    app.state.readiness.add("ami", lambda: client.connected)
    recorder.start()
    client.start()
    log.info("AMI link to %s:%s starting", settings.ami.host, settings.ami.port)
    try:
        yield
    finally:
        app.state.readiness.remove("ami")
        link.detach()
        await client.close()
        await recorder.close()
