"""A scripted AMI peer on a local TCP port, for client protocol tests (timeouts, drops, reconnect).

It speaks the wire format itself (its own tiny action parser, independent of the client's), answers
Login/Challenge/Ping/Logoff, and lets each test script replies for other actions.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Pairs = list[tuple[str, str]]
ActionHandler = Callable[["PeerConnection", dict[str, str]], Awaitable[None] | None]


def encode(pairs: Pairs) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n").encode("utf-8")


@dataclass(eq=False)
class PeerConnection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    actions: list[dict[str, str]] = field(default_factory=list)

    def send(self, pairs: Pairs) -> None:
        self.writer.write(encode(pairs))

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    def reply(self, action: dict[str, str], *pairs: tuple[str, str], status: str = "Success") -> None:
        self.send([("Response", status), ("ActionID", action.get("actionid", "")), *pairs])

    def drop(self) -> None:
        self.writer.transport.abort()


class FakeAmi:
    def __init__(
        self, *, username: str = "tester", secret: str = "s3cret", challenge: str = "123456"
    ) -> None:
        self.username = username
        self.secret = secret
        self.challenge = challenge
        self.handlers: dict[str, ActionHandler] = {}
        self.connections: list[PeerConnection] = []
        self.connect_times: list[float] = []
        self.answer_pings = True
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening and drop every connection."""
        if self.server is not None:
            self.server.close()
            for conn in self.connections:
                conn.drop()
            await self.server.wait_closed()
            self.server = None

    def drop_all(self) -> None:
        for conn in self.connections:
            conn.drop()

    @property
    def current(self) -> PeerConnection:
        return self.connections[-1]

    def all_actions(self, name: str) -> list[dict[str, str]]:
        return [a for c in self.connections for a in c.actions if a.get("action", "").lower() == name.lower()]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = PeerConnection(reader, writer)
        self.connections.append(conn)
        self.connect_times.append(time.monotonic())
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                action: dict[str, str] = {}
                for line in block.decode("utf-8").split("\r\n"):
                    key, sep, value = line.partition(": ")
                    if sep:
                        action[key.lower()] = value
                conn.actions.append(action)
                await self._answer(conn, action)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, conn: PeerConnection, action: dict[str, str]) -> None:
        name = action.get("action", "").lower()
        handler = self.handlers.get(name)
        if handler is not None:
            outcome = handler(conn, action)
            if outcome is not None:
                await outcome
            return
        if name == "login":
            key = hashlib.md5((self.challenge + self.secret).encode()).hexdigest()
            ok = action.get("username") == self.username and (
                action.get("secret") == self.secret or action.get("key") == key
            )
            if ok:
                conn.reply(action, ("Message", "Authentication accepted"))
                conn.send([("Event", "FullyBooted"), ("Privilege", "system,all"), ("Status", "Fully Booted")])
            else:
                conn.reply(action, ("Message", "Authentication failed"), status="Error")
        elif name == "challenge":
            conn.reply(action, ("Challenge", self.challenge))
        elif name == "ping":
            if self.answer_pings:
                conn.reply(action, ("Ping", "Pong"), ("Timestamp", "1700000000.000001"))
        elif name == "logoff":
            conn.reply(action, ("Message", "Thanks for all the fish."), status="Goodbye")
            await conn.writer.drain()
            conn.writer.close()
        else:
            conn.reply(action, ("Message", "Invalid/unknown command"), status="Error")
