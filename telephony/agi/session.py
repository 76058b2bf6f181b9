"""``AgiSession``: typed helpers for the AGI commands an IVR uses, over one ``AgiConnection``.

A result of ``-1`` from a media command (ANSWER, STREAM FILE, GET DATA, WAIT FOR DIGIT, SAY ...)
means the caller hung up or the command failed. The session tells the two apart without guessing
from timing: if no ``HANGUP`` line has arrived it asks ``CHANNEL STATUS``, which Asterisk refuses
with 511 on a dead channel. Hang-up raises ``AgiHangup``; a live channel raises ``AgiCommandFailed``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from telephony.agi.connection import NO_TIMEOUT, AgiConnection
from telephony.agi.environment import AgiEnvironment
from telephony.agi.errors import AgiCommandFailed, AgiHangup
from telephony.agi.hangup import HangupWatch
from telephony.agi.replies import AgiReply
from telephony.agi.results import GetDataResult, RecordResult, StreamResult, digit_from_code

APP_NOT_FOUND = -2
DEFAULT_DIGIT_ALLOWANCE = 32
"""Digits assumed when sizing a GET DATA timeout without ``max_digits``."""


class AgiSession:
    """One call's FastAGI session (implements ``AgiSessionProtocol``)."""

    def __init__(self, connection: AgiConnection, env: AgiEnvironment) -> None:
        self._conn = connection
        self._env = env

    @property
    def env(self) -> AgiEnvironment:
        return self._env

    @property
    def hung_up(self) -> bool:
        return self._conn.hung_up

    @property
    def connection(self) -> AgiConnection:
        return self._conn

    # -- learning of the hang-up while idle -------------------------------------------------

    @property
    def hangup_event(self) -> asyncio.Event:
        """Set as soon as the caller hangs up, even while the handler sends no command."""
        return self._conn.hangup_event

    async def wait_for_hangup(self) -> None:
        """Return once the caller has hung up (at once if already known)."""
        await self._conn.wait_for_hangup()

    def watch_hangup(self) -> HangupWatch:
        """``async with session.watch_hangup(): ...`` cancels the block when the caller hangs up
        and raises ``AgiHangup`` from it (see ``telephony.agi.hangup``)."""
        return HangupWatch(self._conn)

    def __repr__(self) -> str:
        return f"<AgiSession {self._env.channel or '?'} script={self._env.script!r} hung_up={self.hung_up}>"

    def command(
        self, verb: str, *args: str | int, reply_timeout: float | None = None
    ) -> Coroutine[Any, Any, AgiReply]:
        """Any AGI command; returns the ``200`` reply, raises ``AgiError`` subclasses otherwise.

        ``await session.command(...)`` as any coroutine: it is the connection's own, not wrapped in
        one more (a coroutine layer less to create and to resume at every reply)."""
        return self._conn.command(verb, args, reply_timeout=reply_timeout)

    # -- media commands ---------------------------------------------------------------------

    async def answer(self) -> None:
        reply = await self._conn.command("ANSWER")
        if reply.result_int < 0:
            await self._failed(reply, "ANSWER")

    async def stream_file(self, name: str, escape_digits: str = "", *, offset: int = 0) -> StreamResult:
        """Play a sound file; returns the escape digit pressed (if any) and the end offset."""
        args: list[str | int] = [name, escape_digits]
        if offset:
            args.append(offset)
        reply = await self._conn.command("STREAM FILE", args)
        code = reply.result_int
        if code < 0:
            await self._failed(reply, "STREAM FILE")
        return StreamResult(digit=digit_from_code(code), endpos=reply.endpos or 0)

    async def get_data(
        self, prompt: str, timeout_ms: int = 5000, max_digits: int | None = None
    ) -> GetDataResult:
        """Play ``prompt`` and collect digits until ``#``, ``max_digits`` or ``timeout_ms`` of silence."""
        args: list[str | int] = [prompt, timeout_ms]
        if max_digits is not None:
            args.append(max_digits)
        digits_allowed = max_digits if max_digits else DEFAULT_DIGIT_ALLOWANCE
        reply = await self._conn.command(
            "GET DATA", args, reply_timeout=self._extend(max(timeout_ms, 0) * (digits_allowed + 1))
        )
        if reply.result == "-1":
            await self._failed(reply, "GET DATA")
        return GetDataResult(digits=reply.result, timed_out=reply.timed_out)

    async def wait_for_digit(self, timeout_ms: int = -1) -> str | None:
        """One digit, or ``None`` when ``timeout_ms`` passes (``-1`` waits without limit)."""
        timeout = NO_TIMEOUT if timeout_ms < 0 else self._extend(timeout_ms)
        reply = await self._conn.command("WAIT FOR DIGIT", [timeout_ms], reply_timeout=timeout)
        code = reply.result_int
        if code < 0:
            await self._failed(reply, "WAIT FOR DIGIT")
        return digit_from_code(code)

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        reply = await self._conn.command("SAY DIGITS", [digits, escape_digits])
        return await self._digit_or_failure(reply, "SAY DIGITS")

    async def say_number(self, number: int, escape_digits: str = "", gender: str | None = None) -> str | None:
        args: list[str | int] = [number, escape_digits]
        if gender:
            args.append(gender)
        reply = await self._conn.command("SAY NUMBER", args)
        return await self._digit_or_failure(reply, "SAY NUMBER")

    async def record_file(
        self,
        name: str,
        fmt: str = "wav",
        escape_digits: str = "#",
        timeout_ms: int = -1,
        *,
        beep: bool = True,
        silence_seconds: int | None = None,
    ) -> RecordResult:
        """Record to ``name.fmt``; a hang-up ends the recording normally (reason ``hangup``)."""
        args: list[str | int] = [name, fmt, escape_digits, timeout_ms]
        if beep:
            args.append("BEEP")
        if silence_seconds:
            args.append(f"s={silence_seconds}")
        timeout = NO_TIMEOUT if timeout_ms < 0 else self._extend(timeout_ms)
        reply = await self._conn.command("RECORD FILE", args, reply_timeout=timeout)
        code = reply.result_int
        reason = reply.data or ""
        if reason == "hangup":
            self._conn.mark_hung_up()
        elif code < 0:
            await self._failed(reply, "RECORD FILE")
        digit = digit_from_code(code) if reason == "dtmf" else None
        return RecordResult(reason=reason, digit=digit, endpos=reply.endpos)

    async def set_music(self, on: bool, music_class: str | None = None) -> None:
        args: list[str | int] = ["on" if on else "off"]
        if music_class:
            args.append(music_class)
        await self._conn.command("SET MUSIC", args)

    # -- commands that also work after a hang-up --------------------------------------------

    async def set_variable(self, name: str, value: str) -> None:
        await self._conn.command("SET VARIABLE", [name, value])

    async def get_variable(self, name: str) -> str | None:
        """The variable's value, ``None`` when it is not set."""
        reply = await self._conn.command("GET VARIABLE", [name])
        return reply.data if reply.result == "1" else None

    async def get_full_variable(self, expression: str, channel: str | None = None) -> str | None:
        """Evaluate an expression such as ``${CALLERID(name)}``; ``None`` when Asterisk reports none."""
        args: list[str | int] = [expression]
        if channel:
            args.append(channel)
        reply = await self._conn.command("GET FULL VARIABLE", args)
        return reply.data if reply.result == "1" else None

    async def exec_(self, application: str, *args: str, reply_timeout: float | None = None) -> int:
        """Run a dialplan application; its arguments are joined with commas.

        Returns the application's result (``-1`` usually means it hung up the channel). No
        timeout by default: applications such as Queue or Dial legitimately run for long.
        ``AgiCommandFailed`` when Asterisk has no such application.
        """
        command_args: list[str | int] = [application]
        if args:
            command_args.append(",".join(args))
        limit = NO_TIMEOUT if reply_timeout is None else reply_timeout
        reply = await self._conn.command("EXEC", command_args, reply_timeout=limit)
        code = reply.result_int
        if code == APP_NOT_FOUND:
            raise AgiCommandFailed(f"no such application: {application}", command="EXEC", reply=reply)
        return code

    async def verbose(self, message: str, level: int = 1) -> None:
        await self._conn.command("VERBOSE", [message, level])

    async def hangup(self) -> None:
        """Hang up the channel; does nothing if the caller already did. Never raises ``AgiHangup``."""
        if self.hung_up:
            return
        try:
            await self._conn.command("HANGUP")
        except AgiHangup:
            pass
        self._conn.mark_hung_up()

    # -- helpers ----------------------------------------------------------------------------

    def _extend(self, milliseconds: int) -> float | None:
        """The command timeout plus the time Asterisk itself may legitimately wait."""
        base = self._conn.command_timeout
        if base is None:
            return None
        return base + milliseconds / 1000

    async def _digit_or_failure(self, reply: AgiReply, command: str) -> str | None:
        code = reply.result_int
        if code < 0:
            await self._failed(reply, command)
        return digit_from_code(code)

    async def _failed(self, reply: AgiReply, command: str) -> None:
        """Raise ``AgiHangup`` if the channel is gone, ``AgiCommandFailed`` if it is still up."""
        if not self._conn.hung_up:
            try:
                status = await self._conn.command("CHANNEL STATUS")
            except AgiHangup:
                pass
            else:
                if status.result_int >= 0 and not self._conn.hung_up:
                    raise AgiCommandFailed(
                        f"{command} failed on a live channel: {reply.text}", command=command, reply=reply
                    )
                self._conn.mark_hung_up()
        raise AgiHangup("caller hung up", command=command, reply=reply)
