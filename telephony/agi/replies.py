"""AGI reply lines parsed without I/O.

Forms Asterisk 22 sends (see shared/reference/agi_command_responses_asterisk22.json):

- ``200 result=N``, ``200 result=N (data)``, ``200 result=N endpos=M``, ``200 result=N (data) endpos=M``;
  data may contain spaces and parentheses; GET DATA sends digits (possibly none) as the result.
- ``510 Invalid or unknown command``; ``511 Command Not Permitted on a dead channel ...``;
  ``520 Invalid command syntax.  Proper usage not available.`` or a block opened by ``520-...``,
  followed by free usage text, closed by ``520 End of proper usage.``.
- ``100 result=0 Trying...`` before a GOSUB's final reply.
- A bare ``HANGUP`` line when the caller hangs up (not a reply to any command).

``ReplyAssembler.feed(line)`` turns lines into these typed items one at a time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from telephony.agi.errors import (
    AgiCommandInvalid,
    AgiDeadChannel,
    AgiError,
    AgiProtocolError,
    AgiUsageError,
)

OK = 200
INVALID = 510
DEAD_CHANNEL = 511
USAGE = 520
PROGRESS = 100

_TRAILER_RE = re.compile(r"(?:\s+[A-Za-z_]+=\S*)*\s*\Z")
_USAGE_END = "520 End of proper usage."
_NO_EXTRA: Mapping[str, str] = MappingProxyType({})
"""The ``extra`` of replies without ``key=value`` tokens (one shared read-only mapping)."""


def _no_extra() -> Mapping[str, str]:
    return _NO_EXTRA


@dataclass(frozen=True, slots=True)
class AgiReply:
    """One final reply to a command."""

    code: int
    result: str = ""
    data: str | None = None
    """Text inside the parentheses after the result (``timeout``, a variable's value ...)."""
    endpos: int | None = None
    extra: Mapping[str, str] = field(default_factory=_no_extra)
    """``key=value`` tokens after the data (``endpos`` included)."""
    text: str = ""
    """The raw line (for 520 blocks, the first line)."""
    usage: str = ""
    """Usage text of a multi-line 520 reply."""

    @property
    def ok(self) -> bool:
        return self.code == OK

    @property
    def timed_out(self) -> bool:
        return self.data == "timeout"

    @property
    def result_int(self) -> int:
        """The result as an integer; ``AgiProtocolError`` when it is not one."""
        try:
            return int(self.result)
        except ValueError:
            raise AgiProtocolError(f"result is not an integer: {self.text!r}", reply=self) from None

    def error(self, command: str | None = None) -> AgiError | None:
        """The exception matching an error reply, or ``None`` for ``200``."""
        if self.code == OK:
            return None
        if self.code == INVALID:
            return AgiCommandInvalid(self.text, command=command, reply=self)
        if self.code == DEAD_CHANNEL:
            return AgiDeadChannel(self.text, command=command, reply=self)
        if self.code == USAGE:
            return AgiUsageError(self.text, usage=self.usage, command=command, reply=self)
        return AgiProtocolError(
            f"unexpected reply code {self.code}: {self.text!r}", command=command, reply=self
        )

    def raise_for_error(self, command: str | None = None) -> AgiReply:
        """Raise the matching ``AgiError`` unless the reply is ``200``; returns the reply otherwise."""
        error = self.error(command)
        if error is not None:
            raise error
        return self


@dataclass(frozen=True)
class HangupSignal:
    """The bare ``HANGUP`` line: the caller hung up. Not a reply; the command's reply still follows."""


@dataclass(frozen=True)
class ProgressReply:
    """``100 result=0 Trying...``: an intermediate line; the final reply follows."""

    text: str


@dataclass(frozen=True)
class MalformedLine:
    """A line that fits no known form (logged and skipped by the session)."""

    line: str
    reason: str


ReplyItem = AgiReply | HangupSignal | ProgressReply | MalformedLine

HANGUP = HangupSignal()


_SET = {name: AgiReply.__dict__[name].__set__ for name in AgiReply.__slots__}
_set_code, _set_result, _set_data, _set_endpos, _set_extra, _set_text, _set_usage = (
    _SET["code"],
    _SET["result"],
    _SET["data"],
    _SET["endpos"],
    _SET["extra"],
    _SET["text"],
    _SET["usage"],
)
_new = object.__new__


def _ok(result: str, data: str | None, text: str) -> AgiReply:
    """``AgiReply(code=200, result=result, data=data, text=text)`` without the frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per field): the same object, a third of the time."""
    reply: AgiReply = _new(AgiReply)
    _set_code(reply, OK)
    _set_result(reply, result)
    _set_data(reply, data)
    _set_endpos(reply, None)
    _set_extra(reply, _NO_EXTRA)
    _set_text(reply, text)
    _set_usage(reply, "")
    return reply


def parse_success(line: str) -> AgiReply | None:
    """Parse a ``200 result=...`` line; ``None`` when the line is not of that form."""
    if not line.startswith("200 result="):
        return None
    body = line[11:]
    # ``result`` is the run of non-space characters after ``=`` (possibly empty), ``rest`` all after it
    result = body.split(None, 1)[0] if body and not body[0].isspace() else ""
    rest = body[len(result) :]
    if not rest:  # the common ``200 result=N``
        return _ok(result, None, line)
    data: str | None = None
    stripped = rest.lstrip()
    if stripped.startswith("("):
        if stripped.endswith(")"):  # ``(data)`` with nothing after it: no trailer to look for
            return _ok(result, stripped[1:-1], line)
        close = _data_end(stripped)
        if close is not None:
            data = stripped[1:close]
            rest = stripped[close + 1 :]
    extra = {}
    for token in rest.split():
        key, eq, value = token.partition("=")
        if eq and key:
            extra[key] = value
    endpos: int | None = None
    raw_endpos = extra.get("endpos")
    if raw_endpos is not None:
        try:
            endpos = int(raw_endpos)
        except ValueError:
            endpos = None
    return AgiReply(code=OK, result=result, data=data, endpos=endpos, extra=extra, text=line)


def _data_end(text: str) -> int | None:
    """Index of the ``)`` closing the data: the last one followed only by ``key=value`` tokens
    (data may hold parentheses), else the first one followed by a space (free text after it, as
    in SPEECH RECOGNIZE replies)."""
    index = text.rfind(")")
    while index > 0:
        if _TRAILER_RE.match(text, index + 1):
            return index
        index = text.rfind(")", 0, index)
    index = text.find(")")
    while index > 0:
        if text[index + 1 : index + 2] in ("", " "):
            return index
        index = text.find(")", index + 1)
    return None


def _code_of(line: str) -> int | None:
    if len(line) >= 3 and line[:3].isdigit() and (len(line) == 3 or line[3] in " -"):
        return int(line[:3])
    return None


class ReplyAssembler:
    """Feeds lines one at a time and yields typed items; keeps the state of a ``520-`` block."""

    def __init__(self) -> None:
        self._usage_first: str | None = None
        self._usage_lines: list[str] = []

    @property
    def in_block(self) -> bool:
        return self._usage_first is not None

    def reset(self) -> None:
        self._usage_first = None
        self._usage_lines = []

    def feed(self, raw: str) -> ReplyItem | None:
        """One line in (terminator optional); an item out, or ``None`` inside a 520 usage block."""
        line = raw.rstrip("\r\n")
        if self._usage_first is not None:
            return self._feed_usage(line)
        if line.startswith("200 "):
            return parse_success(line) or MalformedLine(line, "200 reply without 'result='")
        if line.strip() == "HANGUP":
            return HANGUP
        code = _code_of(line)
        if code == OK:
            reply = parse_success(line)
            if reply is None:
                return MalformedLine(line, "200 reply without 'result='")
            return reply
        if code == PROGRESS:
            return ProgressReply(line)
        if code == USAGE and line[3:4] == "-":
            self._usage_first = line
            self._usage_lines = []
            return None
        if code in (INVALID, DEAD_CHANNEL, USAGE):
            return AgiReply(code=code, text=line)
        if not line.strip():
            return MalformedLine(line, "empty line")
        return MalformedLine(line, "not an AGI reply")

    def _feed_usage(self, line: str) -> AgiReply | None:
        first = self._usage_first or ""
        if line.startswith("520 "):
            ended = True
        elif line.endswith(_USAGE_END):
            # Some builds send the usage text without a final newline: the end marker is glued on.
            self._usage_lines.append(line[: -len(_USAGE_END)])
            ended = True
        else:
            self._usage_lines.append(line)
            ended = False
        if not ended:
            return None
        usage = "\n".join(self._usage_lines).strip("\n")
        self.reset()
        return AgiReply(code=USAGE, text=first, usage=usage)
