"""Live calls from AMI events: a pure ``CallTracker`` core and ``attach()`` to an ``AmiClient``.

Domain events (frozen dataclasses): ``CallStarted``, ``CallAnswered``, ``CallBridged``, ``CallQueued``,
``CallEnded``.
"""

from .adapter import TRACKED_EVENTS, TrackerLink, attach
from .core import CallTracker, CallView
from .events import (
    CallAnswered,
    CallBridged,
    CallEnded,
    CallEvent,
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
    "CallQueued",
    "CallStarted",
    "CallTracker",
    "CallView",
    "ChannelSummary",
    "Party",
    "TrackerLink",
    "attach",
]
