"""``AgiProtocol`` framing: bytes cut anywhere give the same environment, replies and hang-up.

The protocol is driven by hand here (``data_received`` with chosen chunks) over an in-memory
transport, so chunk boundaries are exact; the real-socket behaviour is in test_session.py.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telephony.agi import AgiConnection, AgiEnvironmentError, AgiHangup
from telephony.agi.protocol import AgiProtocol, ReadBuffer

from .conftest import wait_until
from .peer import env_block

ENV = env_block(calleridname="张三丰")


class MemoryTransport(asyncio.Transport):
    """Collects what the protocol writes; closing it ends the connection like a socket would."""

    def __init__(self, protocol: AgiProtocol) -> None:
        super().__init__()
        self.protocol = protocol
        self.written = bytearray()
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else default


def connect(read_buffer: ReadBuffer | None = None, **limits: int) -> tuple[AgiProtocol, MemoryTransport]:
    def attach(protocol: AgiProtocol) -> None:
        protocol.connection = AgiConnection(None, protocol, command_timeout=5, label="memory")

    protocol = AgiProtocol(attach, read_buffer=read_buffer, **limits)
    transport = MemoryTransport(protocol)
    protocol.connection_made(transport)
    return protocol, transport


def chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True) if b > a]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0), max_size=12))
def test_given_bytes_cut_anywhere_then_environment_replies_and_hangup_are_the_same(cuts: list[int]) -> None:
    async def run() -> None:
        protocol, transport = connect()
        connection = protocol.connection
        assert connection is not None
        for piece in chunks(ENV, cuts):
            protocol.data_received(piece)
        env = await protocol.environment()
        assert env.calleridname == "张三丰" and env.script == "ivr"

        first = asyncio.ensure_future(connection.command("GET VARIABLE", ["X"]))
        await wait_until(lambda: bytes(transport.written) == b'GET VARIABLE "X"\n')
        for piece in chunks(b"200 result=1 (a (b) c)\nHANGUP\n", cuts):
            protocol.data_received(piece)
        assert (await first).data == "a (b) c"
        assert connection.hung_up

        second = asyncio.ensure_future(connection.command("GET VARIABLE", ["Y"]))  # allowed when dead
        await wait_until(lambda: bytes(transport.written).endswith(b'GET VARIABLE "Y"\n'))
        for piece in chunks(b"200 result=0\n", cuts):
            protocol.data_received(piece)
        assert (await second).result == "0"

    asyncio.run(run())


async def test_given_a_line_over_the_limit_in_the_environment_then_the_connection_is_rejected() -> None:
    protocol, _ = connect(max_line_bytes=64)
    protocol.data_received(b"agi_network: yes\nagi_request: agi://h/" + b"x" * 50)
    protocol.data_received(b"y" * 50 + b"\n\n")
    with pytest.raises(AgiEnvironmentError, match="reader limit"):
        await protocol.environment()


async def test_given_an_environment_over_its_byte_limit_then_the_connection_is_rejected() -> None:
    protocol, _ = connect(max_header_bytes=100)
    protocol.data_received(ENV)
    with pytest.raises(AgiEnvironmentError, match="over 100 bytes"):
        await protocol.environment()


async def test_given_the_peer_leaving_before_the_environment_ends_then_agi_hangup() -> None:
    protocol, _ = connect()
    protocol.data_received(ENV[:40])
    protocol.eof_received()
    with pytest.raises(AgiHangup):
        await protocol.environment()


async def test_given_an_over_long_reply_cut_in_pieces_then_it_is_skipped_once_and_the_next_reply_arrives(
    caplog: pytest.LogCaptureFixture,
) -> None:
    protocol, transport = connect(max_line_bytes=64)
    connection = protocol.connection
    assert connection is not None
    protocol.data_received(ENV)
    await protocol.environment()
    command = asyncio.ensure_future(connection.command("GET VARIABLE", ["X"]))
    await wait_until(lambda: bool(transport.written))
    with caplog.at_level(logging.WARNING, logger="telephony.agi"):
        protocol.data_received(b"200 result=1 (" + b"x" * 100)
        protocol.data_received(b"x" * 100)
        protocol.data_received(b"x)\n200 result=1 (ok)\n")
        reply = await command
    assert reply.data == "ok"
    assert sum("over the reader limit" in r.getMessage() for r in caplog.records) == 1
    assert not any("malformed" in r.getMessage() for r in caplog.records)


def read_into(protocol: AgiProtocol, data: bytes) -> None:
    """What a transport does with a buffered protocol: fill its buffer, then report the count."""
    buffer = protocol.get_buffer(-1)
    for start in range(0, len(data), len(buffer)):
        piece = data[start : start + len(buffer)]
        buffer = protocol.get_buffer(-1)
        buffer[: len(piece)] = piece
        protocol.buffer_updated(len(piece))


async def test_given_two_connections_reading_into_one_shared_buffer_then_each_gets_its_own_replies() -> None:
    shared = ReadBuffer(16)  # smaller than a line: a reply spans several reads of each connection
    (first, first_out), (second, second_out) = connect(shared), connect(shared)
    read_into(first, ENV)
    read_into(second, ENV)
    await first.environment()
    await second.environment()
    assert first.connection is not None and second.connection is not None
    asked_first = asyncio.ensure_future(first.connection.command("GET VARIABLE", ["A"]))
    asked_second = asyncio.ensure_future(second.connection.command("GET VARIABLE", ["B"]))
    await wait_until(lambda: bool(first_out.written) and bool(second_out.written))
    one, two = b"200 result=1 (the first connection)\n", b"200 result=1 (the second one)\n"
    for start in range(0, max(len(one), len(two)), 5):  # reads of both connections interleaved
        read_into(first, one[start : start + 5])
        read_into(second, two[start : start + 5])
    assert (await asked_first).data == "the first connection"
    assert (await asked_second).data == "the second one"
