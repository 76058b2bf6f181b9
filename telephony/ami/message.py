"""One AMI message (response, event or the connection banner) with its headers.

``Message`` is a read-only mapping of the first value of each header; ``getall(key)`` gives every
value of a repeated header (``Output:``, ``ChanVariable:``) in order. The kind comes from the first
line: ``Event`` or ``Response`` (``OriginateResponse`` is an event that also carries ``Response`` and
``ActionID``).

Messages from the parser's fast path keep their frame text and answer single lookups
(``msg["Uniqueid"]``, ``msg.get(...)``, ``in``) by searching that text for the line ``Key: ``;
the full header table is built on first need (iteration, ``len``, ``getall``, ``pairs``). Most events
of a busy PBX (VarSet, Newexten, ...) are read for a field or two, or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Final, TypeVar, overload

log = logging.getLogger("telephony.ami.parser")

EVENT: Final = "event"
RESPONSE: Final = "response"
BANNER: Final = "banner"

_T = TypeVar("_T")


class Message(Mapping[str, str]):
    """An AMI message; ``msg["Key"]`` is the first value, ``msg.getall("Key")`` all of them."""

    __slots__ = ("_headers", "_multi", "_nl", "_text", "kind")

    def __init__(
        self,
        kind: str,
        headers: dict[str, str] | None = None,
        multi: dict[str, list[str]] | None = None,
        text: str | None = None,
        nl: str = "\r\n",
    ) -> None:
        self.kind = kind
        self._headers = headers
        self._multi = multi
        self._text = text
        self._nl = nl

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]], kind: str | None = None) -> Message:
        """Build a message from ordered ``(key, value)`` pairs, keeping repeated keys.

        Without ``kind``, the first key decides it (``Event``, ``Response``, else a banner).
        """
        headers: dict[str, str] = {}
        multi: dict[str, list[str]] | None = None
        for key, value in pairs:
            if key in headers:
                if multi is None:
                    multi = {}
                multi.setdefault(key, [headers[key]]).append(value)
            else:
                headers[key] = value
        if kind is None:
            first = pairs[0][0] if pairs else ""
            kind = EVENT if first == "Event" else RESPONSE if first == "Response" else BANNER
        return cls(kind, headers, multi)

    @classmethod
    def banner(cls, text: str) -> Message:
        return cls(BANNER, {"Banner": text})

    # -- lookups ---------------------------------------------------------------------------

    def _find(self, key: str) -> str | None:
        text = self._text
        assert text is not None
        nl = self._nl
        head = key + ": "
        if text.startswith(head):
            start = len(head)
        else:
            at = text.find(nl + head)
            if at < 0:
                return None
            start = at + len(nl) + len(head)
        end = text.find(nl, start)
        return text[start:] if end < 0 else text[start:end]

    def __getitem__(self, key: str) -> str:
        if self._headers is None:
            value = self._find(key)
            if value is None:
                raise KeyError(key)
            return value
        return self._headers[key]

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str | _T) -> str | _T: ...

    def get(self, key: str, default: object = None) -> object:
        if self._headers is None:
            value = self._find(key)
            return default if value is None else value
        return self._headers.get(key, default)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if self._headers is None:
            return self._find(key) is not None
        return key in self._headers

    def _table(self) -> dict[str, str]:
        """The header table, built from the frame text on first need (split per line: exact)."""
        headers = self._headers
        if headers is None:
            assert self._text is not None
            lines = self._text.split(self._nl)
            try:
                headers = dict([line.split(": ", 1) for line in lines])
            except ValueError:  # a line without ": " next to a value holding ": "
                headers = self._rebuild(_lenient_pairs(lines))
            else:
                if len(headers) != len(lines):  # repeated headers
                    headers = self._rebuild([(k, v) for k, _, v in (ln.partition(": ") for ln in lines)])
            self._headers = headers
        return headers

    def _rebuild(self, pairs: list[tuple[str, str]]) -> dict[str, str]:
        rebuilt = Message.from_pairs(pairs)
        self._multi = rebuilt._multi
        return rebuilt._headers or {}

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def getall(self, key: str) -> list[str]:
        """Every value of ``key`` in the order received (empty list when absent)."""
        headers = self._table()
        if self._multi is not None:
            values = self._multi.get(key)
            if values is not None:
                return list(values)
        value = headers.get(key)
        return [] if value is None else [value]

    def pairs(self) -> list[tuple[str, str]]:
        """All headers as ``(key, value)`` pairs, repeated keys expanded in place of the first."""
        headers = self._table()
        if self._multi is None:
            return list(headers.items())
        out: list[tuple[str, str]] = []
        for key in headers:
            out.extend((key, value) for value in self.getall(key))
        return out

    def to_dict(self) -> dict[str, str]:
        """A plain ``dict`` copy with the first value of each header."""
        return dict(self._table())

    # -- convenience -----------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The event name, the response status (``Success``...), or the banner text."""
        key = "Event" if self.kind == EVENT else "Response" if self.kind == RESPONSE else "Banner"
        return self.get(key, "")

    @property
    def is_event(self) -> bool:
        return self.kind == EVENT

    @property
    def is_response(self) -> bool:
        return self.kind == RESPONSE

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return self.kind == other.kind and self.pairs() == other.pairs()
        if isinstance(other, Mapping):
            return self._table() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in list(self._table().items())[:6])
        return f"<Message {self.kind} {shown}{', ...' if len(self) > 6 else ''}>"


def _lenient_pairs(lines: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.strip():
            pairs.append((key.strip(), value[1:] if value.startswith(" ") else value))
        elif line.strip():
            log.warning("AMI: dropped a line without 'Key: value': %r", line[:120])
    return pairs
