"""A scripted stand-in for Asterisk's side of a FastAGI connection (protocol tests only).

It connects to the server, sends an environment block, then for each step reads one command line,
checks it, and writes the scripted reply lines. Afterwards it reads until the server closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

ANY = None


@dataclass
class Step:
    expect: str | None
    """The command line expected (without LF); ``None`` accepts any."""
    reply: str = ""
    """Reply lines to write, LF-terminated; empty to write nothing."""
    close: bool = False
    """Close the socket after reading the command (and writing ``reply``)."""


def env_block(
    script: str = "ivr",
    query: str = "did=100",
    *,
    channel: str = "Local/100@sim-caller-00000001;2",
    calleridname: str = "张三丰",
    callerid: str = "13800138000",
    args: Sequence[str] = (),
    uniqueid: str = "1700000000.1",
) -> bytes:
    url = f"agi://127.0.0.1:4573/{script}" + (f"?{query}" if query else "")
    lines = [
        "agi_network: yes",
        *([f"agi_network_script: {script}?{query}"] if script else []),
        f"agi_request: {url}",
        f"agi_channel: {channel}",
        "agi_language: en",
        "agi_type: Local",
        f"agi_uniqueid: {uniqueid}",
        "agi_version: 22.10.1",
        f"agi_callerid: {callerid}",
        f"agi_calleridname: {calleridname}",
        "agi_context: inbound",
        "agi_extension: 100",
        "agi_priority: 2",
        *[f"agi_arg_{n}: {value}" for n, value in enumerate(args, start=1)],
    ]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


@dataclass
class ScriptedAsterisk:
    port: int
    steps: Sequence[Step]
    env: bytes = field(default_factory=env_block)
    received: list[bytes] = field(default_factory=list)
    closed_by_server: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def commands(self) -> list[str]:
        return [raw.decode("utf-8").removesuffix("\n") for raw in self.received]

    async def run(self, *, eof_wait: float = 10.0) -> ScriptedAsterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(self.env)
            await writer.drain()
            for step in self.steps:
                raw = await reader.readline()
                if not raw:
                    self.closed_by_server = True
                    self.errors.append(f"server closed while {step.expect!r} was expected")
                    return self
                self.received.append(raw)
                line = raw.decode("utf-8").removesuffix("\n")
                if raw.endswith(b"\r\n"):
                    self.errors.append(f"command not LF-only: {raw!r}")
                if step.expect is not None and line != step.expect:
                    self.errors.append(f"expected {step.expect!r}, got {line!r}")
                if step.reply:
                    writer.write(step.reply.encode("utf-8"))
                    await writer.drain()
                if step.close:
                    return self
            async with asyncio.timeout(eof_wait):
                while True:
                    raw = await reader.readline()
                    if not raw:
                        self.closed_by_server = True
                        break
                    self.received.append(raw)
                    self.errors.append(f"unscripted command: {raw!r}")
        except (ConnectionError, TimeoutError) as exc:
            self.errors.append(f"peer: {exc!r}")
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except ConnectionError:
                pass
        return self
