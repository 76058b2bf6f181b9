"""Helpers for call-control tests on the bundled PBX: an AMI link that records every event, and
two-party calls between a plain answered party ([sim-hold]) and a simulated agent phone."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telephony.ami import AmiClient, Message
from telephony.control import DialplanTarget, NoSuchChannel, NotBridged, bridge_peer, hangup, originate

DEADLINE = 30.0


def unique_extension() -> str:
    """An agent-phone extension no other test (nor the fallback queue's 1001-1006) uses."""
    return str(20000 + secrets.randbelow(70000))


def unique_number() -> str:
    return "137" + str(secrets.randbelow(10**8)).zfill(8)


@dataclass
class EventLog:
    """Every event the link receives, in order."""

    events: list[Message] = field(default_factory=list)

    def __call__(self, msg: Message) -> None:
        self.events.append(msg)

    def matching(self, name: str, **fields: str) -> list[Message]:
        return [
            m for m in self.events if m.get("Event") == name and all(m.get(k) == v for k, v in fields.items())
        ]

    async def wait(
        self,
        name: str,
        deadline: float = DEADLINE,
        where: Callable[[Message], bool] | None = None,
        **fields: str,
    ) -> Message:
        """The first ``name`` event with these header values (and ``where``), polling with a deadline."""
        end = time.monotonic() + deadline
        while True:
            for msg in self.matching(name, **fields):
                if where is None or where(msg):
                    return msg
            if time.monotonic() > end:
                raise AssertionError(f"no {name} event with {fields} within {deadline}s")
            await asyncio.sleep(0.05)


async def poll(probe: Callable[[], object], deadline: float = DEADLINE, what: str = "condition") -> None:
    end = time.monotonic() + deadline
    while not probe():
        if time.monotonic() > end:
            raise AssertionError(f"{what} not met within {deadline}s")
        await asyncio.sleep(0.05)


async def poll_async(
    probe: Callable[[], Awaitable[bool]], deadline: float = DEADLINE, what: str = "condition"
) -> None:
    end = time.monotonic() + deadline
    while not await probe():
        if time.monotonic() > end:
            raise AssertionError(f"{what} not met within {deadline}s")
        await asyncio.sleep(0.1)


async def peer_of(ami: AmiClient, channel: str, deadline: float = DEADLINE) -> str:
    """``channel``'s bridge peer once it has one."""
    end = time.monotonic() + deadline
    while True:
        try:
            return await bridge_peer(ami, channel)
        except NotBridged:
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.1)


@dataclass(frozen=True)
class Call:
    caller: str
    """``Local/s@sim-hold-...;1``: the calling leg (its ``;2`` plays a tone)."""
    agent: str
    """``Local/<ext>@agent-phones-...;1``: the dialled agent leg, with transfer permission."""
    extension: str
    number: str


async def two_party_call(ami: AmiClient, extension: str | None = None, *, hold: int = 40) -> Call:
    """A caller connected to agent phone ``extension`` through Dial (options t, T) in [sim-call]."""
    extension = extension or unique_extension()
    number = unique_number()
    placed = await originate(
        ami,
        "Local/s@sim-hold",
        DialplanTarget("sim-call", extension),
        caller_id_number=number,
        caller_id_name="测试 caller",
        variables={"SIM_HOLD": str(hold)},
    )
    agent = await peer_of(ami, placed.channel)
    return Call(caller=placed.channel, agent=agent, extension=extension, number=number)


async def hang_up_all(ami: AmiClient, *channels: str) -> None:
    """Best-effort cleanup at the end of a test."""
    for channel in channels:
        try:
            await hangup(ami, channel)
        except NoSuchChannel:
            pass


async def channels_concise(pbx_cli: Callable[[str], str]) -> list[list[str]]:
    """``core show channels concise`` rows split on ``!``."""
    output = await asyncio.to_thread(pbx_cli, "core show channels concise")
    return [line.split("!") for line in output.splitlines() if "!" in line]
