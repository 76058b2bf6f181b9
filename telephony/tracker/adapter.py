"""Wires a ``CallTracker`` to an ``AmiClient``: call events in, resync after every (re)connect."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telephony.ami import AmiClient, Message, Subscription

from .core import CallTracker
from .events import CallEvent

log = logging.getLogger(__name__)

TRACKED_EVENTS = (
    "Newchannel",
    "Newstate",
    "NewCallerid",
    "NewConnectedLine",
    "Newexten",
    "Rename",
    "BridgeEnter",
    "BridgeLeave",
    "BridgeDestroy",
    "DTMFEnd",
    "DialBegin",
    "AttendedTransfer",
    "QueueCallerJoin",
    "Hangup",
)


@dataclass(eq=False)
class TrackerLink:
    """The live link between a client and a tracker; ``detach()`` stops feeding the tracker."""

    client: AmiClient
    tracker: CallTracker
    clock: Callable[[], float] = time.time
    resyncs: int = 0
    """How many snapshots have been applied (one per successful (re)connect)."""
    _subs: list[Subscription] = field(default_factory=list)
    _active: bool = True

    def on_event(self, event: Message) -> None:
        if self._active:
            self.tracker.feed(event, self.clock())

    async def resync(self) -> list[CallEvent]:
        """Mark, fetch ``CoreShowChannels`` and reconcile; run on every ``connected`` notification."""
        if not self._active:
            return []
        self.tracker.mark()
        result = await self.client.send_action("CoreShowChannels", check=True)
        events = self.tracker.resync(result.events, self.clock())
        self.resyncs += 1
        log.info(
            "call tracker resynced: %d channels live, %d calls, %d domain events",
            len(result.events),
            len(self.tracker.live_calls),
            len(events),
        )
        return events

    def detach(self) -> None:
        self._active = False
        for sub in self._subs:
            sub.cancel()
        self._subs.clear()


def attach(client: AmiClient, tracker: CallTracker, *, clock: Callable[[], float] = time.time) -> TrackerLink:
    """Feed ``tracker`` from ``client``'s events and resync it after each login (call before connect)."""
    link = TrackerLink(client, tracker, clock)
    link._subs = [client.subscribe(name, link.on_event) for name in TRACKED_EVENTS]
    client.on_connect(link.resync)
    return link
