"""``FastAgiServer``: an asyncio FastAGI server routing each call by its AGI script name.

``AGI(agi://host:port/ivr?did=100)`` in the dialplan reaches the handler registered for ``ivr``;
scripts without a route go to the default handler (by default: ask the dialplan to fall back).
Each connection is an ``AgiProtocol`` (replies reach the waiting command straight from the
socket's data callback) and runs its handler in its own task; whatever ends it (handler return
or exception, hang-up, timeout, malformed environment, server shutdown) the socket is closed,
the task finishes and ``live_sessions`` goes back down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from telephony.agi.connection import AgiConnection
from telephony.agi.errors import AgiEnvironmentError, AgiError, AgiHangup, AgiTimeout
from telephony.agi.handlers import AgiHandler, fallback_handler, request_fallback
from telephony.agi.protocol import AgiProtocol, ReadBuffer, protocol_class
from telephony.agi.session import AgiSession

if TYPE_CHECKING:
    from config.settings import AgiSettings

logger = logging.getLogger("telephony.agi")


@dataclass
class AgiServerStats:
    """Counters since start: sessions accepted and how they ended."""

    accepted: int = 0
    completed: int = 0
    hung_up: int = 0
    failed: int = 0
    rejected: int = 0
    """Connections closed before a handler ran (malformed or oversized environment, timeout)."""
    peak_live: int = 0
    """Most sessions live at the same time."""


class FastAgiServer:
    """FastAGI server; use ``async with FastAgiServer(...)`` or ``start()`` / ``close()``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4573,
        router: Mapping[str, AgiHandler] | None = None,
        *,
        default_handler: AgiHandler = fallback_handler,
        command_timeout: float | None = 60.0,
        header_timeout: float = 10.0,
        session_timeout: float | None = None,
        max_header_bytes: int = 64 * 1024,
        max_line_bytes: int = 64 * 1024,
        fallback_on_error: bool = True,
    ) -> None:
        """
        ``command_timeout``: seconds to wait for a command's reply (helpers add the time Asterisk
        itself waits, e.g. GET DATA's digit timeout). ``header_timeout``: seconds to receive the
        environment block. ``session_timeout``: optional cap on a handler's total run time.
        ``fallback_on_error``: when a handler fails on a live channel, set ``CC_FALLBACK=1`` so the
        dialplan can still route the caller.
        """
        self.host = host
        self.port = port
        self._routes: dict[str, AgiHandler] = {}
        for script, handler in (router or {}).items():
            self.add_route(script, handler)
        self._default_handler = default_handler
        self._command_timeout = command_timeout
        self._header_timeout = header_timeout
        self._session_timeout = session_timeout
        self._max_header_bytes = max_header_bytes
        self._max_line_bytes = max_line_bytes
        self._fallback_on_error = fallback_on_error
        self._server: asyncio.Server | None = None
        self._read_buffer = ReadBuffer()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._live = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.stats = AgiServerStats()

    @classmethod
    def from_settings(
        cls,
        settings: AgiSettings | None = None,
        router: Mapping[str, AgiHandler] | None = None,
        **options: Any,
    ) -> FastAgiServer:
        """Build from ``config.settings.AgiSettings`` (``get_settings().agi`` when omitted)."""
        if settings is None:
            from config.settings import get_settings

            settings = get_settings().agi
        return cls(settings.host, settings.port, router, **options)

    # -- routes -----------------------------------------------------------------------------

    @staticmethod
    def _normalize(script: str) -> str:
        return script.strip().strip("/")

    def add_route(self, script: str, handler: AgiHandler) -> None:
        """Route ``agi://host:port/<script>`` to ``handler``; one handler per script name."""
        key = self._normalize(script)
        if key in self._routes:
            raise ValueError(f"AGI route {key!r} already exists")
        self._routes[key] = handler

    def route(self, script: str) -> Callable[[AgiHandler], AgiHandler]:
        """Decorator form of ``add_route``."""

        def register(handler: AgiHandler) -> AgiHandler:
            self.add_route(script, handler)
            return handler

        return register

    @property
    def routes(self) -> Mapping[str, AgiHandler]:
        return dict(self._routes)

    def resolve(self, script: str) -> AgiHandler:
        """The handler for a script name, or the default handler."""
        return self._routes.get(self._normalize(script), self._default_handler)

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def live_sessions(self) -> int:
        """Connections whose task has not finished its cleanup yet."""
        return self._live

    @property
    def serving(self) -> bool:
        return self._server is not None and self._server.is_serving()

    @property
    def bound_port(self) -> int:
        """The port actually listened on (useful with ``port=0``)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("FastAGI server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Start listening (idempotent)."""
        if self._server is not None:
            return
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self.protocol, self.host, self.port, reuse_address=True)
        logger.info("FastAGI server listening on %s:%s", self.host, self.bound_port)

    async def serve_forever(self) -> None:
        """Serve until ``close()`` (then return normally) or until this task is cancelled."""
        await self.start()
        server = self._server
        assert server is not None
        try:
            await server.serve_forever()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._server is server or (task is not None and task.cancelling()):
                raise

    async def wait_idle(self) -> None:
        """Wait until no session is live (wrap in ``asyncio.timeout`` to bound the wait)."""
        await self._idle.wait()

    async def close(self, grace: float = 0.0, *, cleanup_wait: float = 5.0) -> None:
        """Stop listening, give live sessions ``grace`` seconds to finish, cancel the rest and
        wait up to ``cleanup_wait`` seconds for their cleanup."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        tasks = set(self._tasks)
        if tasks and grace > 0:
            await asyncio.wait(tasks, timeout=grace)
        for task in tasks:
            if not task.done():
                task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=cleanup_wait)
        if server is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(cleanup_wait):
                    await server.wait_closed()
        if self._live:
            logger.warning("FastAGI server closed with %d session(s) still cleaning up", self._live)
        else:
            logger.info("FastAGI server closed")

    async def __aenter__(self) -> FastAgiServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- one connection ---------------------------------------------------------------------

    def protocol(self) -> AgiProtocol:
        """The protocol for one connection (what ``start()`` listens with): a listener of its own
        can hand connections to this server with ``loop.create_server(server.protocol, ...)``;
        their sessions count, end and close with the server's. On uvloop the protocol takes its
        reads as ``bytes`` (``AgiStreamProtocol``, cheaper there), elsewhere into the server's
        shared buffer."""
        return protocol_class(asyncio.get_running_loop())(
            self._on_connection_made,
            max_line_bytes=self._max_line_bytes,
            max_header_bytes=self._max_header_bytes,
            read_buffer=self._read_buffer,
        )

    def _on_connection_made(self, protocol: AgiProtocol) -> None:
        peer = _peer(protocol)
        connection = AgiConnection(None, protocol, command_timeout=self._command_timeout, label=peer)
        protocol.connection = connection
        asyncio.get_running_loop().create_task(self._on_connection(protocol, connection, peer))

    async def _on_connection(self, protocol: AgiProtocol, connection: AgiConnection, peer: str) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._live += 1
        self._idle.clear()
        self.stats.accepted += 1
        self.stats.peak_live = max(self.stats.peak_live, self._live)
        try:
            await self._serve(connection, protocol, peer)
        finally:
            await connection.close()
            self._live -= 1
            if task is not None:
                self._tasks.discard(task)
            if self._live == 0:
                self._idle.set()

    async def _serve(self, connection: AgiConnection, protocol: AgiProtocol, peer: str) -> None:
        try:
            async with asyncio.timeout(self._header_timeout):
                env = await protocol.environment()
        except (AgiEnvironmentError, TimeoutError) as exc:
            self.stats.rejected += 1
            reason = exc if isinstance(exc, AgiError) else f"no environment within {self._header_timeout} s"
            logger.warning("FastAGI connection from %s rejected: %s", peer, reason)
            return
        except AgiHangup:
            self.stats.rejected += 1
            logger.info("FastAGI connection from %s closed before its environment ended", peer)
            return
        session = AgiSession(connection, env)
        label = f"{env.channel or peer} ({env.script or '-'})"
        connection.label = label
        handler = self.resolve(env.script)
        limit = asyncio.timeout(self._session_timeout)
        try:
            async with limit:
                await handler(session)
        except AgiHangup as exc:
            self.stats.hung_up += 1
            logger.info("AGI session %s ended by hang-up: %s", label, exc)
        except TimeoutError:
            self.stats.failed += 1
            if limit.expired():
                logger.warning("AGI session %s exceeded its %s s limit", label, self._session_timeout)
            else:
                logger.exception("AGI handler for %s failed", label)
                await self._fallback_after_error(session, label)
        except AgiTimeout as exc:
            self.stats.failed += 1
            logger.warning("AGI session %s: %s", label, exc)
        except asyncio.CancelledError:
            self.stats.failed += 1
            logger.info("AGI session %s cancelled (server shutting down)", label)
            raise
        except Exception:
            self.stats.failed += 1
            logger.exception("AGI handler for %s failed", label)
            await self._fallback_after_error(session, label)
        else:
            self.stats.completed += 1

    async def _fallback_after_error(self, session: AgiSession, label: str) -> None:
        if not self._fallback_on_error or session.hung_up or session.connection.broken is not None:
            return
        try:
            async with asyncio.timeout(self._command_timeout or 5.0):
                await request_fallback(session, "handler-error")
        except (AgiError, TimeoutError) as exc:
            logger.info("AGI session %s: fallback variables not set: %s", label, exc)


def _peer(protocol: AgiProtocol) -> str:
    address = protocol.get_extra_info("peername")
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)
