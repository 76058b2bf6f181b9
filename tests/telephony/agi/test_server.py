"""FastAgiServer: routing, cleanup whatever happens, isolation and concurrency of sessions."""

from __future__ import annotations

import asyncio
import random
import socket

import pytest

from config.settings import AgiSettings
from telephony.agi import AgiSession, FastAgiServer, hangup_handler

from .conftest import ServerFactory, wait_until
from .peer import ScriptedAsterisk, Step, env_block


async def test_routes_by_script_name(make_server: ServerFactory) -> None:
    calls: list[str] = []

    async def ivr(session: AgiSession) -> None:
        calls.append(f"ivr:{session.env.query.get('did')}")

    async def survey(session: AgiSession) -> None:
        calls.append(f"survey:{session.env.args}")

    server = await make_server({"ivr": ivr, "/survey/": survey})
    await ScriptedAsterisk(server.bound_port, [], env=env_block("ivr", "did=400")).run()
    await ScriptedAsterisk(server.bound_port, [], env=env_block("survey", "", args=["5"])).run()
    assert calls == ["ivr:400", "survey:('5',)"]
    assert set(server.routes) == {"ivr", "survey"}


async def test_decorator_route_and_duplicate_route_refused() -> None:
    server = FastAgiServer("127.0.0.1", 0)

    @server.route("ivr")
    async def ivr(session: AgiSession) -> None:
        return None

    assert server.resolve("/ivr") is ivr
    with pytest.raises(ValueError, match="already exists"):
        server.add_route("ivr/", ivr)


async def test_unknown_script_asks_the_dialplan_to_fall_back(make_server: ServerFactory) -> None:
    server = await make_server({})
    peer = await ScriptedAsterisk(
        server.bound_port,
        [
            Step('SET VARIABLE "CC_FALLBACK" "1"', "200 result=1\n"),
            Step('SET VARIABLE "CC_FALLBACK_REASON" "no-route"', "200 result=1\n"),
        ],
        env=env_block("nosuch"),
    ).run()
    assert peer.errors == []
    assert peer.closed_by_server
    assert server.stats.completed == 1


async def test_unknown_script_can_hang_up_instead(make_server: ServerFactory) -> None:
    server = await make_server({}, default_handler=hangup_handler)
    peer = await ScriptedAsterisk(
        server.bound_port, [Step("HANGUP", "200 result=1\n")], env=env_block("nosuch")
    ).run()
    assert peer.errors == []
    assert peer.closed_by_server


async def test_handler_crash_closes_the_session_and_leaves_nothing(make_server: ServerFactory) -> None:
    async def crash(session: AgiSession) -> None:
        await session.answer()
        raise RuntimeError("bug in the IVR")

    server = await make_server({"ivr": crash})
    peer = await ScriptedAsterisk(
        server.bound_port,
        [
            Step("ANSWER", "200 result=0\n"),
            Step('SET VARIABLE "CC_FALLBACK" "1"', "200 result=1\n"),
            Step('SET VARIABLE "CC_FALLBACK_REASON" "handler-error"', "200 result=1\n"),
        ],
    ).run()
    assert peer.errors == []
    assert peer.closed_by_server
    await wait_until(lambda: server.live_sessions == 0)
    assert server.stats.failed == 1


async def test_handler_crash_after_hangup_does_not_try_to_fall_back(make_server: ServerFactory) -> None:
    async def crash(session: AgiSession) -> None:
        await session.hangup()
        raise RuntimeError("late bug")

    server = await make_server({"ivr": crash})
    peer = await ScriptedAsterisk(server.bound_port, [Step("HANGUP", "200 result=1\n")]).run()
    assert peer.errors == []
    await wait_until(lambda: server.live_sessions == 0)
    assert server.stats.failed == 1


