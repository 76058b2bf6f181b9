"""``AgiProtocol``: the asyncio protocol under each connection of ``FastAgiServer``.

``data_received`` splits the bytes into lines. The environment block's lines are collected until
its empty line (``await protocol.environment()``); every line after it goes straight to the
connection (``AgiConnection.feed_line``), which resolves the waiting command's future in the same
callback: no reader task and no queue between the socket and the command, and a ``HANGUP`` line
is still seen at once while the handler is idle. The protocol also stands in for the stream
writer the connection writes to (``write``, ``drain``, ``close``, ``wait_closed``).

A line longer than ``max_line_bytes`` is dropped up to its newline: in the environment block
that rejects the connection, after it the line is logged and skipped.

The protocol is an ``asyncio.BufferedProtocol``: the transport reads into a buffer the protocol
hands it (``get_buffer``), shared by every connection of a server (``ReadBuffer``; a read is
consumed in ``buffer_updated`` before the loop runs anything else). A plain protocol gets a fresh
``bytes`` of the transport's 256 KiB read size for every read, which the allocator maps, shrinks
and unmaps again: three system calls and a page fault per AGI reply.

uvloop reads into libuv's buffer and hands a plain protocol a ``bytes`` of the read's own size,
so there the buffered path only adds the two calls back into Python per read: 1.3-1.4 µs more CPU
per command (5-6 %, 200 sessions against a scripted Asterisk, four alternated runs).
``protocol_class(loop)`` gives uvloop ``AgiStreamProtocol``, the same protocol that uvloop hands
``data_received`` (it calls a protocol's ``get_buffer`` only when it is no ``asyncio.Protocol``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from telephony.agi.environment import AgiEnvironment, parse_environment
from telephony.agi.errors import AgiEnvironmentError, AgiError, AgiHangup

if TYPE_CHECKING:
    from telephony.agi.connection import AgiConnection

logger = logging.getLogger("telephony.agi")

MAX_HEADER_LINES = 512
READ_BUFFER_BYTES = 64 * 1024


class ReadBuffer:
    """The buffer the transports of one event loop read into (``AgiProtocol.get_buffer``).

    Safe to share between the connections of a loop: each read is handed to its protocol's
    ``buffer_updated`` right after the transport fills it, and nothing keeps a view of it."""

    def __init__(self, size: int = READ_BUFFER_BYTES) -> None:
        self.view = memoryview(bytearray(size))


class AgiProtocol(asyncio.BufferedProtocol):
    """One FastAGI socket: lines in, the environment block, then lines to ``connection``."""

    def __init__(
        self,
        on_connect: Callable[[AgiProtocol], None],
        *,
        max_line_bytes: int = 64 * 1024,
        max_header_bytes: int = 64 * 1024,
        max_header_lines: int = MAX_HEADER_LINES,
        read_buffer: ReadBuffer | None = None,
    ) -> None:
        """``read_buffer``: where the transport reads to (a server passes one for all its
        connections); a buffer of its own when omitted."""
        self._on_connect = on_connect
        self._read = (read_buffer or ReadBuffer(4096)).view
        self._max_line = max_line_bytes
        self._max_header_bytes = max_header_bytes
        self._max_header_lines = max_header_lines
        self._transport: asyncio.Transport | None = None
        self.connection: AgiConnection | None = None
        """Where the lines after the environment block go (set by ``on_connect``)."""
        self._buffer = b""
        self._skipping = False
        """True while dropping the rest of an over-long line."""
        self._header: list[str] | None = []
        """Environment lines so far; ``None`` once the block has ended (or failed)."""
        self._header_bytes = 0
        self._rejected = False
        """True once the environment block failed: nothing more is read."""
        self._environment: asyncio.Future[AgiEnvironment] | None = None
        self._paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._lost = False
        self._closed: asyncio.Future[None] | None = None

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports (serve runs on uvloop) are not asyncio.Transport subclasses: no isinstance
        self._transport = cast(asyncio.Transport, transport)
        loop = asyncio.get_running_loop()
        self._environment = loop.create_future()
        self._closed = loop.create_future()
        self._on_connect(self)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._read

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self._read[:nbytes].tobytes())

    def data_received(self, data: bytes) -> None:
        """Bytes read from the socket (``buffer_updated`` passes each read here)."""
        if self._rejected:
            return
        if self._buffer:
            data = self._buffer + data
            self._buffer = b""
        start = 0
        size = len(data)
        while start < size:
            end = data.find(b"\n", start)
            if end < 0:
                break
            line = data if start == 0 and end == size - 1 else data[start : end + 1]
            start = end + 1
            if self._skipping:
                self._skipping = False
            elif len(line) - 1 > self._max_line:
                self._over_long()
            else:
                self._line(line)
            if self._rejected:
                return
        if start < size:
            rest = data[start:]
            if len(rest) > self._max_line:
                if not self._skipping:
                    self._skipping = True
                    self._over_long()
                rest = b""
            self._buffer = rest

    def eof_received(self) -> bool | None:
        self._ended("end of stream")
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._ended("end of stream" if exc is None else f"socket error: {exc}")
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_exception(ConnectionResetError("Connection lost"))
        self._drain_waiters.clear()
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)
        # No line can come any more: the connection (which writes through this protocol) is let
        # go, so a finished session is freed by reference counting, not left as a cycle for the
        # garbage collector (21 objects per session: the collector's middle and full collections
        # walk them until one finds them unreachable).
        self.connection = None

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drain_waiters.clear()

    # -- lines ------------------------------------------------------------------------------

    def _line(self, raw: bytes) -> None:
        if self._header is None:
            connection = self.connection
            if connection is not None:
                connection.feed_line(raw)
            return
        self._header_bytes += len(raw)
        if self._header_bytes > self._max_header_bytes:
            self._fail_header(AgiEnvironmentError(f"environment block over {self._max_header_bytes} bytes"))
            return
        if len(self._header) >= self._max_header_lines:
            self._fail_header(AgiEnvironmentError(f"environment block over {self._max_header_lines} lines"))
            return
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line:
            self._header.append(line)
            return
        lines, self._header = self._header, None
        try:
            env = parse_environment(lines)
        except AgiEnvironmentError as exc:
            self._fail_header(exc)
            return
        if self._environment is not None and not self._environment.done():
            self._environment.set_result(env)

    def _over_long(self) -> None:
        if self._header is not None:
            self._fail_header(
                AgiEnvironmentError(f"environment line over the reader limit of {self._max_line} bytes")
            )
            return
        label = self.connection.label if self.connection is not None else ""
        logger.warning("%s: AGI reply line over the reader limit of %d bytes skipped", label, self._max_line)

    def _fail_header(self, error: AgiError) -> None:
        self._header = None
        self._rejected = True
        self._buffer = b""
        if self._environment is not None and not self._environment.done():
            self._environment.set_exception(error)

    def _ended(self, reason: str) -> None:
        if self._header is not None:
            self._fail_header(AgiHangup("connection closed before the end of the environment block"))
        if self.connection is not None:
            self.connection.feed_eof(reason)

    async def environment(self) -> AgiEnvironment:
        """The parsed ``agi_*`` block; ``AgiEnvironmentError`` when malformed or over the limits,
        ``AgiHangup`` when the peer closes the socket before it ends."""
        assert self._environment is not None, "not connected"
        return await asyncio.shield(self._environment)

    # -- the writer side the connection uses ------------------------------------------------

    @property
    def transport(self) -> asyncio.Transport:
        assert self._transport is not None, "not connected"
        return self._transport

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    async def drain(self) -> None:
        if self._lost:
            raise ConnectionResetError("Connection lost")
        if not self._paused:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._drain_waiters.append(waiter)
        await waiter

    def is_closing(self) -> bool:
        return self._transport is None or self._transport.is_closing()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    async def wait_closed(self) -> None:
        if self._closed is not None:
            await asyncio.shield(self._closed)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if self._transport is None:
            return default
        return self._transport.get_extra_info(name, default)


class AgiStreamProtocol(AgiProtocol, asyncio.Protocol):
    """``AgiProtocol`` fed through ``data_received``: for uvloop, whose transports read into a
    buffer of their own and call ``get_buffer`` only on a protocol that is no ``asyncio.Protocol``
    (asyncio's selector loop still reads into the shared buffer: it checks for BufferedProtocol)."""


def protocol_class(loop: asyncio.AbstractEventLoop) -> type[AgiProtocol]:
    """The protocol that reads most cheaply on ``loop``: ``AgiStreamProtocol`` on uvloop."""
    return AgiStreamProtocol if type(loop).__module__.partition(".")[0] == "uvloop" else AgiProtocol
