"""One FastAGI socket: sends commands, reads their replies, knows when the caller hung up.

Every line after the environment block enters through ``feed_line`` (the end of the stream
through ``feed_eof``), called straight from the server's protocol (``telephony.agi.protocol``)
as the bytes arrive: a reply resolves the future of the command waiting for it in that same
callback, and a ``HANGUP`` line or the end of the stream marks the connection hung up at once,
even while the handler sends no command (a caller waiting for an agent): ``wait_for_hangup()``,
``hangup_event`` and ``on_hangup(callback)`` let an idle handler learn of it. A connection built
over an ``asyncio.StreamReader`` instead runs one reader task that feeds the same two methods.

Each command's timeout is one timer handle per connection, moved only when a command needs an
earlier deadline than the one it already has (``loop.call_at``, not a timeout context per
command).

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
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final, Protocol

from telephony.agi.commands import encode_line, format_command
from telephony.agi.environment import AgiEnvironment, parse_environment
from telephony.agi.errors import (
    AgiEnvironmentError,
    AgiError,
    AgiHangup,
    AgiTimeout,
)
from telephony.agi.replies import AgiReply, HangupSignal, MalformedLine, ReplyAssembler

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


class AgiWriter(Protocol):
    """What a connection writes to: an ``asyncio.StreamWriter`` or the server's ``AgiProtocol``."""

    @property
    def transport(self) -> asyncio.WriteTransport: ...

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def is_closing(self) -> bool: ...

    def close(self) -> None: ...

    async def wait_closed(self) -> None: ...

    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


