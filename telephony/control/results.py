"""What the call-control actions return: frozen dataclasses, no AMI header names outside."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, slots=True)
class Originated:
    """An originated channel that answered (OriginateResponse ``Success``)."""

    action_id: str
    channel: str
    """For a Local channel, its ``;1`` half. The name as OriginateResponse gives it: when the
    dialplan masquerades the channel at once (``Pickup``), it may be the name it took over."""
    uniqueid: str


@dataclass(frozen=True, slots=True)
class Redirected:
    channel: str
    context: str
    exten: str
    priority: str
    extra_channel: str | None = None
    """The second leg sent along (``ExtraChannel``), if any."""


@dataclass(frozen=True, slots=True)
class HungUp:
    channel: str
    cause: int


@dataclass(frozen=True, slots=True)
class Bridged:
    channel1: str
    channel2: str


@dataclass(frozen=True, slots=True)
class BlindTransferred:
    """``transferer``'s peer was sent to ``exten@context``; the transferer left the call."""

    transferer: str
    context: str
    exten: str


@dataclass(frozen=True, slots=True)
class AttendedTransferStarted:
    """``transferer`` now consults ``exten@context``; its peer waits (music on hold). Hanging the
    transferer up completes the transfer; ``cancel_attended_transfer`` returns to the peer."""

    transferer: str
    context: str
    exten: str


@dataclass(frozen=True, slots=True)
class Held:
    """``channel`` hears music on hold in [cc-hold]; ``holder`` waits in [cc-holding]."""

    channel: str
    holder: str
    moh_class: str


@dataclass(frozen=True, slots=True)
class Resumed:
    channel: str
    holder: str


class SpyMode(Enum):
    """ChanSpy options: q (no beep) always, plus w (whisper) or B (barge)."""

    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"

    @property
    def options(self) -> str:
        return {"listen": "qE", "whisper": "qwE", "barge": "qBE"}[self.value]


@dataclass(frozen=True, slots=True)
class Spying:
    """The supervisor's channel runs ChanSpy on ``spyee`` (ChanSpyStart seen)."""

    mode: SpyMode
    spyer: str
    spyer_uniqueid: str
    spyee: str
    spyee_uniqueid: str


@dataclass(frozen=True, slots=True)
class VariableSet:
    name: str
    value: str
    channel: str | None
    """``None`` for a global variable."""


@dataclass(frozen=True, slots=True)
class VariableValue:
    name: str
    value: str
    """Empty when the variable is not set (Asterisk does not tell unset from empty)."""
    channel: str | None


@dataclass(frozen=True, slots=True)
class DbEntry:
    family: str
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class DbDeleted:
    family: str
    key: str


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A live channel as Asterisk lists it (``CoreShowChannel``): where its dialplan is now."""

    channel: str
    uniqueid: str
    linkedid: str
    """The call it belongs to (the call tracker's call id)."""
    context: str
    exten: str
    priority: str
    state: str
    """Asterisk's state description: ``Up``, ``Ring``, ``Ringing``, ``Down``, ..."""
    application: str
    caller_number: str
    caller_name: str
    bridge_id: str
    """Empty when the channel is in no bridge."""
