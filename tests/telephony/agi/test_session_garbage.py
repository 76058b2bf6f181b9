"""A finished FastAGI session is freed by reference counting: none of our objects is left in a
reference cycle for the garbage collector (whose middle and full collections walk such cycles,
pausing the event loop, until one finds them unreachable). And on uvloop the server's protocol
takes its reads as ``bytes`` (``AgiStreamProtocol``), which costs less there than the buffered
path."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from telephony.agi import AgiSession
from telephony.agi.connection import AgiConnection
from telephony.agi.protocol import AgiProtocol

from .conftest import ServerFactory, wait_until
from .peer import ScriptedAsterisk, Step


@pytest.fixture
def collector_saving_garbage() -> Iterator[list[object]]:
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def test_a_finished_session_leaves_no_cycle_of_ours_for_the_collector(
    make_server: ServerFactory, collector_saving_garbage: list[object]
) -> None:
    async def ivr(session: AgiSession) -> None:
        assert await session.get_variable("CC_DID") == "100"

    server = await make_server({"ivr": ivr})
    steps = [Step('GET VARIABLE "CC_DID"', "200 result=1 (100)\n")]
    for _ in range(3):
        peer = await ScriptedAsterisk(server.bound_port, steps).run()
        assert peer.errors == [] and peer.closed_by_server
    await wait_until(lambda: server.live_sessions == 0 and server.stats.completed == 3)
    gc.collect()
    ours = [o for o in collector_saving_garbage if isinstance(o, AgiConnection | AgiProtocol)]
    assert ours == []


def test_on_uvloop_the_server_takes_its_reads_as_bytes_and_a_session_works() -> None:
    import asyncio

    import uvloop

    from telephony.agi import FastAgiServer
    from telephony.agi.protocol import AgiStreamProtocol

    got: list[str | None] = []

    async def main() -> None:
        async def ivr(session: AgiSession) -> None:
            got.append(await session.get_variable("CC_DID"))

        server = FastAgiServer("127.0.0.1", 0, {"ivr": ivr})
        await server.start()
        try:
            protocol = server.protocol()
            # uvloop calls get_buffer only on a protocol that is no asyncio.Protocol
            assert isinstance(protocol, AgiStreamProtocol) and isinstance(protocol, asyncio.Protocol)
            steps = [Step('GET VARIABLE "CC_DID"', "200 result=1 (100)\n")]
            peer = await ScriptedAsterisk(server.bound_port, steps).run()
            assert peer.errors == [] and peer.closed_by_server
        finally:
            await server.close()

    uvloop.run(main())
    assert got == ["100"]
