"""The thin asyncio protocol around ``FrameParser``: bytes in, messages out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import cast

from .message import Message
from .parser import MAX_FRAME, MAX_LINE, FrameParser

log = logging.getLogger(__name__)

RawListener = Callable[[bytes], None]


class AmiProtocol(asyncio.Protocol):
    """Feeds received bytes to a ``FrameParser`` and hands each message to ``on_message``.

    ``lost`` resolves (with ``None`` or the transport error) when the connection ends.
    """

    def __init__(
        self,
        on_message: Callable[[Message], None],
        *,
        raw_listener: RawListener | None = None,
        max_line: int = MAX_LINE,
        max_frame: int = MAX_FRAME,
    ) -> None:
        self.parser = FrameParser(max_line=max_line, max_frame=max_frame)
        self.transport: asyncio.Transport | None = None
        self.lost: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()
        self._on_message = on_message
        self._raw_listener = raw_listener

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transports do not derive from asyncio.Transport, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._raw_listener is not None:
            self._raw_listener(data)
        on_message = self._on_message
        for message in self.parser.feed(data):
            on_message(message)

    def eof_received(self) -> bool | None:
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.parser.pending:
            log.warning("AMI: link closed with %d bytes of an unfinished message", self.parser.pending)
        if not self.lost.done():
            self.lost.set_result(exc)

    @property
    def banner(self) -> str | None:
        return self.parser.banner

    def write(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionError("AMI transport is closed")
        self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
