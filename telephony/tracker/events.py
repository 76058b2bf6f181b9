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
    restricted: bool = False
    """The caller asked for its number not to be shown (``CID-CallingPres`` restricted, from the last
    ``NewCallerid``): keep the number for the record, never display it."""


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
class CallLeg:
    """Two parties that talked to each other during a call, from ``start`` to ``end``.

    A party is an endpoint: a non-Local channel, or the Local half that stands for what its other
    half runs (a simulated phone, a caller); chains of Local channels between them are looked
    through. ``end`` is ``None`` while they still talk (in ``CallView``)."""

    a: Party
    b: Party
    bridge_id: str
    """The bridge ``a`` was in when the leg started."""
    start: float | None
    end: float | None


@dataclass(frozen=True, slots=True)
class CallerIdChanged:
    call_id: str
    at: float | None
    caller: Party
    """The caller ID the dialplan presents now (number, name, ``restricted``), after CallStarted."""


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
    """``hangup``; ``resync`` when the call was gone after a reconnect; ``merged`` when it was a
    consultation that became part of another call (``merged_into``): an attended transfer moved its
    channels there (a Linkedid change) and what was left of it hung up."""
    started_at: float | None = None
    answered_at: float | None = None
    legs: tuple[CallLeg, ...] = ()
    """Who talked to whom, in the order the legs started (a merged consultation's legs included)."""
    final_parties: tuple[Party, ...] = ()
    """The two parties of the last leg that started: after a transfer, the caller and the target."""
    merged_into: str | None = None
    """With ``reason="merged"``: the ``call_id`` of the call this one became part of."""
    merged_calls: tuple[str, ...] = ()
    """The consultation calls that merged into this one (each also ended with ``reason="merged"``)."""


CallEvent = CallStarted | CallAnswered | CallBridged | CallQueued | CallerIdChanged | CallEnded
