"""AMI framing and parsing without I/O.

``parse_frames(buf)`` turns bytes into messages and returns the unfinished tail; ``FrameParser``
keeps that tail between reads and resynchronises after an oversized frame. Messages are decoded as
UTF-8 only once complete, so a multi-byte caller name split across TCP reads arrives intact;
invalid UTF-8 is replaced and logged. Malformed input (a line without a colon, a frame that is
neither event nor response, over-long lines, binary junk) is logged and skipped.

The hot path per frame is a prefix test and two C-level counts: a frame whose every line holds
exactly one ``": "`` becomes a ``Message`` over its text (lookups search the text; the header table
is built on first need). Other frames (values containing ``": "``, malformed lines, over-long
lines, ``Response: Follows``) take the careful line-by-line path, which logs what it drops.
"""

from __future__ import annotations

import logging
from typing import Final

from .message import EVENT, RESPONSE, Message

log = logging.getLogger(__name__)

MAX_LINE: Final = 64 * 1024
"""Longest header line kept; longer lines are logged and dropped."""
MAX_FRAME: Final = 256 * 1024
"""Longest message; an unfinished frame beyond this is dropped up to the next blank line."""

BANNER_PREFIX: Final = b"Asterisk Call Manager/"
END_COMMAND: Final = "--END COMMAND--"
_FOLLOWS_HEADERS: Final = frozenset({"Response", "Privilege", "ActionID", "Message"})
_SHOWN: Final = 120


def _preview(text: str | bytes) -> str:
    shown = repr(text[:_SHOWN])
    return shown + (f"... ({len(text)} chars)" if len(text) > _SHOWN else "")


def parse_frames(buf: bytes, *, max_line: int = MAX_LINE) -> tuple[list[Message], bytes]:
    """Parse every complete message in ``buf``; return them and the bytes of the unfinished rest.

    CRLF and LF-only line endings are both accepted.
    """
    messages: list[Message] = []
    if buf.startswith(BANNER_PREFIX):
        end = buf.find(b"\n")
        if end < 0:
            return messages, buf
        messages.append(Message.banner(buf[:end].decode("utf-8", "replace").strip()))
        buf = buf[end + 1 :]
    # Asterisk sends CRLF; captures and hand-written peers may use LF only.
    if b"\r\n" in buf:
        nl, blank_b, blank = "\r\n", b"\r\n\r\n", "\r\n\r\n"
    else:
        nl, blank_b, blank = "\n", b"\n\n", "\n\n"
    cut = buf.rfind(blank_b)
    if cut < 0:
        return messages, buf
    rest = buf[cut + len(blank_b) :]
    complete = buf[:cut]
    try:
        frames = complete.decode("utf-8").split(blank)
    except UnicodeDecodeError:
        frames = [_decode(raw) for raw in complete.split(blank_b)]
    append = messages.append
    follows: list[str] | None = None
    for frame in frames:
        if follows is not None:
            follows.append(frame)
            if END_COMMAND in frame:
                _append_opt(messages, _parse_follows(blank.join(follows)))
                follows = None
            continue
        if not frame:
            continue
        if frame.startswith("Event: "):
            kind: str | None = EVENT
        elif frame.startswith("Response: ") and not frame.startswith("Response: Follows"):
            kind = RESPONSE
        else:
            kind = None
        # Fast path: every line holds exactly one ": " (so lookups in the text are exact).
        if kind is not None and len(frame) <= max_line and frame.count(": ") == frame.count("\n") + 1:
            append(Message(kind, None, None, frame, nl))
            continue
        if frame.startswith("Response: Follows") and END_COMMAND not in frame:
            follows = [frame]
            continue
        _append_opt(messages, _parse_careful(frame, max_line))
    if follows is not None:
        rest = (blank.join(follows) + blank).encode("utf-8") + rest
    return messages, rest


def _append_opt(messages: list[Message], msg: Message | None) -> None:
    if msg is not None:
        messages.append(msg)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        log.warning("AMI: invalid UTF-8 in a message (%s), replaced: %s", exc.reason, _preview(raw))
        return raw.decode("utf-8", "replace")


