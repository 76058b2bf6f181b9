"""Domain events about calls: what the rest of the platform learns from the call tracker.

No AMI header names leave ``telephony/``: these frozen dataclasses are the boundary. A call is
identified by ``call_id`` (Asterisk's Linkedid); a channel by its ``uniqueid``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Party:
    """One side of a call: a channel and the caller ID it presents."""

    channel: str
    uniqueid: str
    number: str
    name: str


@dataclass(frozen=True, slots=True)
class ChannelSummary:
    """A channel of an ended call, with how it ended."""

    party: Party
    answered: bool
    hangup_cause: int | None
    hangup_cause_text: str
    dtmf: str
    """Digits received on this channel (DTMFEnd, direction Received), in order."""


@dataclass(frozen=True, slots=True)
class CallStarted:
    call_id: str
    at: float | None
    caller: Party
    dialed: str
    """The number called: the first channel's extension (for originated calls, which start at
    ``s``, the first other extension it enters, known by ``CallEnded``)."""
    context: str
    resynced: bool = False
    """True when the call was found in a snapshot after a reconnect rather than seen starting."""


@dataclass(frozen=True, slots=True)
class CallAnswered:
    call_id: str
    at: float | None
    answered_by: Party
    """The first channel of the call that reached the Up state."""


@dataclass(frozen=True, slots=True)
class CallBridged:
    call_id: str
    at: float | None
    bridge_id: str
    parties: tuple[Party, Party]
    """Two channels that now share a bridge (talk to each other)."""


@dataclass(frozen=True, slots=True)
class CallQueued:
    call_id: str
    at: float | None
    queue: str
    position: int | None
    """The caller's place in the queue on joining (1 = first)."""


@dataclass(frozen=True, slots=True)
class CallEnded:
    call_id: str
    at: float | None
    caller: Party
    dialed: str
    answered: bool
    answered_by: Party | None
    hangup_cause: int | None
    """Q.850 cause of the first channel's hang-up (``None`` when the call ended by resync)."""
    hangup_cause_text: str
    bridged: tuple[tuple[str, str], ...]
    """Channel-name pairs that shared a bridge during the call, each pair sorted, in order seen."""
    channels: tuple[ChannelSummary, ...]
    dtmf: str
    """Digits received on the caller's channel (what the caller keyed), in order."""
    reason: str = "hangup"
    """``hangup``; ``resync`` when the call was gone after a reconnect; ``transfer`` when its last
    channel moved to another call (a transfer changed its Linkedid)."""
    started_at: float | None = None
    answered_at: float | None = None


CallEvent = CallStarted | CallAnswered | CallBridged | CallQueued | CallEnded
