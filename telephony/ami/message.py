"""One AMI message (response, event or the connection banner) with its headers.

``Message`` is a ``dict`` of the first value of each header (fast to build, dict-like to read;
treat it as read-only). Repeated headers (``Output:``, ``ChanVariable:``) keep every value in
order: ``msg.getall("Output")``. The kind comes from the first header: ``Event`` or ``Response``;
``OriginateResponse`` is an event that also carries ``Response`` and ``ActionID``.
"""

from __future__ import annotations

from typing import Final

EVENT: Final = "event"
RESPONSE: Final = "response"
BANNER: Final = "banner"


class Message(dict[str, str]):
    """An AMI message; ``msg["Key"]`` is the first value, ``msg.getall("Key")`` all of them."""

    _multi: dict[str, list[str]] | None = None

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]]) -> Message:
        """Build a message from ordered ``(key, value)`` pairs, keeping repeated keys."""
        msg = cls()
        multi: dict[str, list[str]] | None = None
        for key, value in pairs:
            if key in msg:
                if multi is None:
                    multi = {}
                multi.setdefault(key, [msg[key]]).append(value)
            else:
                msg[key] = value
        if multi is not None:
            msg._multi = multi
        return msg

    @classmethod
    def banner(cls, text: str) -> Message:
        return cls(Banner=text)

    @property
    def kind(self) -> str:
        """``"event"``, ``"response"`` or ``"banner"``."""
        first = next(iter(self), "")
        return EVENT if first == "Event" else RESPONSE if first == "Response" else BANNER

    @property
    def name(self) -> str:
        """The event name, the response status (``Success``...), or the banner text."""
        first = next(iter(self), "")
        return self[first] if first else ""

    @property
    def is_event(self) -> bool:
        return next(iter(self), "") == "Event"

    @property
    def is_response(self) -> bool:
        return next(iter(self), "") == "Response"

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    def getall(self, key: str) -> list[str]:
        """Every value of ``key`` in the order received (empty list when absent)."""
        if self._multi is not None:
            values = self._multi.get(key)
            if values is not None:
                return list(values)
        value = self.get(key)
        return [] if value is None else [value]

    def pairs(self) -> list[tuple[str, str]]:
        """All headers as ``(key, value)`` pairs, repeated keys expanded in place of the first."""
        if self._multi is None:
            return list(self.items())
        out: list[tuple[str, str]] = []
        for key in self:
            out.extend((key, value) for value in self.getall(key))
        return out

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in list(self.items())[:6])
        return f"<Message {self.kind} {shown}{', ...' if len(self) > 6 else ''}>"
