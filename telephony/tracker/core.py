"""The call tracker: AMI events in, call facts and domain events out. Pure: no I/O, no clock.

Calls are keyed by Linkedid, channels by Uniqueid. ``feed(event)`` updates the state and returns
the domain events it caused (``CallStarted``, ``CallAnswered``, ``CallBridged``, ``CallEnded``);
subscribers registered with ``subscribe`` receive them too.

After a reconnect, ``mark()`` then ``resync(snapshot)`` with the ``CoreShowChannel`` items of a
``CoreShowChannels`` action: channels the snapshot lacks (and that gave no sign of life since the
mark) are dropped, and calls left without channels end with ``reason="resync"``; calls in the
snapshot that the tracker does not know start with ``resynced=True``; nothing is duplicated, and
channels that hung up since the mark stay ended.

Answered means: a channel other than the caller's own (or the other half of the caller's Local
channel) reached the Up state, i.e. someone picked up. The caller's channel going Up only because the
PBX answered it (IVR, queue) does not count.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

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
from .state import STATE_DOWN, STATE_UP, CallState, ChannelState, clean_id

log = logging.getLogger(__name__)

CallEventHandler = Callable[[CallEvent], None]
Event = Mapping[str, str]

_RECENTLY_ENDED = 10_000


@dataclass(frozen=True, slots=True)
class CallView:
    """A read-only picture of a live call."""

    call_id: str
    caller: Party
    dialed: str
    answered: bool
    answered_by: Party | None
    channels: tuple[Party, ...]
    bridged: tuple[tuple[str, str], ...]
    dtmf: str
    started_at: float | None


class CallTracker:
    def __init__(self) -> None:
        self._calls: dict[str, CallState] = {}
        self._channels: dict[str, ChannelState] = {}
        self._bridges: dict[str, dict[str, ChannelState]] = {}
        self._ended: OrderedDict[str, None] = OrderedDict()  # recently hung-up uniqueids
        self._ended_since_mark: set[str] = set()  # only while a resync is awaited
        self._marked = False
        self._subscribers: list[CallEventHandler] = []
        self._handlers: dict[str, Callable[[Event, float | None, list[CallEvent]], None]] = {
            "Newchannel": self._on_newchannel,
            "Newstate": self._on_update,
            "NewCallerid": self._on_update,
            "NewConnectedLine": self._on_update,
            "Newexten": self._on_update,
            "Rename": self._on_rename,
            "BridgeEnter": self._on_bridge_enter,
            "BridgeLeave": self._on_bridge_leave,
            "BridgeDestroy": self._on_bridge_destroy,
            "QueueCallerJoin": self._on_queue_join,
            "DTMFEnd": self._on_dtmf,
            "Hangup": self._on_hangup,
        }

    # -- public ----------------------------------------------------------------------------

    def subscribe(self, handler: CallEventHandler) -> Callable[[], None]:
        """Receive every domain event; returns a function that unsubscribes."""
        self._subscribers.append(handler)
        return lambda: self._subscribers.remove(handler) if handler in self._subscribers else None

    def feed(self, event: Event, now: float | None = None) -> list[CallEvent]:
        """Apply one AMI event; ``now`` is used when the event has no ``Timestamp``."""
        handler = self._handlers.get(event.get("Event", ""))
        if handler is None:
            return []
        out: list[CallEvent] = []
        handler(event, _timestamp(event, now), out)
        self._publish(out)
        return out

    def mark(self) -> None:
        """Note the moment of a reconnect: what happens after it is live, not stale."""
        for channel in self._channels.values():
            channel.touched = False
        self._ended_since_mark.clear()
        self._marked = True

    def resync(self, snapshot: Iterable[Event], now: float | None = None) -> list[CallEvent]:
        """Reconcile with the channels Asterisk reports (``CoreShowChannel`` events)."""
        out: list[CallEvent] = []
        seen: set[str] = set()
        bridges: dict[str, list[ChannelState]] = {}
        for item in snapshot:
            uid = item.get("Uniqueid", "")
            if not uid or uid in self._ended_since_mark or uid in self._ended:
                continue
            seen.add(uid)
            channel = self._channels.get(uid)
            if channel is None:
                channel = self._adopt(item, now, out)
                if channel is None:
                    continue
            else:
                self._update(channel, item, now, out)
            bridge_id = item.get("BridgeId", "")
            if bridge_id:
                bridges.setdefault(bridge_id, []).append(channel)
        for bridge_id, members in bridges.items():
            for channel in members:
                if channel.bridge_id != bridge_id:
                    self._enter_bridge(bridge_id, channel, now, out)
        for call in list(self._calls.values()):
            for uid in list(call.live):
                channel = call.channels[uid]
                if uid not in seen and not channel.touched:
                    self._hangup(channel, None, "", now, out, reason="resync")
        self._marked = False
        self._ended_since_mark.clear()
        self._publish(out)
        return out

    @property
    def live_calls(self) -> dict[str, CallView]:
        return {call_id: self._view(call) for call_id, call in self._calls.items()}

    def call(self, call_id: str) -> CallView | None:
        call = self._calls.get(call_id)
        return None if call is None else self._view(call)

    # -- event handlers --------------------------------------------------------------------

    def _on_newchannel(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        uid = event.get("Uniqueid", "")
        if uid and uid not in self._channels and uid not in self._ended:
            self._create(event, at, out, resynced=False)

    def _on_update(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        channel = self._channel_for(event, at, out)
        if channel is not None:
            self._update(channel, event, at, out)

    def _on_rename(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        channel = self._channels.get(event.get("Uniqueid", ""))
        new_name = event.get("Newname", "")
        if channel is not None and new_name:
            channel.name = new_name

    def _on_bridge_enter(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        channel = self._channel_for(event, at, out)
        bridge_id = event.get("BridgeUniqueid", "")
        if channel is not None and bridge_id:
            self._update(channel, event, at, out)
            self._enter_bridge(bridge_id, channel, at, out)

    def _on_bridge_leave(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        channel = self._channels.get(event.get("Uniqueid", ""))
        if channel is not None:
            self._leave_bridge(channel)

    def _on_bridge_destroy(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        members = self._bridges.pop(event.get("BridgeUniqueid", ""), None)
        for channel in (members or {}).values():
            channel.bridge_id = None

    def _on_queue_join(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        channel = self._channel_for(event, at, out)
        queue = event.get("Queue", "")
        if channel is not None and queue:
            try:
                position: int | None = int(event.get("Position", ""))
            except ValueError:
                position = None
            out.append(CallQueued(channel.call_id, at, queue, position))

    def _on_dtmf(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        if event.get("Direction", "Received") != "Received":
            return
        channel = self._channel_for(event, at, out)
        digit = event.get("Digit", "")
        if channel is not None and digit:
            channel.dtmf.append(digit)
            call = self._calls.get(channel.call_id)
            if call is not None and channel is call.first:
                call.dtmf.append(digit)

    def _on_hangup(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        channel = self._channels.get(event.get("Uniqueid", ""))
        if channel is None:
            return
        self._update(channel, event, at, out)
        try:
            cause: int | None = int(event.get("Cause", ""))
        except ValueError:
            cause = None
        self._hangup(channel, cause, event.get("Cause-txt", ""), at, out, reason="hangup")

    # -- state changes ---------------------------------------------------------------------

    def _channel_for(self, event: Event, at: float | None, out: list[CallEvent]) -> ChannelState | None:
        uid = event.get("Uniqueid", "")
        channel = self._channels.get(uid)
        if channel is None and uid and uid not in self._ended and event.get("Linkedid"):
            # A channel that existed before we listened: adopt it rather than forget it.
            channel = self._create(event, at, out, resynced=True)
        return channel

    def _adopt(self, item: Event, at: float | None, out: list[CallEvent]) -> ChannelState | None:
        if not item.get("Linkedid") or not item.get("Channel"):
            return None
        return self._create(item, at, out, resynced=True)

    def _create(
        self, event: Event, at: float | None, out: list[CallEvent], *, resynced: bool
    ) -> ChannelState:
        uid = event["Uniqueid"]
        call_id = event.get("Linkedid") or uid
        channel = ChannelState(uid, event.get("Channel", ""), call_id)
        _apply(channel, event)
        self._channels[uid] = channel
        call = self._calls.get(call_id)
        if call is None:
            call = CallState(call_id, channel, channel.exten, channel.context, at)
            self._calls[call_id] = call
            if resynced or channel.state != STATE_DOWN:
                self._announce(call, at, out, resynced=resynced)
        call.channels[uid] = channel
        call.live.add(uid)
        self._check_answer(call, channel, at, out)
        return channel

    def _announce(
        self, call: CallState, at: float | None, out: list[CallEvent], *, resynced: bool = False
    ) -> None:
        """Emit ``CallStarted`` once: when the first channel leaves Down (its caller ID is known by
        then, also for originated calls) or before any other event of the call."""
        if not call.announced:
            call.announced = True
            first = call.first
            out.append(
                CallStarted(
                    call.call_id,
                    call.started_at if call.started_at is not None else at,
                    first.party(),
                    call.dialed,
                    call.context,
                    resynced,
                )
            )

    def _update(self, channel: ChannelState, event: Event, at: float | None, out: list[CallEvent]) -> None:
        linkedid = event.get("Linkedid")
        if linkedid and linkedid != channel.call_id and channel.live:
            self._move(channel, linkedid, at, out)
        _apply(channel, event)
        channel.touched = True
        call = self._calls.get(channel.call_id)
        if call is not None and channel.live:
            if channel is call.first:
                if call.dialed in ("", "s") and channel.exten not in ("", "s"):
                    call.dialed = channel.exten  # originated calls start at "s", then enter the DID
                if channel.state != STATE_DOWN:
                    self._announce(call, at, out)
            self._check_answer(call, channel, at, out)

    def _move(self, channel: ChannelState, call_id: str, at: float | None, out: list[CallEvent]) -> None:
        """A transfer gave the channel another Linkedid: it now belongs to that call."""
        old = self._calls.get(channel.call_id)
        channel.call_id = call_id
        call = self._calls.get(call_id)
        if call is None:
            call = CallState(call_id, channel, channel.exten, channel.context, at)
            self._calls[call_id] = call
            self._announce(call, at, out)
        call.channels[channel.uniqueid] = channel
        call.live.add(channel.uniqueid)
        if old is not None:
            old.live.discard(channel.uniqueid)
            if not old.live:
                del self._calls[old.call_id]
                self._announce(old, at, out)
                out.append(self._ended_event(old, at, "transfer"))

    def _check_answer(
        self, call: CallState, channel: ChannelState, at: float | None, out: list[CallEvent]
    ) -> None:
        if channel.state != STATE_UP or channel.answered:
            return
        channel.answered = True
        if call.answered_by is None and not call.is_callers_side(channel):
            call.answered_by = channel
            call.answered_at = at
            self._announce(call, at, out)
            out.append(CallAnswered(call.call_id, at, channel.party()))

    def _enter_bridge(
        self, bridge_id: str, channel: ChannelState, at: float | None, out: list[CallEvent]
    ) -> None:
        self._leave_bridge(channel)
        members = self._bridges.setdefault(bridge_id, {})
        for other in members.values():
            pair = (channel.name, other.name) if channel.name < other.name else (other.name, channel.name)
            parties = (channel.party(), other.party())
            for call_id in dict.fromkeys((channel.call_id, other.call_id)):
                call = self._calls.get(call_id)
                if call is not None and pair not in call.bridged:
                    call.bridged.append(pair)
                    self._announce(call, at, out)
                    out.append(CallBridged(call_id, at, bridge_id, parties))
        members[channel.uniqueid] = channel
        channel.bridge_id = bridge_id

    def _leave_bridge(self, channel: ChannelState) -> None:
        if channel.bridge_id is not None:
            members = self._bridges.get(channel.bridge_id)
            if members is not None:
                members.pop(channel.uniqueid, None)
            channel.bridge_id = None

    def _hangup(
        self,
        channel: ChannelState,
        cause: int | None,
        cause_text: str,
        at: float | None,
        out: list[CallEvent],
        *,
        reason: str,
    ) -> None:
        self._leave_bridge(channel)
        channel.live = False
        channel.hangup_cause = cause
        channel.hangup_cause_text = cause_text
        uid = channel.uniqueid
        self._channels.pop(uid, None)
        self._ended[uid] = None
        if len(self._ended) > _RECENTLY_ENDED:
            self._ended.popitem(last=False)
        if self._marked:
            self._ended_since_mark.add(uid)
        call = self._calls.get(channel.call_id)
        if call is None:
            return
        call.live.discard(uid)
        if not call.live:
            del self._calls[call.call_id]
            self._announce(call, at, out)
            out.append(self._ended_event(call, at, reason))

    def _ended_event(self, call: CallState, at: float | None, reason: str) -> CallEnded:
        first = call.first
        return CallEnded(
            call_id=call.call_id,
            at=at,
            caller=first.party(),
            dialed=call.dialed,
            answered=call.answered_by is not None,
            answered_by=call.answered_by.party() if call.answered_by is not None else None,
            hangup_cause=first.hangup_cause,
            hangup_cause_text=first.hangup_cause_text,
            bridged=tuple(call.bridged),
            channels=tuple(
                ChannelSummary(c.party(), c.answered, c.hangup_cause, c.hangup_cause_text, "".join(c.dtmf))
                for c in call.channels.values()
            ),
            dtmf="".join(call.dtmf),
            reason=reason,
            started_at=call.started_at,
            answered_at=call.answered_at,
        )

    def _view(self, call: CallState) -> CallView:
        return CallView(
            call_id=call.call_id,
            caller=call.first.party(),
            dialed=call.dialed,
            answered=call.answered_by is not None,
            answered_by=call.answered_by.party() if call.answered_by is not None else None,
            channels=tuple(call.channels[uid].party() for uid in call.live),
            bridged=tuple(call.bridged),
            dtmf="".join(call.dtmf),
            started_at=call.started_at,
        )

    def _publish(self, events: list[CallEvent]) -> None:
        for event in events:
            for handler in list(self._subscribers):
                try:
                    handler(event)
                except Exception:
                    log.exception("call tracker subscriber %r failed on %s", handler, type(event).__name__)


def _apply(channel: ChannelState, event: Event) -> None:
    """Copy the channel block of ``event`` onto ``channel`` (only the fields present)."""
    get = event.get
    state = get("ChannelState")
    if state is not None and state.isdigit():
        channel.state = int(state)
        channel.state_desc = get("ChannelStateDesc", channel.state_desc)
    number = get("CallerIDNum")
    if number is not None:
        channel.number = clean_id(number)
    name = get("CallerIDName")
    if name is not None:
        channel.caller_name = clean_id(name)
    connected = get("ConnectedLineNum")
    if connected is not None:
        channel.connected_number = clean_id(connected)
    connected_name = get("ConnectedLineName")
    if connected_name is not None:
        channel.connected_name = clean_id(connected_name)
    context = get("Context")
    if context:
        channel.context = context
    exten = get("Exten")
    if exten:
        channel.exten = exten
    if not channel.name:
        channel.name = get("Channel", "")


def _timestamp(event: Event, now: float | None) -> float | None:
    stamp = event.get("Timestamp")
    if stamp:
        try:
            return float(stamp)
        except ValueError:
            pass
    return now
