"""An idle handler learns of the caller's hang-up at once (issue 10 §6), over a real socket.

The peer here plays Asterisk by hand: it sends the environment, then a bare ``HANGUP`` line (or
closes the socket) while the handler sends no command at all.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telephony.agi import AgiHangup, AgiSession, FastAgiServer

from .conftest import ServerFactory, wait_until
from .peer import env_block

Outcome = dict[str, Any]


class RawAsterisk:
    """Asterisk's end of one FastAGI socket, driven step by step by the test."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, server: FastAgiServer) -> RawAsterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
        writer.write(env_block())
        await writer.drain()
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def command(self) -> str:
        async with asyncio.timeout(10):
            return (await self.reader.readline()).decode().removesuffix("\n")

    async def closed_by_server(self) -> bool:
        async with asyncio.timeout(10):
            return await self.reader.read() == b""

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def agi_readers() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("agi-reader") and not t.done()]


async def serve_one(make_server: ServerFactory, handler: Any) -> tuple[FastAgiServer, RawAsterisk]:
    server = await make_server({"ivr": handler})
    return server, await RawAsterisk.connect(server)


async def assert_ended_cleanly(server: FastAgiServer, peer: RawAsterisk) -> None:
    """The server closed the socket, the session is gone and no reader task is left."""
    assert await peer.closed_by_server()
    await wait_until(lambda: server.live_sessions == 0)
    assert agi_readers() == []
    await peer.close()


async def test_given_an_idle_handler_when_hangup_arrives_then_wait_for_hangup_returns_at_once(
    make_server: ServerFactory,
) -> None:
    outcome: Outcome = {}
    waiting = asyncio.Event()

    async def handler(session: AgiSession) -> None:
        waiting.set()
        outcome["event_before"] = session.hangup_event.is_set()
        await session.wait_for_hangup()
        outcome["hung_up"] = session.hung_up

    server, peer = await serve_one(make_server, handler)
    await wait_until(waiting.is_set)
    assert outcome == {"event_before": False}
    await peer.send(b"HANGUP\n")
    await wait_until(lambda: "hung_up" in outcome)
    assert outcome["hung_up"] is True
    await assert_ended_cleanly(server, peer)


async def test_given_a_block_waiting_in_watch_hangup_when_the_caller_hangs_up_then_it_raises_agi_hangup(
    make_server: ServerFactory,
) -> None:
    outcome: Outcome = {}
    waiting = asyncio.Event()

    async def handler(session: AgiSession) -> None:
        try:
            async with session.watch_hangup():
                waiting.set()
                await asyncio.sleep(3600)  # e.g. waiting for an agent: no AGI command meanwhile
        except AgiHangup as exc:
            outcome["hangup"] = exc
            outcome["uncancelled"] = asyncio.current_task().cancelling()  # type: ignore[union-attr]
            # the stream is still in step: a dead-channel command works
            outcome["var"] = await session.get_variable("UNIQUEID")
            raise

    server, peer = await serve_one(make_server, handler)
    await wait_until(waiting.is_set)
    await peer.send(b"HANGUP\n")
    assert await peer.command() == 'GET VARIABLE "UNIQUEID"'
    await peer.send(b"200 result=1 (1700000000.1)\n")
    await assert_ended_cleanly(server, peer)
    assert isinstance(outcome["hangup"], AgiHangup)
    assert outcome["uncancelled"] == 0 and outcome["var"] == "1700000000.1"
    assert server.stats.hung_up == 1 and server.stats.failed == 0


async def test_given_the_socket_closing_without_hangup_line_then_the_idle_handler_learns_of_it(
    make_server: ServerFactory,
) -> None:
    outcome: Outcome = {}
    waiting = asyncio.Event()

    async def handler(session: AgiSession) -> None:
        async with session.watch_hangup():
            waiting.set()
            await asyncio.sleep(3600)

    server, peer = await serve_one(make_server, handler)
    await wait_until(waiting.is_set)
    await peer.close()
    await wait_until(lambda: server.live_sessions == 0)
    assert server.stats.hung_up == 1
    assert agi_readers() == []
    assert outcome == {}


async def test_given_a_command_in_flight_when_hangup_arrives_then_it_finishes_and_the_wait_after_is_cut(
    make_server: ServerFactory,
) -> None:
    outcome: Outcome = {}

    async def handler(session: AgiSession) -> None:
        try:
            async with session.watch_hangup():
                outcome["exec"] = await session.exec_("Wait", "5")  # not interrupted by the HANGUP
                await asyncio.sleep(3600)
        except AgiHangup:
            outcome["hangup"] = True
            await session.set_variable("CC_DONE", "1")
            raise

    server, peer = await serve_one(make_server, handler)
    assert await peer.command() == 'EXEC "Wait" "5"'
    await peer.send(b"HANGUP\n200 result=-1\n")  # the reply after the HANGUP line, as Asterisk sends it
    assert await peer.command() == 'SET VARIABLE "CC_DONE" "1"'
    await peer.send(b"200 result=1\n")
    await assert_ended_cleanly(server, peer)
    assert outcome == {"exec": -1, "hangup": True}


async def test_given_a_hangup_noted_by_the_handler_itself_then_the_next_wait_in_the_block_is_cut(
    make_server: ServerFactory,
) -> None:
    outcome: Outcome = {}

    async def handler(session: AgiSession) -> None:
        try:
            async with session.watch_hangup():
                session.connection.mark_hung_up()  # as RECORD FILE does on reason "hangup"
                await asyncio.sleep(3600)
        except AgiHangup:
            outcome["hangup"] = True

    server, peer = await serve_one(make_server, handler)
    await assert_ended_cleanly(server, peer)
    assert outcome == {"hangup": True}


async def test_given_an_already_hung_up_call_when_entering_watch_hangup_then_agi_hangup_at_once(
    make_server: ServerFactory,
) -> None:
    outcome: Outcome = {}

    async def handler(session: AgiSession) -> None:
        await session.wait_for_hangup()
        try:
            async with session.watch_hangup():
                outcome["entered"] = True
        except AgiHangup:
            outcome["refused"] = True

    server, peer = await serve_one(make_server, handler)
    await peer.send(b"HANGUP\n")
    await assert_ended_cleanly(server, peer)
    assert outcome == {"refused": True}


async def test_given_the_server_closing_then_a_watched_block_is_cancelled_not_turned_into_a_hangup(
    make_server: ServerFactory,
) -> None:
    outcome: Outcome = {}
    waiting = asyncio.Event()

    async def handler(session: AgiSession) -> None:
        try:
            async with session.watch_hangup():
                waiting.set()
                await asyncio.sleep(3600)
        except asyncio.CancelledError:
            outcome["cancelled"] = True
            raise
        except AgiHangup:
            outcome["hangup"] = True

    server, peer = await serve_one(make_server, handler)
    await wait_until(waiting.is_set)
    await server.close()
    assert outcome == {"cancelled": True}
    assert server.live_sessions == 0 and agi_readers() == []
    await peer.close()
