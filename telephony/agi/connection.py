"""One FastAGI socket: reads the environment block, sends commands, reads their replies.

Commands are serialised (one in flight per connection). A ``HANGUP`` line may arrive at any time;
it marks the connection hung up and the reply of the command in flight is still read, so the
stream stays in step. After a hang-up only commands Asterisk allows on a dead channel are sent;
others raise ``AgiHangup`` without a round trip. A timeout or a cancellation in the middle of a
command leaves the stream out of step: the connection is then marked broken and refuses commands.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable

from telephony.agi.commands import encode_command, format_command
from telephony.agi.environment import AgiEnvironment, parse_environment
from telephony.agi.errors import (
    AgiEnvironmentError,
    AgiError,
    AgiHangup,
    AgiTimeout,
)
from telephony.agi.replies import AgiReply, HangupSignal, MalformedLine, ProgressReply, ReplyAssembler

logger = logging.getLogger("telephony.agi")

DEAD_CHANNEL_COMMANDS = frozenset(
    {
        "ASYNCAGI BREAK",
        "DATABASE DEL",
        "DATABASE DELTREE",
        "DATABASE GET",
        "DATABASE PUT",
        "EXEC",
        "GET FULL VARIABLE",
        "GET VARIABLE",
        "NOOP",
        "SET VARIABLE",
        "SPEECH DESTROY",
        "SPEECH UNLOAD GRAMMAR",
        "VERBOSE",
    }
)
"""Commands Asterisk 22 still runs after a hang-up (``allowed_on_dead_channel`` in the reference)."""

NO_TIMEOUT = math.inf
"""Pass as ``timeout`` for a command that may legitimately run without limit (EXEC Queue ...)."""


async def read_environment(
    reader: asyncio.StreamReader, *, max_bytes: int = 64 * 1024, max_lines: int = 512
) -> AgiEnvironment:
    """Read and parse the ``agi_*`` block up to its empty line.

    ``AgiEnvironmentError`` when it is malformed or exceeds the limits; ``AgiHangup`` when the
    peer closes the socket before the block ends.
    """
    lines: list[str] = []
    total = 0
    while True:
        try:
            raw = await reader.readline()
        except (ValueError, asyncio.LimitOverrunError) as exc:
            raise AgiEnvironmentError(f"environment line over the reader limit: {exc}") from None
        if not raw:
            raise AgiHangup("connection closed before the end of the environment block")
        total += len(raw)
        if total > max_bytes:
            raise AgiEnvironmentError(f"environment block over {max_bytes} bytes")
        if len(lines) >= max_lines:
            raise AgiEnvironmentError(f"environment block over {max_lines} lines")
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            break
        lines.append(line)
    return parse_environment(lines)


class AgiConnection:
    """Command/reply exchange on one FastAGI socket."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        command_timeout: float | None = 60.0,
        label: str = "",
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._command_timeout = command_timeout
        self.label = label
        """Names the connection in log lines (the channel once known)."""
        self._lock = asyncio.Lock()
        self._assembler = ReplyAssembler()
        self._hung_up = False
        self._eof = False
        self._broken: str | None = None

    @property
    def hung_up(self) -> bool:
        """True once a ``HANGUP`` line, a 511 reply or the end of the stream has been seen."""
        return self._hung_up

    @property
    def broken(self) -> str | None:
        """Why the connection refuses commands (timeout, cancellation, end of stream), else ``None``."""
        return self._broken

    @property
    def command_timeout(self) -> float | None:
        return self._command_timeout

    def mark_hung_up(self) -> None:
        self._hung_up = True

    async def command(
        self, verb: str, args: Iterable[str | int] = (), *, reply_timeout: float | None = None
    ) -> AgiReply:
        """Send one command and return its ``200`` reply; error replies raise their ``AgiError``.

        ``reply_timeout`` (seconds) overrides the connection's command timeout for this command;
        ``NO_TIMEOUT`` waits without limit.
        """
        arguments = tuple(args)
        name = verb.strip().upper()
        text = format_command(verb, arguments)
        data = encode_command(verb, arguments)
        limit = self._command_timeout if reply_timeout is None else reply_timeout
        if limit is not None and math.isinf(limit):
            limit = None
        async with self._lock:
            if self._broken is not None:
                if self._eof:
                    raise AgiHangup(f"connection closed ({self._broken})", command=text)
                raise AgiError(f"connection unusable: {self._broken}", command=text)
            if self._hung_up and name not in DEAD_CHANNEL_COMMANDS:
                raise AgiHangup("caller hung up", command=text)
            done = False
            try:
                async with asyncio.timeout(limit):
                    if logger.isEnabledFor(logging.DEBUG):
                        logger.debug("%s >> %s", self.label, text)
                    self._writer.write(data)
                    await self._writer.drain()
                    reply = await self._read_reply(text)
                done = True
            except TimeoutError:
                self._broken = f"no reply within {limit} s"
                raise AgiTimeout(f"no reply within {limit} s", command=text) from None
            except (ConnectionError, OSError) as exc:
                self._note_eof(f"socket error: {exc}")
                raise AgiHangup(f"connection lost: {exc}", command=text) from None
            finally:
                if not done and self._broken is None:
                    self._broken = "interrupted in the middle of a command"
        if reply.code == 511:
            self._hung_up = True
        reply.raise_for_error(text)
        return reply

    async def _read_reply(self, command: str) -> AgiReply:
        while True:
            try:
                raw = await self._reader.readline()
            except ValueError as exc:
                logger.warning("%s: AGI reply line over the reader limit skipped: %s", self.label, exc)
                continue
            if not raw:
                self._note_eof("end of stream")
                raise AgiHangup("connection closed by Asterisk", command=command)
            line = raw.decode("utf-8", errors="replace")
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("%s << %s", self.label, line.rstrip("\n"))
            item = self._assembler.feed(line)
            if item is None or isinstance(item, ProgressReply):
                continue
            if isinstance(item, HangupSignal):
                self._hung_up = True
                continue
            if isinstance(item, MalformedLine):
                logger.warning("%s: malformed AGI line skipped (%s): %r", self.label, item.reason, item.line)
                continue
            return item

    def _note_eof(self, reason: str) -> None:
        self._eof = True
        self._hung_up = True
        self._broken = reason

    async def close(self, wait: float = 2.0) -> None:
        """Close the socket (idempotent); waits at most ``wait`` seconds for it to close."""
        if self._broken is None:
            self._broken = "closed"
        if self._writer.is_closing():
            return
        self._writer.close()
        try:
            async with asyncio.timeout(wait):
                await self._writer.wait_closed()
        except (TimeoutError, ConnectionError, OSError):
            pass
