"""``AgiConnection`` over an ``asyncio.StreamReader``/``StreamWriter`` pair (outside the server).

The server feeds its connections from ``AgiProtocol``; a connection built over streams reads them
with its own reader task into the same line handling. Real sockets, Asterisk played by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from telephony.agi import AgiConnection, AgiHangup, read_environment

from .conftest import wait_until
from .peer import env_block


@pytest.fixture
async def accepted() -> AsyncIterator[tuple[asyncio.Queue[tuple[Any, ...]], int]]:
    """A listening socket; each accepted connection lands in the queue as (reader, writer)."""
    queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await queue.put((reader, writer))

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    yield queue, server.sockets[0].getsockname()[1]
    server.close()


async def test_given_streams_then_commands_get_their_replies_and_an_idle_hangup_is_seen_at_once(
    accepted: tuple[asyncio.Queue[tuple[Any, ...]], int],
) -> None:
    queue, port = accepted
    peer_reader, peer_writer = await asyncio.open_connection("127.0.0.1", port)
    peer_writer.write(env_block(calleridname="张三丰"))
    reader, writer = await queue.get()
    env = await read_environment(reader)
    assert env.calleridname == "张三丰"
    connection = AgiConnection(reader, writer, command_timeout=5, label="streams")
    connection.start_reading()
    assert connection.reading

    command = asyncio.ensure_future(connection.command("GET VARIABLE", ["X"]))
    assert await peer_reader.readline() == b'GET VARIABLE "X"\n'
    peer_writer.write(b"200 result=1 (ok)\n")
    assert (await command).data == "ok"

    peer_writer.write(b"HANGUP\n")  # while no command is in flight
    async with asyncio.timeout(5):
        await connection.wait_for_hangup()
    peer_writer.close()
    await wait_until(lambda: not connection.reading)
    with pytest.raises(AgiHangup):
        await connection.command("ANSWER")
    await connection.close()
    assert writer.is_closing()
