"""The call tracker: AMI events in, call facts and domain events out. Pure: no I/O, no clock.

Calls are keyed by Linkedid, channels by Uniqueid. ``feed(event)`` updates the state and returns
the domain events it caused (``CallStarted``, ``CallerIdChanged``, ``CallAnswered``, ``CallBridged``,
``CallQueued``, ``CallEnded``);
subscribers registered with ``subscribe`` receive them too.

After a reconnect, ``mark()`` then ``resync(snapshot)`` with the ``CoreShowChannel`` items of a
``CoreShowChannels`` action: channels the snapshot lacks (and that gave no sign of life since the
mark) are dropped, and calls left without channels end with ``reason="resync"``; calls in the
snapshot that the tracker does not know start with ``resynced=True``; nothing is duplicated, and
channels that hung up since the mark stay ended.

Legs and answers: the tracker follows who talks to whom. A *party* is an Up channel: non-Local, or a
Local half whose other half runs dialplan of its own: never entered a bridge, never dialled nor was
dialled (``DialBegin``, also an Originate's; or seen running Dial/Queue) and is not the call's first
channel. Such a half stands for what its other half runs (a simulated phone, a simulated caller).
Two parties are connected when they share a bridge (not a holding bridge), directly or through
Local pairs whose both halves are bridged. Each connection is a leg (``CallLeg``); a pair that
reconnects before either party talked to someone else continues its leg (Local optimisation, hold).

A call is answered when its first leg opens, by the party of that leg that is not the caller's side
(for calls placed by the PBX itself, e.g. click-to-dial, the party that went Up first). A channel
that merely went Up (an IVR answering the caller, a phone answering a Local leg whose dialplan then
never connects it, e.g. an acceptance prompt refused) does not answer the call.

A transfer that gives a channel another Linkedid moves it to that call; the call it left, once its
last channel is gone, ends with ``reason="merged"`` and ``merged_into`` (its legs are added to the
surviving call). Every call ends exactly once: ids of recently ended calls are remembered, and a
late channel or move into one of them is ignored. See docs/ami.md for how each case is recognised.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from telephony.channels import agent_extension

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
from .state import STATE_DOWN, STATE_UP, CallState, ChannelState, LegState, clean_id, local_sibling

log = logging.getLogger(__name__)

CallEventHandler = Callable[[CallEvent], None]
Event = Mapping[str, str]

_RECENTLY_ENDED = 10_000
_HOLDING = "holding_bridge"
"""Bridge technology whose members do not hear each other (parking, BridgeWait)."""
_DIALLING = frozenset({"Dial", "Queue"})
"""Applications that bridge their channel to the one they call: such a channel is a link."""
_RESTRICTED = 0x20
_PRESENTATION = 0x60


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
    legs: tuple[CallLeg, ...] = ()
    """Who talked to whom so far; ``end is None`` for the legs still talking."""
    parties: tuple[Party, ...] = ()
    """The parties talking now (of the open legs)."""
    merged_calls: tuple[str, ...] = ()


class CallTracker:
    def __init__(self) -> None:
        self._calls: dict[str, CallState] = {}
        self._channels: dict[str, ChannelState] = {}
        self._by_name: dict[str, ChannelState] = {}
        self._bridges: dict[str, dict[str, ChannelState]] = {}
        self._holding: set[str] = set()  # bridges whose members do not talk to each other
        self._legs: dict[frozenset[str], LegState] = {}  # open legs by their parties' uniqueids
        self._latest_leg: dict[str, LegState] = {}  # per live party: the last leg it started
        self._seq = 0
        self._ended: OrderedDict[str, None] = OrderedDict()  # recently hung-up uniqueids
        self._ended_calls: OrderedDict[str, str | None] = OrderedDict()  # call id -> merged into
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
            "AttendedTransfer": self._on_attended_transfer,
            "DialBegin": self._on_dial_begin,
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

    def call_of_channel(self, channel: str) -> CallView | None:
        """The live call a channel belongs to, by channel name or Uniqueid."""
        state = self._channels.get(channel) or self._by_name.get(channel)
        return None if state is None else self.call(state.call_id)

    def call_of_extension(self, extension: str) -> CallView | None:
        """The current call of an agent extension (``PJSIP/4101-…``, ``Local/4101@agent-phones-…``):
        the one in which it talks now, else the newest call with one of its channels."""
        mine = [
            c
            for c in self._channels.values()
            if c.call_id in self._calls and agent_extension(c.name) == extension
        ]
        if not mine:
            return None
        best = max(mine, key=lambda c: (self._talking(c), c.seq))
        return self.call(best.call_id)

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
            if self._by_name.get(channel.name) is channel:
                del self._by_name[channel.name]
            channel.name = new_name
            self._by_name[new_name] = channel

    def _on_bridge_enter(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        channel = self._channel_for(event, at, out)
        bridge_id = event.get("BridgeUniqueid", "")
        if channel is not None and bridge_id:
            self._update(channel, event, at, out)
            if event.get("BridgeTechnology") == _HOLDING:
                self._holding.add(bridge_id)
            self._enter_bridge(bridge_id, channel, at, out)

    def _on_bridge_leave(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        channel = self._channels.get(event.get("Uniqueid", ""))
        if channel is not None:
            self._update(channel, event, at, out)  # a transfer's new Linkedid may show here first
            mates = self._leave_bridge(channel)
            self._relink([channel, *mates], at, out)

    def _on_bridge_destroy(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        bridge_id = event.get("BridgeUniqueid", "")
        members = self._bridges.pop(bridge_id, None)
        self._holding.discard(bridge_id)
        for channel in (members or {}).values():
            channel.bridge_id = None
        if members:
            self._relink(list(members.values()), at, out)

    def _on_dial_begin(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        """Both sides of a Dial (or an Originate, which has no calling channel) become links."""
        for key in ("Uniqueid", "DestUniqueid"):
            channel = self._channels.get(event.get(key, ""))
            if channel is not None:
                channel.dialled = True

    def _on_attended_transfer(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        """Only a hint: the consultation call (the second transferer's) merges into the transferee's
        once a channel moves; the Linkedid changes themselves do the moving."""
        second = self._calls.get(event.get("SecondTransfererLinkedid", ""))
        original = event.get("TransfereeLinkedid", "")
        if (
            event.get("Result") == "Success"
            and second is not None
            and original
            and original != second.call_id
            and original in self._calls
            and second.moved_to is None
        ):
            second.moved_to = original

    def _on_queue_join(self, event: Event, at: float | None, out: list[CallEvent]) -> None:
        channel = self._channel_for(event, at, out)
        queue = event.get("Queue", "")
        if channel is not None and queue:
            try:
                position: int | None = int(event.get("Position", ""))
            except ValueError:
                position = None
            call = self._calls.get(channel.call_id)
            if call is None:
                return  # a straggler of an ended call
            self._announce(call, at, out)
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
    ) -> ChannelState | None:
        uid = event["Uniqueid"]
        call_id = event.get("Linkedid") or uid
        if call_id in self._ended_calls:
            return None  # a straggler of a call that already ended (events out of order): never restart it
        self._seq += 1
        channel = ChannelState(uid, event.get("Channel", ""), call_id, seq=self._seq)
        _apply(channel, event, at)
        self._channels[uid] = channel
        if channel.name:
            self._by_name[channel.name] = channel
        call = self._calls.get(call_id)
        if call is None:
            call = CallState(call_id, channel, channel.exten, channel.context, at)
            self._calls[call_id] = call
            if resynced or channel.state != STATE_DOWN:
                self._announce(call, at, out, resynced=resynced)
        call.channels[uid] = channel
        call.live.add(uid)
        return channel

    def _announce(
        self, call: CallState, at: float | None, out: list[CallEvent], *, resynced: bool = False
    ) -> None:
        """Emit ``CallStarted`` once: when the first channel leaves Down (its caller ID is known by
        then, also for originated calls) or before any other event of the call."""
        if not call.announced:
            call.announced = True
            first = call.first
            call.presented = first.party()
            out.append(
                CallStarted(
                    call.call_id,
                    call.started_at if call.started_at is not None else at,
                    call.presented,
                    call.dialed,
                    call.context,
                    resynced,
                )
            )

    def _update(self, channel: ChannelState, event: Event, at: float | None, out: list[CallEvent]) -> None:
        linkedid = event.get("Linkedid")
        if linkedid and linkedid != channel.call_id and channel.live and linkedid not in self._ended_calls:
            self._move(channel, linkedid, at, out)
        was_up = channel.state == STATE_UP
        _apply(channel, event, at)
        channel.touched = True
        if channel.live and channel.bridge_id is not None and (channel.state == STATE_UP) != was_up:
            self._relink([channel], at, out)
        call = self._calls.get(channel.call_id)
        if call is not None and channel.live:
            if channel is call.first:
                if call.dialed in ("", "s") and channel.exten not in ("", "s"):
                    call.dialed = channel.exten  # originated calls start at "s", then enter the DID
                if channel.state != STATE_DOWN:
                    self._announce(call, at, out)
                if (
                    call.announced
                    and call.presented is not None
                    and _caller_id(call.presented)
                    != (
                        channel.number,
                        channel.caller_name,
                        channel.restricted,
                    )
                ):
                    call.presented = channel.party()
                    out.append(CallerIdChanged(call.call_id, at, call.presented))

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
            old.moved_to = call_id
            if not old.live:
                self._end_call(old, at, out, "hangup")

    def _enter_bridge(
        self, bridge_id: str, channel: ChannelState, at: float | None, out: list[CallEvent]
    ) -> None:
        old_mates = self._leave_bridge(channel)
        members = self._bridges.setdefault(bridge_id, {})
        others = list(members.values())
        members[channel.uniqueid] = channel
        channel.bridge_id = bridge_id
        channel.was_bridged = True
        self._relink([channel, *old_mates, *others], at, out)
        for other in others:
            pair = (channel.name, other.name) if channel.name < other.name else (other.name, channel.name)
            parties = (channel.party(), other.party())
            for call_id in dict.fromkeys((channel.call_id, other.call_id)):
                call = self._calls.get(call_id)
                if call is not None and pair not in call.bridged:
                    call.bridged.append(pair)
                    self._announce(call, at, out)
                    out.append(CallBridged(call_id, at, bridge_id, parties))

    def _leave_bridge(self, channel: ChannelState) -> list[ChannelState]:
        """Take the channel out of its bridge; returns the members left behind."""
        if channel.bridge_id is None:
            return []
        members = self._bridges.get(channel.bridge_id)
        channel.bridge_id = None
        if members is None:
            return []
        members.pop(channel.uniqueid, None)
        return list(members.values())

    # -- legs: who talks to whom -----------------------------------------------------------

    def _sibling(self, channel: ChannelState) -> ChannelState | None:
        name = local_sibling(channel.name)
        other = self._by_name.get(name) if name else None
        return other if other is not None and other.live else None

    def _is_party(self, channel: ChannelState) -> bool:
        """A non-Local channel, or a Local half standing for the dialplan its other half runs."""
        if not channel.live or channel.state != STATE_UP:
            return False  # a phone ringing in a bridge (an attended transfer's target) talks to nobody
        if not channel.is_local():
            return True
        sibling = self._sibling(channel)
        if sibling is None or sibling.was_bridged or sibling.dialled:
            return False
        call = self._calls.get(sibling.call_id)
        return call is None or call.first is not sibling

    def _passes_through(self, channel: ChannelState) -> ChannelState | None:
        """The other half of a Local channel whose both halves are bridged (a link), else None."""
        if channel.bridge_id is None or not channel.is_local():
            return None
        sibling = self._sibling(channel)
        return sibling if sibling is not None and sibling.bridge_id is not None else None

    def _mates(self, channel: ChannelState) -> list[ChannelState]:
        bridge_id = channel.bridge_id
        if bridge_id is None or bridge_id in self._holding:
            return []
        members = self._bridges.get(bridge_id, {})
        return [m for m in members.values() if m is not channel and m.live]

    def _reach(self, party: ChannelState) -> list[ChannelState]:
        """The parties ``party`` hears: across bridges and through Local links, stopping at parties."""
        found: list[ChannelState] = []
        seen = {party.uniqueid}
        todo = [party]
        while todo:
            node = todo.pop()
            for mate in self._mates(node):
                if mate.uniqueid in seen:
                    continue
                seen.add(mate.uniqueid)
                if self._is_party(mate):
                    found.append(mate)
                    continue
                through = self._passes_through(mate)
                if through is not None and through.uniqueid not in seen:
                    seen.add(through.uniqueid)
                    todo.append(through)
        return found

    def _component(self, start: Iterable[ChannelState]) -> list[ChannelState]:
        """Every live channel linked (bridges, Local pairs) to one of ``start``."""
        seen: dict[str, ChannelState] = {}
        todo = [c for c in start if c.live]
        while todo:
            node = todo.pop()
            if node.uniqueid in seen:
                continue
            seen[node.uniqueid] = node
            todo.extend(m for m in self._mates(node) if m.uniqueid not in seen)
            sibling = self._sibling(node) if node.is_local() else None
            if sibling is not None and sibling.uniqueid not in seen:
                todo.append(sibling)
        return list(seen.values())

    def _talking(self, channel: ChannelState) -> bool:
        leg = self._latest_leg.get(channel.uniqueid)
        return leg is not None and leg.end is None

    def _relink(self, touched: list[ChannelState], at: float | None, out: list[CallEvent]) -> None:
        """Recompute the legs around ``touched`` (channels whose bridge or life just changed)."""
        nodes = self._component(touched)
        parties = [n for n in nodes if self._is_party(n)]
        check = {c.uniqueid for c in touched} | {n.uniqueid for n in nodes}
        pairs: dict[frozenset[str], tuple[ChannelState, ChannelState]] = {}
        for party in parties:
            for other in self._reach(party):
                pairs.setdefault(frozenset((party.uniqueid, other.uniqueid)), (party, other))
        for key, leg in list(self._legs.items()):
            if key not in pairs and (leg.a.uniqueid in check or leg.b.uniqueid in check):
                leg.close(at)
                del self._legs[key]
        for key, (one, two) in pairs.items():
            if key not in self._legs:
                self._open_leg(key, one, two, at, out)

    def _open_leg(
        self,
        key: frozenset[str],
        one: ChannelState,
        two: ChannelState,
        at: float | None,
        out: list[CallEvent],
    ) -> None:
        last = self._latest_leg.get(one.uniqueid)
        if last is not None and last is self._latest_leg.get(two.uniqueid) and last.end is not None:
            last.end = None  # the same two again before either talked to anyone else: same leg
            self._legs[key] = last
            return
        a, b = self._order(one, two)
        leg = LegState(a, b, a.bridge_id or b.bridge_id or "", at)
        self._legs[key] = leg
        self._latest_leg[one.uniqueid] = self._latest_leg[two.uniqueid] = leg
        for call_id in dict.fromkeys((a.call_id, b.call_id)):
            call = self._calls.get(call_id)
            if call is None:
                continue
            call.legs.append(leg)
            if call.answered_by is None:
                answerer = self._answerer(call, a, b)
                if answerer is not None:
                    call.answered_by = answerer
                    call.answered_at = at
                    self._announce(call, at, out)
                    out.append(CallAnswered(call.call_id, at, answerer.party()))

    def _order(self, one: ChannelState, two: ChannelState) -> tuple[ChannelState, ChannelState]:
        """The caller's side first (of the older call when they differ), else the older channel."""
        pairs = sorted(((one, two), (two, one)), key=lambda pair: self._call_age(pair[0]))
        for channel, other in pairs:
            call = self._calls.get(channel.call_id)
            if call is not None and call.is_callers_side(channel):
                return channel, other
        return (one, two) if one.seq <= two.seq else (two, one)

    def _call_age(self, channel: ChannelState) -> int:
        call = self._calls.get(channel.call_id)
        return call.first.seq if call is not None else channel.seq

    @staticmethod
    def _answerer(call: CallState, a: ChannelState, b: ChannelState) -> ChannelState | None:
        a_caller, b_caller = call.is_callers_side(a), call.is_callers_side(b)
        if a_caller != b_caller:
            return b if a_caller else a
        if a_caller:
            return None
        # Placed by the PBX (click-to-dial): the party that picked up first.
        return min((a, b), key=lambda c: (c.up_at is None, c.up_at or 0.0, c.seq))

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
        mates = self._leave_bridge(channel)
        channel.live = False
        channel.hangup_cause = cause
        channel.hangup_cause_text = cause_text
        uid = channel.uniqueid
        self._channels.pop(uid, None)
        if self._by_name.get(channel.name) is channel:
            del self._by_name[channel.name]
        self._relink([channel, *mates], at, out)
        self._latest_leg.pop(uid, None)
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
            self._end_call(call, at, out, reason)

    def _end_call(self, call: CallState, at: float | None, out: list[CallEvent], reason: str) -> None:
        del self._calls[call.call_id]
        merged_into: str | None = None
        if reason == "hangup" and call.moved_to is not None:
            merged_into = self._survivor(call.moved_to)
            reason = "merged"
            survivor = self._calls.get(merged_into)
            if survivor is not None:
                survivor.merged_calls.append(call.call_id)
                survivor.legs.extend(leg for leg in call.legs if leg not in survivor.legs)
        self._ended_calls[call.call_id] = merged_into
        if len(self._ended_calls) > _RECENTLY_ENDED:
            self._ended_calls.popitem(last=False)
        self._announce(call, at, out)
        out.append(self._ended_event(call, at, reason, merged_into))

    def _survivor(self, call_id: str) -> str:
        """Follow a chain of merges to the call that is (or was last) alive."""
        for _ in range(len(self._ended_calls) + 1):
            nxt = self._ended_calls.get(call_id)
            if nxt is None:
                return call_id
            call_id = nxt
        return call_id

    def _ended_event(
        self, call: CallState, at: float | None, reason: str, merged_into: str | None = None
    ) -> CallEnded:
        first = call.first
        legs = sorted(call.legs, key=lambda leg: leg.start if leg.start is not None else float("-inf"))
        final = legs[-1] if legs else None
        for leg in legs:
            if leg.end is None and not (leg.a.live and leg.b.live):
                leg.close(at)
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
            legs=tuple(leg.frozen() for leg in legs),
            final_parties=(final.a.party(), final.b.party()) if final is not None else (),
            merged_into=merged_into,
            merged_calls=tuple(call.merged_calls),
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
            legs=tuple(leg.frozen() for leg in call.legs),
            parties=tuple(
                dict.fromkeys(
                    party for leg in call.legs if leg.end is None for party in (leg.a.party(), leg.b.party())
                )
            ),
            merged_calls=tuple(call.merged_calls),
        )

    def _publish(self, events: list[CallEvent]) -> None:
        for event in events:
            for handler in list(self._subscribers):
                try:
                    handler(event)
                except Exception:
                    log.exception("call tracker subscriber %r failed on %s", handler, type(event).__name__)


def _apply(channel: ChannelState, event: Event, at: float | None) -> None:
    """Copy the channel block of ``event`` onto ``channel`` (only the fields present)."""
    get = event.get
    state = get("ChannelState")
    if state is not None and state.isdigit():
        channel.state = int(state)
        channel.state_desc = get("ChannelStateDesc", channel.state_desc)
        if channel.state == STATE_UP and not channel.answered:
            channel.answered = True
            channel.up_at = at
    if get("Application") in _DIALLING:
        channel.dialled = True  # Newexten / CoreShowChannel: it runs Dial or Queue (a link)
    pres = get("CID-CallingPres")
    if pres:
        digits = pres.split(" ", 1)[0]
        if digits.isdigit():
            channel.restricted = int(digits) & _PRESENTATION == _RESTRICTED
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


def _caller_id(party: Party) -> tuple[str, str, bool]:
    return party.number, party.name, party.restricted


def _timestamp(event: Event, now: float | None) -> float | None:
    stamp = event.get("Timestamp")
    if stamp:
        try:
            return float(stamp)
        except ValueError:
            pass
    return now