def _parse_careful(frame: str, max_line: int) -> Message | None:
    """Parse one frame line by line, skipping what is malformed."""
    lines = frame.replace("\r\n", "\n").strip("\n").split("\n")
    glued = _glued_start(lines[0])
    if glued > 0:  # junk glued to the start of a message, e.g. binary noise without a line break
        log.warning("AMI: skipped junk before a message: %s", _preview(lines[0][:glued]))
        lines[0] = lines[0][glued:]
    start = 0
    while start < len(lines) and not lines[start].startswith(("Event:", "Response:")):
        start += 1
    if start == len(lines):
        log.warning("AMI: skipped a frame that is neither event nor response: %s", _preview(frame))
        return None
    if start:
        log.warning("AMI: skipped junk before a message: %s", _preview("\n".join(lines[:start])))
    if len(lines[start]) > max_line:  # the line naming the message: without it, nothing to keep
        log.warning(
            "AMI: dropped a message whose first line has %d characters: %s",
            len(lines[start]),
            _preview(lines[start]),
        )
        return None
    if lines[start].startswith("Response: Follows"):
        return _parse_follows("\n".join(lines[start:]))
    pairs: list[tuple[str, str]] = []
    for line in lines[start:]:
        if len(line) > max_line:
            log.warning("AMI: dropped a %d-character header line: %s", len(line), _preview(line))
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key:
            if line.strip():
                log.warning("AMI: dropped a line without 'Key: value': %s", _preview(line))
            continue
        pairs.append((key, value[1:] if value.startswith(" ") else value))
    return Message.from_pairs(pairs)


def _glued_start(line: str) -> int:
    """Where ``Event: ``/``Response: `` starts after non-header junk on the same line, else -1."""
    if line.startswith(("Event:", "Response:")):
        return -1
    for marker in ("Event: ", "Response: "):
        at = line.find(marker)
        if at > 0 and not line[at - 1].isalnum():
            return at
    return -1


def _parse_follows(text: str) -> Message:
    """``Response: Follows`` (Command before Asterisk 14): headers, raw output, ``--END COMMAND--``.

    The output lines become repeated ``Output`` headers, as Asterisk 14+ sends them.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(lines):
        key, sep, value = lines[index].partition(": ")
        if not sep or key not in _FOLLOWS_HEADERS:
            break
        pairs.append((key, value))
        index += 1
    for line in lines[index:]:
        done = line.endswith(END_COMMAND)
        if done:
            line = line[: -len(END_COMMAND)]
        if line or not done:
            pairs.append(("Output", line))
        if done:
            break
    return Message.from_pairs(pairs)


class FrameParser:
    """Incremental parser: ``feed(data)`` returns the messages completed by ``data``.

    An unfinished frame growing past ``max_frame`` is logged and dropped up to the next blank
    line, so one runaway message cannot exhaust memory or stall the link.
    """

    __slots__ = ("_discarding", "_rest", "banner", "max_frame", "max_line")

    def __init__(self, *, max_line: int = MAX_LINE, max_frame: int = MAX_FRAME) -> None:
        self.max_line = max_line
        self.max_frame = max_frame
        self.banner: str | None = None
        self._rest = b""
        self._discarding = False

    def feed(self, data: bytes) -> list[Message]:
        if self._discarding:
            buf = self._rest + data
            normal = buf.replace(b"\r\n", b"\n")
            end = normal.find(b"\n\n")
            if end < 0:
                self._rest = buf[-3:]
                return []
            self._discarding = False
            log.warning("AMI: resynchronised after an oversized frame")
            data = normal[end + 2 :]
            self._rest = b""
        messages, rest = parse_frames(self._rest + data, max_line=self.max_line)
        if len(rest) > self.max_frame:
            log.warning("AMI: dropping an unfinished frame over %d bytes: %s", self.max_frame, _preview(rest))
            self._discarding = True
            rest = rest[-3:]
        self._rest = rest
        if messages and self.banner is None and messages[0].kind == "banner":
            self.banner = messages[0]["Banner"]
        return messages

    @property
    def pending(self) -> int:
        """Bytes held for an unfinished frame."""
        return len(self._rest)
