"""The garbage collector of the ``serve`` process: what startup built is frozen, young
collections are rarer.

A full (generation 2) collection walks every tracked object of the process. Once ``serve`` has
started that is about 150,000 objects (modules, classes, FastAPI routes, pydantic schemas,
SQLAlchemy mappers, the IVR flows), none of which ever becomes garbage, and one full collection
took 140-200 ms on the 2-core development machine (docs/agi.md, "Pauses of the garbage
collector"): the event loop answers no AGI reply, AMI event or HTTP request meanwhile, so every
IVR caller's command in flight waits for it. ``gc.freeze()`` moves every object alive at that
moment into the permanent generation, which collections skip: afterwards a full collection walks
only what was made since (the calls, sessions and requests in progress).

``after_startup(app)`` wraps the ASGI application so that ``tune()`` runs once its lifespan has
started every part (the flows loaded, the links up), just before the server takes requests.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 7_000
"""Allocations (net of deallocations) between two young collections; CPython's default is 700.

Ten times fewer young collections, each walking about ten times as many objects (still about a
millisecond), and fewer short-lived objects of the calls in progress promoted to the older
generations, whose collections are the long ones. Measured in bench/ivr.py: 7 young and 0-1
middle collections per phase instead of 84 and 7-8, no full one."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class GcTuning:
    frozen: int
    """Objects in the permanent generation after the freeze."""
    thresholds: tuple[int, int, int]


def tune(young_threshold: int = YOUNG_THRESHOLD) -> GcTuning:
    """Collect the garbage made so far, freeze what is left, raise the young threshold.

    Call it again after more long-lived state has been built to freeze that too."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
    tuning = GcTuning(frozen=gc.get_freeze_count(), thresholds=gc.get_threshold())
    log.info("gc: %d objects of startup frozen, thresholds %s", tuning.frozen, tuning.thresholds)
    return tuning


def after_startup(app: AsgiApp) -> AsgiApp:
    """``app`` whose lifespan, once startup is complete, runs ``tune()`` before reporting it."""

    async def tuned(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def send_tuned(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                tune()
            await send(message)

        await app(scope, receive, send_tuned)

    return tuned
