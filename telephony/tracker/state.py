"""Mutable state the tracker keeps per live channel and call (internal to the tracker)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .events import CallLeg, Party

STATE_DOWN = 0
STATE_UP = 6


def clean_id(value: str) -> str:
    """Asterisk sends an empty caller ID as ``<unknown>``."""
    return "" if value == "<unknown>" else value


def local_sibling(name: str) -> str | None:
    """The other half of a Local channel (``Local/x@ctx-0001;1`` <-> ``;2``), else ``None``."""
    if name.startswith("Local/"):
        if name.endswith(";1"):
            return name[:-1] + "2"
        if name.endswith(";2"):
            return name[:-1] + "1"
    return None


@dataclass(slots=True)
class ChannelState:
    uniqueid: str
    name: str
    call_id: str
    state: int = 0
    state_desc: str = ""
    number: str = ""
    caller_name: str = ""
    connected_number: str = ""
    connected_name: str = ""
    context: str = ""
    exten: str = ""
    answered: bool = False
    bridge_id: str | None = None
    dtmf: list[str] = field(default_factory=list)
    hangup_cause: int | None = None
    hangup_cause_text: str = ""
    live: bool = True
    touched: bool = True
    """Seen in a live event since the last ``mark()`` (a reconnect)."""
    restricted: bool = False
    was_bridged: bool = False
    """Entered a bridge at least once (a Local half that did is a link, never a party)."""
    dialled: bool = False
    """Placed or received a Dial (``DialBegin``): it will be bridged to its peer, it is a link."""
    up_at: float | None = None
    seq: int = 0
    """Creation order among the tracker's channels."""

    def party(self) -> Party:
        return Party(self.name, self.uniqueid, self.number, self.caller_name, self.restricted)

    def is_local(self) -> bool:
        return self.name.startswith("Local/")


@dataclass(slots=True, eq=False)
class LegState:
    """Two parties talking (``end is None``) or that talked; shared by the calls of both parties."""

    a: ChannelState
    b: ChannelState
    bridge_id: str
    start: float | None
    end: float | None = None

    def close(self, at: float | None) -> None:
        """End the leg at ``at``, never before it started (events of two channels may arrive out of
        the order of their timestamps)."""
        self.end = self.start if at is not None and self.start is not None and at < self.start else at

    def key(self) -> frozenset[str]:
        return frozenset((self.a.uniqueid, self.b.uniqueid))

    def frozen(self) -> CallLeg:
        return CallLeg(self.a.party(), self.b.party(), self.bridge_id, self.start, self.end)


@dataclass(slots=True)
class CallState:
    call_id: str
    first: ChannelState
    dialed: str
    context: str
    started_at: float | None
    channels: dict[str, ChannelState] = field(default_factory=dict)
    live: set[str] = field(default_factory=set)
    answered_by: ChannelState | None = None
    answered_at: float | None = None
    bridged: list[tuple[str, str]] = field(default_factory=list)
    dtmf: list[str] = field(default_factory=list)
    announced: bool = False
    """``CallStarted`` has been emitted."""
    presented: Party | None = None
    """The caller as last announced (``CallStarted`` / ``CallerIdChanged``)."""
    legs: list[LegState] = field(default_factory=list)
    moved_to: str | None = None
    """A channel of this call moved to that call (a transfer changed its Linkedid)."""
    merged_calls: list[str] = field(default_factory=list)

    def is_callers_side(self, channel: ChannelState) -> bool:
        """The caller's own channel or the other half of its Local pair."""
        return channel is self.first or channel.name == local_sibling(self.first.name)
