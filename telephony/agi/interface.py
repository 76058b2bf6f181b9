"""The call-session interface an IVR runs against: ``AgiSession`` implements it over FastAGI,
and unit tests of the IVR interpreter can implement it with a fake.

Every method raises ``AgiHangup`` once the caller has hung up (except ``hangup()``, ``verbose()``
and the variable helpers, which still work on a dead channel) and other ``AgiError`` subclasses
for protocol errors.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

from telephony.agi.environment import AgiEnvironment
from telephony.agi.replies import AgiReply
from telephony.agi.results import GetDataResult, RecordResult, StreamResult


@runtime_checkable
class AgiSessionProtocol(Protocol):
    """What an IVR needs from one call's AGI session."""

    @property
    def env(self) -> AgiEnvironment:
        """The ``agi_*`` headers of the call: channel, uniqueid, callerid, args, script, query ..."""
        ...

    @property
    def hung_up(self) -> bool:
        """True once the caller's hang-up has been seen."""
        ...

    @property
    def hangup_event(self) -> asyncio.Event:
        """Set as soon as the caller hangs up, even while no command is sent."""
        ...

    async def wait_for_hangup(self) -> None:
        """Return once the caller has hung up."""
        ...

    def watch_hangup(self) -> AbstractAsyncContextManager[object]:
        """A block cancelled when the caller hangs up; it then raises ``AgiHangup``."""
        ...

    async def answer(self) -> None: ...

    async def stream_file(self, name: str, escape_digits: str = "", *, offset: int = 0) -> StreamResult: ...

    async def get_data(
        self, prompt: str, timeout_ms: int = 5000, max_digits: int | None = None
    ) -> GetDataResult: ...

    async def wait_for_digit(self, timeout_ms: int = -1) -> str | None: ...

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None: ...

    async def say_number(
        self, number: int, escape_digits: str = "", gender: str | None = None
    ) -> str | None: ...

    async def record_file(
        self,
        name: str,
        fmt: str = "wav",
        escape_digits: str = "#",
        timeout_ms: int = -1,
        *,
        beep: bool = True,
        silence_seconds: int | None = None,
    ) -> RecordResult: ...

    async def set_variable(self, name: str, value: str) -> None: ...

    async def get_variable(self, name: str) -> str | None: ...

    async def get_full_variable(self, expression: str, channel: str | None = None) -> str | None: ...

    async def exec_(self, application: str, *args: str) -> int: ...

    async def set_music(self, on: bool, music_class: str | None = None) -> None: ...

    async def hangup(self) -> None: ...

    async def verbose(self, message: str, level: int = 1) -> None: ...

    async def command(self, verb: str, *args: str | int, reply_timeout: float | None = None) -> AgiReply: ...
