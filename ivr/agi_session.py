"""``AgiCallSession``: the IVR's ``CallSession`` over one FastAGI session (telephony.agi).

Speech becomes STREAM FILE / GET DATA of prompt files (text synthesized and cached through the
``PromptStore``); a message is recorded with RECORD FILE into a folder Asterisk writes and the
platform reads (``RecordingPlace``: the same folder seen from both sides, since the bundled
Asterisk runs chrooted). Every form of the caller's hang-up (``AgiHangup``) becomes
``CallerHungUp``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ivr.prompts import PromptStore
from ivr.session import CallerHungUp, Digits, Recording, Speech
from telephony.agi import AgiHangup, AgiSessionProtocol

ALL_DIGITS = "0123456789*#"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
WAV_HEADER_BYTES = 44


@dataclass(frozen=True)
class RecordingPlace:
    host_dir: Path
    """Where the platform finds recordings."""
    asterisk_dir: PurePosixPath
    """The same folder as Asterisk names it."""


@asynccontextmanager
async def _hangups() -> AsyncIterator[None]:
    try:
        yield
    except AgiHangup as exc:
        raise CallerHungUp(str(exc)) from exc


class AgiCallSession:
    def __init__(
        self,
        agi: AgiSessionProtocol,
        prompts: PromptStore,
        recordings: RecordingPlace,
        *,
        dialed_number: str | None = None,
    ) -> None:
        self.agi = agi
        self.prompts = prompts
        self.recordings = recordings
        env = agi.env
        number = env.callerid or ""
        self._caller = "" if number.lower() in ("unknown", "anonymous") else number
        self._did = dialed_number or env.query.get("did") or env.dnid or env.extension or ""
        # The call's id is its Linkedid (what the call tracker and the record name it), passed by the
        # dialplan as ?call=${CHANNEL(linkedid)}; the channel's own Uniqueid when absent.
        self._call_id = env.query.get("call") or env.uniqueid or env.channel

    @property
    def caller_number(self) -> str:
        return self._caller

    @property
    def dialed_number(self) -> str:
        return self._did

    @property
    def call_id(self) -> str:
        return self._call_id

    async def play(self, speech: Speech, *, interrupt: str = "") -> str | None:
        async with _hangups():
            for name in await self.prompts.playable(speech):
                result = await self.agi.stream_file(name, interrupt)
                if result.digit:
                    return result.digit
        return None

    async def get_digits(
        self, speech: Speech, *, timeout_ms: int, max_digits: int, terminator: str = "#"
    ) -> Digits:
        async with _hangups():
            names = await self.prompts.playable(speech)
            for name in names[:-1]:  # all but the last part: a key press stops the prompt
                result = await self.agi.stream_file(name, ALL_DIGITS)
                if result.digit:
                    return await self._rest(result.digit, timeout_ms, max_digits, terminator)
            got = await self.agi.get_data(names[-1] if names else "", timeout_ms, max_digits)
            return Digits(got.digits, got.timed_out)

    async def _rest(self, first: str, timeout_ms: int, max_digits: int, terminator: str) -> Digits:
        if first == terminator:
            return Digits("", False)
        if max_digits <= 1:
            return Digits(first, False)
        got = await self.agi.get_data("", timeout_ms, max_digits - 1)
        return Digits(first + got.digits, got.timed_out)

    async def record(self, name: str, *, max_seconds: int, silence_seconds: int) -> Recording | None:
        safe = _SAFE_NAME.sub("_", name) or "message"
        self.recordings.host_dir.mkdir(parents=True, exist_ok=True)
        inside = self.recordings.asterisk_dir / safe
        async with _hangups():
            result = await self.agi.record_file(
                str(inside), "wav", "#", max_seconds * 1000, beep=True, silence_seconds=silence_seconds
            )
        host = self.recordings.host_dir / f"{safe}.wav"
        size = await asyncio.to_thread(lambda: host.stat().st_size if host.exists() else 0)
        if size <= WAV_HEADER_BYTES:
            return None
        seconds = (result.endpos or (size - WAV_HEADER_BYTES) // 2) / 8000
        return Recording(str(host), round(seconds, 2))

    async def set_variable(self, name: str, value: str) -> None:
        await self.agi.set_variable(name, value)

    async def hangup(self) -> None:
        await self.agi.hangup()
