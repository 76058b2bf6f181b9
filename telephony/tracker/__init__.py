"""Live calls from AMI events: a pure ``CallTracker`` core and ``attach()`` to an ``AmiClient``.

Domain events (frozen dataclasses): ``CallStarted``, ``CallAnswered``, ``CallBridged``, ``CallQueued``,
``CallerIdChanged``, ``CallEnded`` (with its ``CallLeg`` legs).
"""

from .adapter import TRACKED_EVENTS, TrackerLink, attach
from .core import CallTracker, CallView
from .events import (
    CallAnswered,
    CallBridged,
    CallEnded,
    CallerIdChanged,
    CallEvent,
    CallLeg,
    CallQueued,
    CallStarted,
    ChannelSummary,
    Party,
)

__all__ = [
    "TRACKED_EVENTS",
    "CallAnswered",
    "CallBridged",
    "CallEnded",
    "CallEvent",
    "CallLeg",
    "CallQueued",
    "CallStarted",
    "CallTracker",
    "CallView",
    "CallerIdChanged",
    "ChannelSummary",
    "Party",
    "TrackerLink",
    "attach",
]