@pytest.mark.parametrize(
    "block",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"agi_network: yes\nagi_channel: X\n\n",
        b"\x00\x01\x02\xff\n\n",
        b"agi_request: agi://h/ivr\n" + b"agi_arg_1: " + b"x" * 70_000 + b"\n\n",
        b"".join(f"agi_arg_{n}: {n}\n".encode() for n in range(1, 2000)) + b"\n",
    ],
    ids=["http", "no-request", "binary", "line-too-long", "too-many-lines"],
)
async def test_garbage_environment_closes_only_that_session(make_server: ServerFactory, block: bytes) -> None:
    served: list[str] = []

    async def ivr(session: AgiSession) -> None:
        served.append(session.env.channel)
        await session.answer()

    server = await make_server({"ivr": ivr})
    good = ScriptedAsterisk(server.bound_port, [Step("ANSWER", "200 result=0\n")])
    bad = ScriptedAsterisk(server.bound_port, [], env=block)
    await asyncio.gather(good.run(), bad.run())
    assert good.errors == []
    assert bad.closed_by_server and bad.received == []
    assert served == ["Local/100@sim-caller-00000001;2"]
    await wait_until(lambda: server.live_sessions == 0)
    assert server.stats.rejected == 1


async def test_handler_over_its_session_limit_is_stopped_and_cleaned_up(make_server: ServerFactory) -> None:
    async def ivr(session: AgiSession) -> None:
        await session.wait_for_digit(-1)

    server = await make_server({"ivr": ivr}, session_timeout=0.2)
    peer = await ScriptedAsterisk(server.bound_port, [Step('WAIT FOR DIGIT "-1"')]).run()
    assert peer.errors == []
    assert peer.closed_by_server
    await wait_until(lambda: server.live_sessions == 0)
    assert server.stats.failed == 1


async def test_handlers_own_timeout_error_counts_as_a_failure_with_fallback(
    make_server: ServerFactory,
) -> None:
    async def ivr(session: AgiSession) -> None:
        raise TimeoutError("database lookup timed out")

    server = await make_server({"ivr": ivr}, session_timeout=30)
    peer = await ScriptedAsterisk(
        server.bound_port,
        [
            Step('SET VARIABLE "CC_FALLBACK" "1"', "200 result=1\n"),
            Step('SET VARIABLE "CC_FALLBACK_REASON" "handler-error"', "200 result=1\n"),
        ],
    ).run()
    assert peer.errors == []
    await wait_until(lambda: server.live_sessions == 0)
    assert server.stats.failed == 1


