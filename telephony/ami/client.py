"""The asyncio AMI client: login, actions correlated by ActionID, events, keepalive, reconnect.

One background task owns the link: it connects, logs in, tells ``on_connect`` listeners (so state
can be resynced), pings every ``keepalive_interval`` and, when the link drops or a ping goes
unanswered, fails every pending action with ``ConnectionLost`` and reconnects with exponential
backoff between ``reconnect_min_delay`` and ``reconnect_max_delay``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any, Literal

from config.settings import AmiSettings

from .actions import HeaderValue, format_action, md5_key
from .dispatch import EventDispatcher, EventHandler, Subscription
from .errors import (
    ActionFailed,
    ActionTimeout,
    AmiConnectionError,
    AuthenticationFailed,
    ConnectionLost,
    NotConnected,
)
from .message import BANNER, EVENT, RESPONSE, Message
from .parser import MAX_FRAME, MAX_LINE
from .protocol import AmiProtocol, RawListener
from .result import ActionResult

log = logging.getLogger(__name__)

_sleep = asyncio.sleep  # the backoff wait; tests substitute a recorder

ConnectListener = Callable[[], object]
"""Sync or async; an awaitable result is awaited."""
DisconnectListener = Callable[[Exception | None], None]
_LIST_ENDS = frozenset({"Complete", "Cancelled"})


@dataclass(slots=True, eq=False)
class _Pending:
    action: str
    action_id: str
    timeout: float
    future: asyncio.Future[ActionResult]
    timer: asyncio.TimerHandle | None = None
    response: Message | None = None
    events: list[Message] = field(default_factory=list)


class AmiClient:
    """An AMI connection that stays up.

    >>> client = AmiClient(settings.ami)           # doctest: +SKIP
    >>> client.subscribe("Hangup", on_hangup)      # doctest: +SKIP
    >>> await client.connect()                     # doctest: +SKIP
    >>> (await client.command("core show version"))  # doctest: +SKIP
    """

    def __init__(
        self,
        settings: AmiSettings | None = None,
        *,
        auth: Literal["plain", "md5"] = "plain",
        events: str = "on",
        max_line: int = MAX_LINE,
        max_frame: int = MAX_FRAME,
        **overrides: Any,
    ) -> None:
        if settings is None:
            from config.settings import get_settings

            settings = get_settings().ami
        self.settings = settings.model_copy(update=overrides) if overrides else settings
        self.auth = auth
        self.events = events
        self._max_line = max_line
        self._max_frame = max_frame
        self._dispatcher = EventDispatcher()
        self._pending: dict[str, _Pending] = {}
        self._lists = 0  # pending list actions waiting for their items
        self._ids = itertools.count(1)
        self._id_prefix = secrets.token_hex(4)
        self._protocol: AmiProtocol | None = None
        self._logged_in = False
        self._ready = asyncio.Event()
        self._closing = False
        self._runner: asyncio.Task[None] | None = None
        self._first_attempt: asyncio.Future[None] | None = None
        self._connect_listeners: list[ConnectListener] = []
        self._disconnect_listeners: list[DisconnectListener] = []
        self._raw_listeners: list[RawListener] = []
        self.generation = 0
        """How many times the client has logged in (1 after the first connection)."""
        self.banner: str | None = None

    # -- subscriptions and listeners -------------------------------------------------------

    def subscribe(self, pattern: str, handler: EventHandler) -> Subscription:
        """Receive events named ``pattern`` (exact, or fnmatch such as ``Queue*`` or ``*``)."""
        return self._dispatcher.subscribe(pattern, handler)

    def on_connect(self, listener: ConnectListener) -> None:
        """Called (and awaited when async) after every successful login, first one included."""
        self._connect_listeners.append(listener)

    def on_disconnect(self, listener: DisconnectListener) -> None:
        """Called when an established link drops, with the cause (``None`` for a clean close)."""
        self._disconnect_listeners.append(listener)

    def add_raw_listener(self, listener: RawListener) -> None:
        """Receive every chunk of bytes exactly as read from the socket (for recording)."""
        self._raw_listeners.append(listener)

    @property
    def connected(self) -> bool:
        return self._logged_in

    async def wait_connected(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait until logged in; raises ``TimeoutError`` after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            await self._ready.wait()

    # -- life cycle ------------------------------------------------------------------------

    async def connect(self) -> None:
        """Start the link and wait for the first login; raise if that first attempt fails.

        After it succeeded, drops are repaired in the background.
        """
        if self._runner is not None:
            await self.wait_connected(self.settings.connect_timeout + self.settings.action_timeout)
            return
        first = asyncio.get_running_loop().create_future()
        self._first_attempt = first
        self.start()
        try:
            await asyncio.shield(first)
        except BaseException:
            await self.close()
            raise

    def start(self) -> None:
        """Start the link in the background, retrying until ``close()``; never raises."""
        if self._runner is not None:
            return
        self._closing = False
        self._runner = asyncio.get_running_loop().create_task(self._run(), name="ami-client")

    async def close(self) -> None:
        """Log off (best effort), close the link, fail pending actions, stop reconnecting."""
        self._closing = True
        if self._logged_in:
            try:
                await self.send_action("Logoff", timeout=min(1.0, self.settings.action_timeout))
            except Exception as exc:
                log.debug("AMI: logoff failed: %s", exc)
        if self._protocol is not None:
            self._protocol.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            try:
                await runner
            except (asyncio.CancelledError, Exception):
                pass
        self._fail_pending(ConnectionLost("AMI client closed"))
        await self._dispatcher.drain()

    async def __aenter__(self) -> AmiClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- actions ---------------------------------------------------------------------------

    async def send_action(
        self,
        action: str,
        headers: Mapping[str, HeaderValue] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        check: bool = False,
        **kwargs: HeaderValue,
    ) -> ActionResult:
        """Send ``action`` and wait for its reply (and its list items for list actions).

        Headers come from ``headers`` and keyword arguments; a list value repeats the header.
        Raises ``NotConnected``, ``ActionTimeout``, ``ConnectionLost``; with ``check=True`` also
        ``ActionFailed`` on ``Response: Error``.
        """
        if not self._logged_in or self._protocol is None:
            raise NotConnected(f"AMI not connected; cannot send {action}")
        return await self._send(self._protocol, action, {**(headers or {}), **kwargs}, timeout, check)

    async def command(self, command: str, *, timeout: float | None = None) -> list[str]:  # noqa: ASYNC109
        """Run a CLI command; its output lines (``Output:`` headers or a ``Follows`` body)."""
        result = await self.send_action("Command", {"Command": command}, timeout=timeout, check=True)
        return result.output

    async def ping(self, *, timeout: float | None = None) -> ActionResult:  # noqa: ASYNC109
        return await self.send_action("Ping", timeout=timeout, check=True)

    async def _send(
        self,
        protocol: AmiProtocol,
        action: str,
        headers: Mapping[str, HeaderValue],
        timeout: float | None,  # noqa: ASYNC109
        check: bool,
    ) -> ActionResult:
        action_id = f"{self._id_prefix}-{next(self._ids)}"
        data = format_action(action, headers, action_id)
        loop = asyncio.get_running_loop()
        limit = self.settings.action_timeout if timeout is None else timeout
        pending = _Pending(action, action_id, limit, loop.create_future())
        try:
            protocol.write(data)
        except ConnectionError as exc:
            raise ConnectionLost(f"AMI link closed while sending {action}") from exc
        self._pending[action_id] = pending
        pending.timer = loop.call_later(limit, self._expire, action_id)
        try:
            result = await pending.future
        finally:
            self._forget(action_id)
        if check and not result.success:
            raise ActionFailed(action, result)
        return result

    def _expire(self, action_id: str) -> None:
        pending = self._forget(action_id)
        if pending is not None and not pending.future.done():
            pending.future.set_exception(ActionTimeout(pending.action, action_id, pending.timeout))

    def _forget(self, action_id: str) -> _Pending | None:
        pending = self._pending.pop(action_id, None)
        if pending is not None:
            if pending.timer is not None:
                pending.timer.cancel()
            if pending.response is not None:
                self._lists -= 1
        return pending

    def _finish(self, pending: _Pending, result: ActionResult) -> None:
        self._forget(pending.action_id)
        if not pending.future.done():
            pending.future.set_result(result)

    def _fail_pending(self, error: Exception) -> None:
        for action_id in list(self._pending):
            pending = self._forget(action_id)
            if pending is not None and not pending.future.done():
                pending.future.set_exception(error)

    # -- incoming messages -----------------------------------------------------------------

    def _on_message(self, msg: Message) -> None:
        kind = msg.kind
        if kind == EVENT:
            if self._lists:
                action_id = msg.get("ActionID")
                if action_id is not None:
                    pending = self._pending.get(action_id)
                    if pending is not None and pending.response is not None:
                        self._list_item(pending, msg)
                        return
            self._dispatcher.dispatch(msg)
        elif kind == RESPONSE:
            self._response(msg)
        elif kind == BANNER:
            self.banner = msg["Banner"]
            log.info("AMI: connected to %s", self.banner)

    def _response(self, msg: Message) -> None:
        action_id = msg.get("ActionID")
        pending = self._pending.get(action_id) if action_id is not None else None
        if pending is None:
            log.debug("AMI: response for no pending action: %r", msg)
            return
        if msg.get("Response") == "Success" and (
            msg.get("EventList", "").lower() == "start" or msg.get("Message", "").endswith("will follow")
        ):
            pending.response = msg
            self._lists += 1
            return
        self._finish(pending, ActionResult(pending.action, msg))

    def _list_item(self, pending: _Pending, msg: Message) -> None:
        if msg.get("EventList") in _LIST_ENDS or msg.get("Event", "").endswith("Complete"):
            assert pending.response is not None
            self._finish(pending, ActionResult(pending.action, pending.response, tuple(pending.events), msg))
        else:
            pending.events.append(msg)

    # -- the link --------------------------------------------------------------------------

    async def _run(self) -> None:
        delay = self.settings.reconnect_min_delay
        while not self._closing:
            established = False
            error: Exception | None = None
            try:
                protocol = await self._open()
                established = True
                delay = self.settings.reconnect_min_delay
                await self._serve(protocol)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = exc
            finally:
                self._logged_in = False
                self._ready.clear()
                self._fail_pending(ConnectionLost("AMI link lost"))
                if self._protocol is not None:
                    self._protocol.abort()
                    self._protocol = None
            first = self._first_attempt
            if first is not None and not first.done():
                first.set_exception(error or AmiConnectionError("AMI link closed during login"))
                return
            if self._closing:
                return
            if established:
                self._notify_disconnect(error)
            log.warning(
                "AMI: link to %s:%s %s (%s); reconnecting in %.1fs",
                self.settings.host,
                self.settings.port,
                "lost" if established else "failed",
                error or "closed by peer",
                delay,
            )
            await _sleep(delay)
            delay = min(delay * 2, self.settings.reconnect_max_delay)

    async def _open(self) -> AmiProtocol:
        loop = asyncio.get_running_loop()
        s = self.settings

        def factory() -> AmiProtocol:
            return AmiProtocol(
                self._on_message,
                raw_listener=self._on_raw if self._raw_listeners else None,
                max_line=self._max_line,
                max_frame=self._max_frame,
            )

        try:
            async with asyncio.timeout(s.connect_timeout):
                _, protocol = await loop.create_connection(factory, s.host, s.port)
        except TimeoutError as exc:
            raise AmiConnectionError(f"AMI connect to {s.host}:{s.port} timed out") from exc
        except OSError as exc:
            raise AmiConnectionError(f"AMI connect to {s.host}:{s.port} failed: {exc}") from exc
        self._protocol = protocol
        # A drop fails what waits for a reply at once (the login too), not after its timeout.
        protocol.lost.add_done_callback(lambda _: self._fail_pending(ConnectionLost("AMI link lost")))
        await self._login(protocol)
        return protocol

    async def _login(self, protocol: AmiProtocol) -> None:
        s = self.settings
        headers: dict[str, HeaderValue] = {"Username": s.username, "Events": self.events}
        if self.auth == "md5":
            challenge = await self._send(protocol, "Challenge", {"AuthType": "MD5"}, None, False)
            if not challenge.success:
                raise AuthenticationFailed(f"MD5 challenge refused: {challenge.message}")
            headers.update(AuthType="MD5", Key=md5_key(challenge.response.get("Challenge", ""), s.secret))
        else:
            headers["Secret"] = s.secret
        result = await self._send(protocol, "Login", headers, None, False)
        if not result.success:
            raise AuthenticationFailed(f"AMI login as {s.username!r} refused: {result.message}")

    async def _serve(self, protocol: AmiProtocol) -> None:
        self._logged_in = True
        self._ready.set()
        self.generation += 1
        first = self._first_attempt
        if first is not None and not first.done():
            first.set_result(None)
        log.info("AMI: logged in to %s:%s", self.settings.host, self.settings.port)
        keepalive = asyncio.get_running_loop().create_task(self._keepalive(protocol))
        try:
            for listener in list(self._connect_listeners):
                try:
                    outcome = listener()
                    if outcome is not None and isawaitable(outcome):
                        await outcome
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("AMI: connect listener %r failed", listener)
            error = await protocol.lost
            if error is not None:
                raise ConnectionLost(f"AMI link lost: {error}") from error
            raise ConnectionLost("AMI link closed by peer")
        finally:
            keepalive.cancel()

    async def _keepalive(self, protocol: AmiProtocol) -> None:
        interval = self.settings.keepalive_interval
        while True:
            await asyncio.sleep(interval)
            try:
                await self._send(protocol, "Ping", {}, min(self.settings.action_timeout, interval), False)
            except ActionTimeout:
                log.warning("AMI: no reply to keepalive ping; dropping the link")
                protocol.abort()
                return
            except ConnectionLost:
                return

    def _notify_disconnect(self, error: Exception | None) -> None:
        for listener in list(self._disconnect_listeners):
            try:
                listener(error)
            except Exception:
                log.exception("AMI: disconnect listener %r failed", listener)

    def _on_raw(self, data: bytes) -> None:
        for listener in self._raw_listeners:
            try:
                listener(data)
            except Exception:  # raised inside data_received, it would close the link
                log.exception("AMI: raw listener %r failed", listener)

    # -- for tests and tools ---------------------------------------------------------------

    def feed_message(self, msg: Message) -> None:
        """Process one message as if it had been received (replay tools and tests)."""
        self._on_message(msg)

    def make_protocol(self, raw_listener: RawListener | None = None) -> AmiProtocol:
        """A protocol delivering into this client, for replaying recorded bytes without a socket."""
        return AmiProtocol(
            self._on_message, raw_listener=raw_listener, max_line=self._max_line, max_frame=self._max_frame
        )
