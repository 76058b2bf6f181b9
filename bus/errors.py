"""Errors of the event bus: one base class, each error saying what happened and to whom."""

from __future__ import annotations


class BusError(Exception):
    """Base of every bus error."""


class BusClosed(BusError):
    """The bus was closed: it takes no more publishes or subscriptions."""


class SubscriptionClosed(BusError):
    """``get()`` on a subscription that was closed (by its owner, or by the bus after it drained)."""


class SubscriberOverflow(BusError):
    """A reliable subscriber missed messages: its queue overflowed, or the transport lost some.

    Raised by ``get()`` (and so by ``async for``) at the place of the gap: every message before it
    was delivered, ``missed`` messages after it were not. The subscriber resyncs from state (the
    tracker's live calls, the agent states) and keeps reading the same subscription.
    """

    def __init__(self, name: str, missed: int) -> None:
        super().__init__(f"bus subscriber {name!r} missed {missed} message(s); resync from state")
        self.name = name
        self.missed = missed


class CodecError(BusError):
    """A message type or a payload the codec cannot handle."""


class UnsupportedType(CodecError):
    """A registered dataclass has a field whose type the wire format cannot carry."""


class UnknownMessageType(CodecError):
    """A type name on the wire, or a class being encoded, that is not registered."""


class DecodeError(CodecError):
    """A payload that does not match the registered type's fields."""