async def test_silent_peer_is_dropped_after_the_header_timeout(make_server: ServerFactory) -> None:
    server = await make_server({}, header_timeout=0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
    try:
        async with asyncio.timeout(10):
            assert await reader.read() == b""
    finally:
        writer.close()
    await wait_until(lambda: server.live_sessions == 0)
    assert server.stats.rejected == 1


async def test_peer_leaving_during_the_environment_is_cleaned_up(make_server: ServerFactory) -> None:
    server = await make_server({})
    _, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
    writer.write(b"agi_network: yes\nagi_request: agi://h/ivr\n")
    await writer.drain()
    await wait_until(lambda: server.live_sessions == 1)
    writer.close()
    await wait_until(lambda: server.live_sessions == 0)
    assert server.stats.rejected == 1


async def test_one_stuck_session_does_not_block_others(make_server: ServerFactory) -> None:
    async def ivr(session: AgiSession) -> None:
        await session.get_data("menu", 1000, 1)

    server = await make_server({"ivr": ivr})
    # Asterisk never answers this one: it sits in GET DATA.
    stuck = asyncio.create_task(ScriptedAsterisk(server.bound_port, [Step(None)]).run(eof_wait=30))
    await wait_until(lambda: server.live_sessions == 1)
    others = [
        ScriptedAsterisk(server.bound_port, [Step('GET DATA "menu" "1000" "1"', "200 result=1\n")])
        for _ in range(10)
    ]
    await asyncio.gather(*(peer.run() for peer in others))
    assert all(peer.errors == [] and peer.closed_by_server for peer in others)
    assert server.live_sessions == 1
    assert not stuck.done()
    await server.close()
    peer = await stuck
    assert peer.closed_by_server
    assert server.live_sessions == 0


async def test_close_cancels_live_sessions_and_closes_their_sockets(make_server: ServerFactory) -> None:
    cancelled: list[bool] = []

    async def ivr(session: AgiSession) -> None:
        try:
            await session.wait_for_digit(-1)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    server = await make_server({"ivr": ivr})
    peers = [ScriptedAsterisk(server.bound_port, [Step('WAIT FOR DIGIT "-1"')]) for _ in range(5)]
    tasks = [asyncio.create_task(peer.run()) for peer in peers]
    await wait_until(lambda: server.live_sessions == 5)
    await wait_until(lambda: all(len(peer.received) == 1 for peer in peers))
    await server.close()
    assert server.live_sessions == 0
    assert not server.serving
    results = await asyncio.gather(*tasks)
    assert all(peer.closed_by_server for peer in results)
    assert cancelled == [True] * 5
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", peers[0].port)


async def test_close_with_grace_lets_sessions_finish(make_server: ServerFactory) -> None:
    release = asyncio.Event()
    finished: list[str] = []

    async def ivr(session: AgiSession) -> None:
        await release.wait()
        await session.answer()
        finished.append(session.env.uniqueid)

    server = await make_server({"ivr": ivr})
    peer_task = asyncio.create_task(
        ScriptedAsterisk(server.bound_port, [Step("ANSWER", "200 result=0\n")]).run()
    )
    await wait_until(lambda: server.live_sessions == 1)
    closing = asyncio.create_task(server.close(grace=10))
    await asyncio.sleep(0)
    release.set()
    await closing
    peer = await peer_task
    assert peer.errors == [] and finished == ["1700000000.1"]
    assert server.stats.completed == 1


async def test_fifty_concurrent_sessions_are_all_served(make_server: ServerFactory) -> None:
    results: dict[str, str] = {}

    async def ivr(session: AgiSession) -> None:
        await session.answer()
        digits, _ = await session.get_data("menu", 3000, 4)
        await session.set_variable("CC_CHOICE", digits)
        results[session.env.uniqueid] = digits

    server = await make_server({"ivr": ivr})
    rng = random.Random(7)
    peers = []
    for n in range(50):
        digits = str(rng.randint(0, 9999))
        peers.append(
            ScriptedAsterisk(
                server.bound_port,
                [
                    Step("ANSWER", "200 result=0\n"),
                    Step('GET DATA "menu" "3000" "4"', f"200 result={digits}\n"),
                    Step(f'SET VARIABLE "CC_CHOICE" "{digits}"', "200 result=1\n"),
                ],
                env=env_block(uniqueid=f"1700000000.{n}", channel=f"Local/{n}@sim-caller;2"),
            )
        )
    await asyncio.gather(*(peer.run() for peer in peers))
    assert [peer.errors for peer in peers] == [[]] * 50
    assert all(peer.closed_by_server for peer in peers)
    assert results == {f"1700000000.{n}": peers[n].steps[1].reply.split("=")[1].strip() for n in range(50)}
    await wait_until(lambda: server.live_sessions == 0)
    assert server.stats.accepted == server.stats.completed == 50
    assert server.stats.peak_live > 1


async def test_from_settings_and_context_manager() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    settings = AgiSettings(host="127.0.0.1", port=free_port)

    async def ivr(session: AgiSession) -> None:
        await session.answer()

    async with FastAgiServer.from_settings(settings, {"ivr": ivr}) as server:
        assert server.serving and server.bound_port == free_port
        peer = await ScriptedAsterisk(server.bound_port, [Step("ANSWER", "200 result=0\n")]).run()
        assert peer.errors == []
    assert not server.serving
    assert server.live_sessions == 0


async def test_serve_forever_returns_when_the_server_is_closed() -> None:
    server = FastAgiServer("127.0.0.1", 0)
    serving = asyncio.create_task(server.serve_forever())
    await wait_until(lambda: server.serving)
    await server.close()
    async with asyncio.timeout(10):
        await serving
    assert serving.done() and not serving.cancelled()


async def test_serve_forever_propagates_cancellation_of_its_task() -> None:
    server = FastAgiServer("127.0.0.1", 0)
    serving = asyncio.create_task(server.serve_forever())
    await wait_until(lambda: server.serving)
    serving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await serving
    await server.close()
    assert not server.serving
