"""AMI framing and parsing without I/O.

``parse_frames(buf)`` turns bytes into messages and returns the unfinished tail; ``FrameParser``
keeps that tail between reads and resynchronises after an oversized frame. Messages are decoded as
UTF-8 only once complete, so a multi-byte caller name split across TCP reads arrives intact;
invalid UTF-8 is replaced and logged. Malformed input (a line without a colon, a frame that is
neither event nor response, over-long lines, binary junk) is logged and skipped.

Line endings are read per line: CRLF (what Asterisk sends) and LF alone (captures, hand-written
peers) may be mixed, even inside one frame; a blank line (``\\n\\n`` or ``\\n\\r\\n``) ends a frame.
A lone CR is an ordinary character of its line. The bytes held between reads are never rewritten.

The hot path: a read holding CRLF is split at its CRLF blank lines as received (a read without
CRLF at its LF blank lines); per frame a prefix test and C-level counts: a frame whose lines all
end in the read's line ending and hold one ``": "`` each (in total) becomes a ``Message`` over its
text (lookups search the text; the header table is built on first need). A frame with LF-only
breaks inside a CRLF read is normalised and split again at its LF blank lines; a read whose
unfinished rest holds an LF blank line is normalised to LF as a whole (for parsing only). Other
frames (values containing ``": "``, malformed lines, over-long lines, headers before the
``Event:`` line, ``Response: Follows``) take the careful line-by-line path, which logs what it
drops.

``Response: Follows`` (the Command reply before Asterisk 14) spans blank lines until
``--END COMMAND--``. Asterisk 22 never sends it (Command replies are ``Success`` with ``Output:``
headers), so a Follows body is bounded: a frame whose first line starts a message (``Event:``,
``Response:``) ends it, and so does growing past the frame limit; the body so far is delivered
(logged) and nothing after it is held back.
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
_FOLLOWS: Final = "Response: Follows"
_STARTS: Final = ("Event:", "Response:")
_FOLLOWS_HEADERS: Final = frozenset({"Response", "Privilege", "ActionID", "Message"})
_SHOWN: Final = 120


def _preview(text: str | bytes) -> str:
    shown = repr(text[:_SHOWN])
    return shown + (f"... ({len(text)} chars)" if len(text) > _SHOWN else "")


class _Follows:
    """The frames of a ``Response: Follows`` body not yet closed by ``--END COMMAND--``."""

    __slots__ = ("frames", "size")

    def __init__(self, frame: str) -> None:
        self.frames = [frame]
        self.size = len(frame)

    def add(self, frame: str) -> None:
        self.frames.append(frame)
        self.size += len(frame) + 2

    def message(self) -> Message:
        return _parse_follows("\n\n".join(self.frames))


def parse_frames(buf: bytes, *, max_line: int = MAX_LINE) -> tuple[list[Message], bytes]:
    """Parse every complete message in ``buf``; return them and the bytes of the unfinished rest.

    CRLF and LF-only line endings are both accepted, per line. An unclosed ``Response: Follows``
    body at the end is returned in the rest (as UTF-8 text) for the next call.
    """
    messages, rest, follows = _parse(buf, max_line, MAX_FRAME, None)
    if follows is not None:
        rest = ("\n\n".join(follows.frames) + "\n\n").encode("utf-8") + rest
    return messages, rest


def _split(buf: bytes) -> tuple[list[str], str, bytes] | None:
    """The complete frames of ``buf`` (decoded), their line break, and the raw unfinished rest.

    With CRLF in the read, frames are split at CRLF blank lines; a frame holding LF-only line
    breaks is split further by ``_parse`` (rare, so the common read pays nothing for it). Only when
    the unfinished rest holds an LF-style blank line is the read normalised to LF as a whole.
    """
    if b"\r\n" in buf:
        cut = buf.rfind(b"\r\n\r\n")
        tail = buf[cut + 4 :] if cut >= 0 else buf
        if b"\n\n" not in tail and b"\n\r\n" not in tail:
            if cut < 0:
                return None
            nl, blank_b, complete, rest = "\r\n", b"\r\n\r\n", buf[:cut], tail
        else:  # an LF-ended frame after the last CRLF blank line: normalise a copy
            lf_at, crlf_at = buf.rfind(b"\n\n"), buf.rfind(b"\n\r\n")
            # the last blank line; last_nl is the "\n" ending the line before it
            last_nl, end = (lf_at, lf_at + 2) if lf_at > crlf_at else (crlf_at, crlf_at + 3)
            nl, blank_b = "\n", b"\n\n"
            complete, rest = buf[: last_nl + 1].replace(b"\r\n", b"\n")[:-1], buf[end:]
    else:  # LF only (a lone CR is an ordinary character)
        cut = buf.rfind(b"\n\n")
        if cut < 0:
            return None
        nl, blank_b, complete, rest = "\n", b"\n\n", buf[:cut], buf[cut + 2 :]
    blank = nl + nl
    try:
        frames = complete.decode("utf-8").split(blank)
    except UnicodeDecodeError:
        frames = [_decode(raw) for raw in complete.split(blank_b)]
    return frames, nl, rest


def _parse(
    buf: bytes, max_line: int, max_frame: int, follows: _Follows | None
) -> tuple[list[Message], bytes, _Follows | None]:
    messages: list[Message] = []
    if buf.startswith(BANNER_PREFIX):
        end = buf.find(b"\n")
        if end < 0:
            return messages, buf, follows
        messages.append(Message.banner(buf[:end].decode("utf-8", "replace").strip()))
        buf = buf[end + 1 :]
    split = _split(buf)
    if split is None:
        return messages, buf, follows
    frames, nl, rest = split
    crlf = nl == "\r\n"
    append = messages.append
    for frame in frames:
        # Fast path: every line holds one ": " and ends in ``nl`` (so lookups in the text are exact).
        if follows is None and len(frame) <= max_line:
            if frame.startswith("Event: "):
                kind: str | None = EVENT
            elif frame.startswith("Response: ") and not frame.startswith(_FOLLOWS):
                kind = RESPONSE
            else:
                kind = None
            if kind is not None:
                lines = frame.count("\n")
                if frame.count(": ") == lines + 1 and (frame.count("\r\n") == lines if crlf else True):
                    append(Message(kind, None, None, frame, nl))
                    continue
        if crlf and frame.count("\n") != frame.count("\r\n"):  # LF-only breaks in a CRLF read
            normal = frame.replace("\r\n", "\n")
            if "\n\n" in normal:  # LF blank lines: several frames
                for part in normal.split("\n\n"):
                    follows = _frame(part, messages, follows, max_line, max_frame)
                continue
        follows = _frame(frame, messages, follows, max_line, max_frame)
    return messages, rest, follows


def _frame(
    frame: str, messages: list[Message], follows: _Follows | None, max_line: int, max_frame: int
) -> _Follows | None:
    """One frame off the fast path (or inside a Follows body); returns the Follows state after it.

    Rare frames only (malformed, values holding ``": "``, Follows, LF frames glued in a CRLF read):
    they take the careful line-by-line parse."""
    if follows is not None:
        if not frame.lstrip("\r\n").startswith(_STARTS):
            follows.add(frame)
            if END_COMMAND in frame:
                messages.append(follows.message())
                return None
            if follows.size > max_frame:
                log.warning("AMI: a 'Response: Follows' body passed %d bytes; delivered as is", max_frame)
                messages.append(follows.message())
                return None
            return follows
        log.warning(
            "AMI: a 'Response: Follows' without %s was ended by the next message: %s",
            END_COMMAND,
            _preview(follows.frames[0]),
        )
        messages.append(follows.message())
    if not frame:
        return None
    if frame.startswith(_FOLLOWS) and END_COMMAND not in frame:
        return _Follows(frame)
    parsed = _parse_careful(frame, max_line)
    if parsed is not None:
        messages.append(parsed)
    return None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        log.warning("AMI: invalid UTF-8 in a message (%s), replaced: %s", exc.reason, _preview(raw))
        return raw.decode("utf-8", "replace")


def _parse_careful(frame: str, max_line: int) -> Message | None:
    """Parse one frame line by line, skipping what is malformed.

    Headers before the ``Event:`` / ``Response:`` line are kept in wire order (as panoramisk
    does); the first such line decides the kind.
    """
    lines = frame.replace("\r\n", "\n").strip("\n").split("\n")
    start = _first_start(lines)
    if start < 0:
        glued = _glued_start(lines[0])
        if glued > 0:  # junk glued to the start of a message, e.g. binary noise without a line break
            log.warning("AMI: skipped junk before a message: %s", _preview(lines[0][:glued]))
            lines[0] = lines[0][glued:]
            start = 0
    if start < 0:
        log.warning("AMI: skipped a frame that is neither event nor response: %s", _preview(frame))
        return None
    if len(lines[start]) > max_line:  # the line naming the message: without it, nothing to keep
        log.warning(
            "AMI: dropped a message whose first line has %d characters: %s",
            len(lines[start]),
            _preview(lines[start]),
        )
        return None
    if lines[start].startswith(_FOLLOWS):
        return _parse_follows("\n".join(lines[start:]))
    pairs: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        if len(line) > max_line:
            log.warning("AMI: dropped a %d-character header line: %s", len(line), _preview(line))
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key or (index < start and not _plain_key(key)):
            if line.strip():
                log.warning("AMI: dropped a line without 'Key: value': %s", _preview(line))
            continue
        pairs.append((key, value[1:] if value.startswith(" ") else value))
    return Message.from_pairs(pairs, EVENT if lines[start].startswith("Event:") else RESPONSE)


def _first_start(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if line.startswith(_STARTS):
            return index
    return -1


def _plain_key(key: str) -> bool:
    """A header name as Asterisk writes them (printable ASCII, no blank): junk lines are not."""
    return key.isascii() and key.isprintable() and " " not in key


def _glued_start(line: str) -> int:
    """Where ``Event: ``/``Response: `` starts after non-header junk on the same line, else -1."""
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
    return Message.from_pairs(pairs, RESPONSE)


def _after_blank_line(buf: bytes) -> int:
    """The index just after the first blank line (either line ending) in ``buf``, else -1."""
    lf = buf.find(b"\n\n")
    crlf = buf.find(b"\n\r\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf + 3
    return lf + 2 if lf >= 0 else -1


class FrameParser:
    """Incremental parser: ``feed(data)`` returns the messages completed by ``data``.

    An unfinished frame growing past ``max_frame`` is logged and dropped up to the next blank
    line, so one runaway message cannot exhaust memory or stall the link.
    """

    __slots__ = ("_discarding", "_follows", "_rest", "banner", "max_frame", "max_line")

    def __init__(self, *, max_line: int = MAX_LINE, max_frame: int = MAX_FRAME) -> None:
        self.max_line = max_line
        self.max_frame = max_frame
        self.banner: str | None = None
        self._rest = b""
        self._discarding = False
        self._follows: _Follows | None = None

    def feed(self, data: bytes) -> list[Message]:
        if self._discarding:
            buf = self._rest + data
            end = _after_blank_line(buf)
            if end < 0:
                self._rest = buf[-2:]  # enough to find a blank line split across reads
                return []
            self._discarding = False
            log.warning("AMI: resynchronised after an oversized frame")
            data = buf[end:]
            self._rest = b""
        buf = self._rest + data
        messages, rest, self._follows = _parse(buf, self.max_line, self.max_frame, self._follows)
        if len(rest) > self.max_frame:
            log.warning("AMI: dropping an unfinished frame over %d bytes: %s", self.max_frame, _preview(rest))
            self._discarding = True
            rest = rest[-2:]
        self._rest = rest
        if messages and self.banner is None and messages[0].kind == "banner":
            self.banner = messages[0]["Banner"]
        return messages

    @property
    def pending(self) -> int:
        """Bytes held for an unfinished frame (an unclosed ``Response: Follows`` body included)."""
        return len(self._rest) + (self._follows.size if self._follows is not None else 0)
