"""One FastAGI socket: reads the environment block, sends commands, reads their replies.

After the environment block, one background task reads the socket for the whole session (started
by the server, or by the first command): replies go to the command waiting for them, and a
``HANGUP`` line or the end of the stream marks the connection hung up at once, even while the
handler sends no command (a caller waiting for an agent): ``wait_for_hangup()``, ``hangup_event``
and ``on_hangup(callback)`` let an idle handler learn of it.

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
from collections.abc import Callable, Iterable

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


HangupListener = Callable[[], None]


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
        self._hangup = asyncio.Event()
        self._hangup_listeners: list[HangupListener] = []
        self._replies: asyncio.Queue[AgiReply | None] = asyncio.Queue()
        """Replies read by the background reader; ``None`` marks the end of the stream."""
        self._reading: asyncio.Task[None] | None = None
        self._in_command = False
        self._eof = False
        self._broken: str | None = None

    @property
    def hung_up(self) -> bool:
        """True once a ``HANGUP`` line, a 511 reply or the end of the stream has been seen."""
        return self._hangup.is_set()

    @property
    def hangup_event(self) -> asyncio.Event:
        """Set when the hang-up is seen (the background reader sees it while the handler is idle)."""
        self.start_reading()
        return self._hangup

    @property
    def broken(self) -> str | None:
        """Why the connection refuses commands (timeout, cancellation, end of stream), else ``None``."""
        return self._broken

    @property
    def command_timeout(self) -> float | None:
        return self._command_timeout

    @property
    def reading(self) -> bool:
        """True while the background reader task runs."""
        return self._reading is not None and not self._reading.done()

    def start_reading(self) -> None:
        """Start the background reader (idempotent); call once the environment block is read."""
        if self._reading is None and self._broken is None:
            self._reading = asyncio.get_running_loop().create_task(
                self._read_loop(), name=f"agi-reader {self.label}"
            )

    def mark_hung_up(self) -> None:
        if self._hangup.is_set():
            return
        self._hangup.set()
        if not self._in_command:
            self._notify_hangup()

    async def wait_for_hangup(self) -> None:
        """Return once the caller has hung up (at once if that is already known)."""
        self.start_reading()
        await self._hangup.wait()

    def on_hangup(self, listener: HangupListener) -> Callable[[], None]:
        """Call ``listener()`` once, when the hang-up is seen and no command is in flight.

        A command in flight finishes first (its reply is still read, so the stream stays in step);
        the listener then runs when it returns. Already hung up: it runs on the next loop turn.
        Returns a function that removes the listener.
        """
        self.start_reading()
        self._hangup_listeners.append(listener)
        if self.hung_up and not self._in_command:
            asyncio.get_running_loop().call_soon(self._notify_hangup)

        def remove() -> None:
            if listener in self._hangup_listeners:
                self._hangup_listeners.remove(listener)

        return remove

    def _notify_hangup(self) -> None:
        listeners, self._hangup_listeners = self._hangup_listeners, []
        for listener in listeners:
            try:
                listener()
            except Exception:
                logger.exception("%s: hang-up listener %r failed", self.label, listener)

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
        self.start_reading()
        async with self._lock:
            try:
                self._in_command = True
                reply = await self._exchange(name, text, data, limit)
            finally:
                self._in_command = False
                if self._hangup.is_set() and self._hangup_listeners:
                    self._notify_hangup()
        if reply.code == 511:
            self.mark_hung_up()
        reply.raise_for_error(text)
        return reply

    async def _exchange(self, name: str, text: str, data: bytes, limit: float | None) -> AgiReply:
        if self._broken is not None:
            if self._eof:
                raise AgiHangup(f"connection closed ({self._broken})", command=text)
            raise AgiError(f"connection unusable: {self._broken}", command=text)
        if self._hangup.is_set() and name not in DEAD_CHANNEL_COMMANDS:
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
        return reply

    async def _read_reply(self, command: str) -> AgiReply:
        item = await self._replies.get()
        if item is None:
            self._replies.put_nowait(None)  # the end of the stream stays visible to later reads
            raise AgiHangup("connection closed by Asterisk", command=command)
        return item

    async def _read_loop(self) -> None:
        """Read the socket for the whole session: replies to the queue, ``HANGUP`` noted at once."""
        reason = "end of stream"
        try:
            while True:
                try:
                    raw = await self._reader.readline()
                except ValueError as exc:
                    logger.warning("%s: AGI reply line over the reader limit skipped: %s", self.label, exc)
                    continue
                if not raw:
                    break
                line = raw.decode("utf-8", errors="replace")
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug("%s << %s", self.label, line.rstrip("\n"))
                item = self._assembler.feed(line)
                if item is None or isinstance(item, ProgressReply):
                    continue
                if isinstance(item, HangupSignal):
                    self.mark_hung_up()
                    continue
                if isinstance(item, MalformedLine):
                    logger.warning(
                        "%s: malformed AGI line skipped (%s): %r", self.label, item.reason, item.line
                    )
                    continue
                self._replies.put_nowait(item)
        except (ConnectionError, OSError) as exc:
            reason = f"socket error: {exc}"
        self._note_eof(reason)
        self._replies.put_nowait(None)

    def _note_eof(self, reason: str) -> None:
        self._eof = True
        if self._broken is None:
            self._broken = reason
        self.mark_hung_up()

    async def close(self, wait: float = 2.0) -> None:
        """Close the socket (idempotent); waits at most ``wait`` seconds for it to close."""
        if self._broken is None:
            self._broken = "closed"
        reading, self._reading = self._reading, None
        if reading is not None and not reading.done():
            reading.cancel()
            await asyncio.wait([reading], timeout=wait)
        if self._writer.is_closing():
            return
        self._writer.close()
        try:
            async with asyncio.timeout(wait):
                await self._writer.wait_closed()
        except (TimeoutError, ConnectionError, OSError):
            pass