class _Outcome:
    """How a command's wait ended when it was not with a reply."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


_ENDED: Final = _Outcome("end of stream")
_EXPIRED: Final = _Outcome("timeout")
_CLOSED: Final = _Outcome("closed")


class AgiConnection:
    """Command/reply exchange on one FastAGI socket."""

    def __init__(
        self,
        reader: asyncio.StreamReader | None,
        writer: AgiWriter,
        *,
        command_timeout: float | None = 60.0,
        label: str = "",
    ) -> None:
        """``reader``: the stream the replies come from, read by a task once ``start_reading()``
        runs; ``None`` when the caller pushes every line with ``feed_line`` / ``feed_eof`` (the
        server's protocol does)."""
        self._reader = reader
        self._writer = writer
        self._command_timeout = command_timeout
        self.label = label
        """Names the connection in log lines (the channel once known)."""
        self._lock = asyncio.Lock()
        self._assembler = ReplyAssembler()
        self._hangup = asyncio.Event()
        self._hangup_listeners: list[HangupListener] = []
        self._waiter: asyncio.Future[AgiReply | _Outcome] | None = None
        """The future of the command in flight, resolved by ``feed_line`` / ``feed_eof``."""
        self._limit: float | None = None
        self._deadline: float | None = None
        """Loop time by which the command in flight must have its reply (``None``: no limit)."""
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading: asyncio.Task[None] | None = None
        self._in_command = False
        self._eof = False
        self._closed = False
        self._broken: str | None = None

    @property
    def hung_up(self) -> bool:
        """True once a ``HANGUP`` line, a 511 reply or the end of the stream has been seen."""
        return self._hangup.is_set()

    @property
    def hangup_event(self) -> asyncio.Event:
        """Set when the hang-up is seen (even while the handler is idle)."""
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
        """True while replies and hang-ups can still arrive (the socket is read)."""
        if self._reader is None:
            return not self._eof and not self._closed
        return self._reading is not None and not self._reading.done()

    def start_reading(self) -> None:
        """Start the reader task over a ``StreamReader`` (idempotent; nothing to do when lines are
        pushed); call once the environment block is read."""
        if self._reader is not None and self._reading is None and self._broken is None:
            self._reading = asyncio.get_running_loop().create_task(
                self._read_loop(self._reader), name=f"agi-reader {self.label}"
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

    # -- commands ---------------------------------------------------------------------------

    async def command(
        self, verb: str, args: Iterable[str | int] = (), *, reply_timeout: float | None = None
    ) -> AgiReply:
        """Send one command and return its ``200`` reply; error replies raise their ``AgiError``.

        ``reply_timeout`` (seconds) overrides the connection's command timeout for this command;
        ``NO_TIMEOUT`` waits without limit.
        """
        text = format_command(verb, args)
        data = encode_line(text)
        limit = self._command_timeout if reply_timeout is None else reply_timeout
        if limit is not None and math.isinf(limit):
            limit = None
        if self._reader is not None and self._reading is None:
            self.start_reading()
        async with self._lock:
            self._in_command = True
            try:
                pending = self._send(verb, text, data, limit)  # refusals raise here, nothing sent
                try:
                    outcome = await pending
                except BaseException:  # cancelled (or failed) after the write: out of step
                    if self._broken is None:
                        self._broken = "interrupted in the middle of a command"
                    raise
                finally:
                    self._waiter = None
                    self._deadline = None
            finally:
                self._in_command = False
                if self._hangup_listeners and self._hangup.is_set():
                    self._notify_hangup()
        if type(outcome) is AgiReply:
            reply = outcome
        elif outcome is _EXPIRED:
            raise AgiTimeout(f"no reply within {limit} s", command=text)
        elif outcome is _CLOSED:
            raise AgiError(f"connection unusable: {self._broken}", command=text)
        else:
            raise AgiHangup("connection closed by Asterisk", command=text)
        if reply.code != 200:
            if reply.code == 511:
                self.mark_hung_up()
            reply.raise_for_error(text)
        return reply

    def _send(self, verb: str, text: str, data: bytes, limit: float | None) -> Awaitable[AgiReply | _Outcome]:
        """Write the command; returns what to await for its reply (or how the wait ended): the
        reply's future itself, or a coroutine that drains the socket first when it pushed back."""
        if self._broken is not None:
            if self._eof:
                raise AgiHangup(f"connection closed ({self._broken})", command=text)
            raise AgiError(f"connection unusable: {self._broken}", command=text)
        if self._hangup.is_set() and verb.strip().upper() not in DEAD_CHANNEL_COMMANDS:
            raise AgiHangup("caller hung up", command=text)
        loop = self._loop
        if loop is None:  # looked up once: on Python 3.11 every get_running_loop() is a getpid()
            loop = self._loop = asyncio.get_running_loop()
        waiter: asyncio.Future[AgiReply | _Outcome] = loop.create_future()
        self._waiter = waiter
        self._arm(loop, limit)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s >> %s", self.label, text)
        transport = self._writer.transport  # the writer's own write() only forwards to it
        transport.write(data)
        if transport.get_write_buffer_size():  # the socket did not take it all at once
            return self._drain_then_wait(waiter, text, limit)
        return waiter

    async def _drain_then_wait(
        self, waiter: asyncio.Future[AgiReply | _Outcome], text: str, limit: float | None
    ) -> AgiReply | _Outcome:
        try:
            async with asyncio.timeout_at(self._deadline):
                await self._writer.drain()
        except TimeoutError:
            self._broken = f"no reply within {limit} s"
            waiter.cancel()
            raise AgiTimeout(f"no reply within {limit} s", command=text) from None
        except (ConnectionError, OSError) as exc:
            self._note_eof(f"socket error: {exc}")
            waiter.cancel()
            raise AgiHangup(f"connection lost: {exc}", command=text) from None
        except BaseException:
            waiter.cancel()
            raise
        return await waiter

    def _arm(self, loop: asyncio.AbstractEventLoop, limit: float | None) -> None:
        """Give the command in flight its deadline; the timer moves only when it must be earlier."""
        self._limit = limit
        if limit is None:
            self._deadline = None
            return
        deadline = loop.time() + limit
        self._deadline = deadline
        timer = self._timer
        if timer is not None:
            if timer.when() <= deadline:
                return  # fires earlier, sees the later deadline and moves itself there
            timer.cancel()
        self._timer = loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        timer, self._timer = self._timer, None
        waiter, deadline = self._waiter, self._deadline
        if timer is None or waiter is None or waiter.done() or deadline is None:
            return
        if deadline > timer.when():
            loop = self._loop or asyncio.get_running_loop()
            self._timer = loop.call_at(deadline, self._on_timer)
            return
        self._broken = f"no reply within {self._limit} s"
        waiter.set_result(_EXPIRED)

    # -- lines in ---------------------------------------------------------------------------

    def feed_line(self, raw: bytes) -> None:
        """One line read from the socket after the environment block (terminator included)."""
        line = raw.decode("utf-8", errors="replace")
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s << %s", self.label, line.rstrip("\n"))
        item = self._assembler.feed(line)
        if type(item) is AgiReply:
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(item)
            elif self._broken is None:
                logger.warning("%s: AGI reply with no command waiting skipped: %r", self.label, item.text)
            return
        if isinstance(item, HangupSignal):
            self.mark_hung_up()
        elif isinstance(item, MalformedLine):
            logger.warning("%s: malformed AGI line skipped (%s): %r", self.label, item.reason, item.line)

    def feed_eof(self, reason: str = "end of stream") -> None:
        """The socket reached its end (or failed): the caller is gone, a command in flight ends.
        Nothing happens once ``close()`` ran (the end is then ours, not the caller's hang-up)."""
        if self._closed:
            return
        self._note_eof(reason)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(_ENDED)

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        """Read a ``StreamReader`` for the whole session into ``feed_line`` / ``feed_eof``."""
        reason = "end of stream"
        try:
            while True:
                try:
                    raw = await reader.readline()
                except ValueError as exc:
                    logger.warning("%s: AGI reply line over the reader limit skipped: %s", self.label, exc)
                    continue
                if not raw:
                    break
                self.feed_line(raw)
        except (ConnectionError, OSError) as exc:
            reason = f"socket error: {exc}"
        self.feed_eof(reason)

    def _note_eof(self, reason: str) -> None:
        self._eof = True
        if self._broken is None:
            self._broken = reason
        self.mark_hung_up()

    async def close(self, wait: float = 2.0) -> None:
        """Close the socket (idempotent); waits at most ``wait`` seconds for it to close."""
        self._closed = True
        if self._broken is None:
            self._broken = "closed"
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(_CLOSED)
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
