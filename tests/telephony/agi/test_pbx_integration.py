"""FastAGI against the real bundled Asterisk 22: simulated callers reach our server through the
[inbound] dialplan (``AGI(agi://<agi_host>:<agi_port>/ivr?did=${EXTEN})``).
"""

from __future__ import annotations

import asyncio
import errno
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from telephony.agi import (
    AgiCommandFailed,
    AgiCommandInvalid,
    AgiError,
    AgiHangup,
    AgiSession,
    AgiUsageError,
    FastAgiServer,
)
from telephony.agi.handlers import AgiHandler
from telephony.ami import AmiClient, Message
from telephony.pbx.simulate import caller_originate
from tests.fixtures.pbx import PbxHandle

from .conftest import wait_until

pytestmark = pytest.mark.pbx

CALL_DEADLINE = 30.0


def unique_number() -> str:
    """A caller number no other test uses, so this test's channels can be told apart."""
    return "139" + str(secrets.randbelow(10**8)).zfill(8)


async def originate(ami: AmiClient, did: str, **caller: Any) -> None:
    headers = caller_originate(did, **caller)
    action = headers.pop("Action")
    await ami.send_action(action, headers, check=True)


async def start_on_pbx_port(server: FastAgiServer, deadline: float = 60.0) -> None:
    """Bind the PBX's AGI port; another test session on this machine may hold it for a while."""
    end = time.monotonic() + deadline
    while True:
        try:
            await server.start()
            return
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() > end:
                raise
            await asyncio.sleep(0.5)


@pytest.fixture
async def ami(pbx: PbxHandle) -> AsyncIterator[AmiClient]:
    async with AmiClient(pbx.settings.ami) as client:
        yield client


async def channels_with(pbx: PbxHandle, needle: str) -> list[str]:
    output = await asyncio.to_thread(pbx.cli, "core show channels concise")
    return [line for line in output.splitlines() if needle in line]


async def serve(pbx: PbxHandle, handler: AgiHandler) -> FastAgiServer:
    server = FastAgiServer(pbx.agi_host, pbx.agi_port, {"ivr": handler})
    await start_on_pbx_port(server)
    return server


async def test_simulated_caller_dtmf_and_chinese_name_reach_the_ivr_handler(
    pbx: PbxHandle, ami: AmiClient
) -> None:
    number = unique_number()
    seen: dict[str, Any] = {}

    async def ivr(session: AgiSession) -> None:
        if session.env.callerid != number:  # another test's caller: leave it to the dialplan
            await session.set_variable("CC_FALLBACK", "1")
            return
        seen["env"] = session.env
        await session.answer()
        # Real error replies, and a missing prompt on a live channel, before the caller's DTMF.
        for name, coro in (
            ("invalid", session.command("NO SUCH COMMAND")),
            ("usage", session.command("GET DATA")),
            ("missing", session.stream_file("no-such-prompt-xyz")),
        ):
            try:
                await coro
            except AgiError as exc:
                seen[name] = exc
        seen["data"] = await session.get_data("silence/10", timeout_ms=8000, max_digits=10)
        seen["name_var"] = await session.get_full_variable("${CALLERID(name)}")
        await session.hangup()

    server = await serve(pbx, ivr)
    try:
        await originate(ami, "8610800", number=number, name="张三丰", dtmf="42#", delay=3, talk=10)
        await wait_until(lambda: "data" in seen and server.live_sessions == 0, CALL_DEADLINE)
        await wait_until_async(lambda: channels_with(pbx, number), CALL_DEADLINE)
    finally:
        await server.close()

    env = seen["env"]
    assert isinstance(seen["invalid"], AgiCommandInvalid)
    assert isinstance(seen["usage"], AgiUsageError) and "DTMF" in seen["usage"].usage
    assert isinstance(seen["missing"], AgiCommandFailed)
    assert seen["data"] == ("42", False)
    assert env.calleridname == "张三丰"
    assert seen["name_var"] == "张三丰"
    assert env.script == "ivr"
    assert env.query["did"] == "8610800"
    assert env.query["call"]  # the dialplan passes the call's Linkedid
    assert env.context == "inbound"
    assert env.channel.startswith("Local/s@sim-caller-")
    assert server.stats.completed >= 1
    assert server.live_sessions == 0


async def test_caller_hanging_up_during_get_data_surfaces_agi_hangup(pbx: PbxHandle, ami: AmiClient) -> None:
    number = unique_number()
    seen: dict[str, Any] = {}

    async def ivr(session: AgiSession) -> None:
        if session.env.callerid != number:
            await session.set_variable("CC_FALLBACK", "1")
            return
        await session.answer()
        seen["started"] = True
        try:
            await session.get_data("silence/10", timeout_ms=20000, max_digits=4)
        except AgiHangup as exc:
            seen["hangup"] = exc
            # commands allowed on a dead channel still work after the hang-up
            seen["uniqueid"] = await session.get_variable("UNIQUEID")
            raise
        seen["returned"] = True

    server = await serve(pbx, ivr)
    try:
        await originate(ami, "8610801", number=number, name="李四", delay=1, talk=1)
        await wait_until(lambda: "hangup" in seen or "returned" in seen, CALL_DEADLINE)
        await wait_until(lambda: server.live_sessions == 0, CALL_DEADLINE)
        await wait_until_async(lambda: channels_with(pbx, number), CALL_DEADLINE)
    finally:
        await server.close()

    assert "returned" not in seen
    assert isinstance(seen["hangup"], AgiHangup)
    assert seen["uniqueid"]
    assert server.stats.hung_up >= 1
    assert server.live_sessions == 0


HANGUP_NOTICE_DEADLINE = 2.0
"""Seconds after AMI reports the caller's Hangup by which the idle handler must know of it."""


@pytest.mark.parametrize("form", ["watch_hangup", "wait_for_hangup"])
async def test_an_idle_handler_learns_of_the_callers_hangup_at_once_and_nothing_leaks(
    pbx: PbxHandle, ami: AmiClient, form: str
) -> None:
    """A caller waiting for the ACD: the handler sends no AGI command, yet learns of the hang-up."""
    number = unique_number()
    seen: dict[str, Any] = {}
    hangups: list[float] = []

    def on_hangup(event: Message) -> None:
        if event.get("CallerIDNum") == number:
            hangups.append(time.monotonic())

    ami.subscribe("Hangup", on_hangup)

    async def ivr(session: AgiSession) -> None:
        if session.env.callerid != number:
            await session.set_variable("CC_FALLBACK", "1")
            return
        await session.answer()
        seen["waiting"] = time.monotonic()
        if form == "watch_hangup":
            try:
                async with session.watch_hangup():
                    await asyncio.sleep(3600)  # no AGI command while waiting
            except AgiHangup:
                seen["learned"] = time.monotonic()
                raise
        else:
            await session.wait_for_hangup()
            seen["learned"] = time.monotonic()
            seen["event"] = session.hangup_event.is_set()

    server = await serve(pbx, ivr)
    try:
        await originate(ami, "8610804", number=number, name="赵六", delay=1, talk=1)
        await wait_until(lambda: bool(hangups) or "learned" in seen, CALL_DEADLINE)
        await wait_until(lambda: "learned" in seen, HANGUP_NOTICE_DEADLINE)
        await wait_until(lambda: server.live_sessions == 0, CALL_DEADLINE)
        await wait_until_async(lambda: channels_with(pbx, number), CALL_DEADLINE)
    finally:
        await server.close()

    assert "waiting" in seen and seen["learned"] > seen["waiting"]
    if form == "watch_hangup":
        assert server.stats.hung_up >= 1
    else:
        assert seen["event"] is True and server.stats.completed >= 1
    assert server.live_sessions == 0
    readers = [t for t in asyncio.all_tasks() if t.get_name().startswith("agi-reader") and not t.done()]
    assert readers == []


async def test_without_an_agi_server_the_dialplan_falls_back_to_the_queue(
    pbx: PbxHandle, ami: AmiClient
) -> None:
    number = unique_number()
    joined: list[Message] = []

    def on_join(event: Message) -> None:
        if event.get("CallerIDNum") == number:
            joined.append(event)

    ami.subscribe("QueueCallerJoin", on_join)
    # Nothing of ours listens on the AGI port (unless another test session holds it right now).
    await originate(ami, "8610802", number=number, name="王五", delay=1, talk=3)
    await wait_until(lambda: bool(joined), CALL_DEADLINE)
    event = joined[0]
    assert event["Queue"] == "fallback"
    assert event["CallerIDName"] == "王五"
    await wait_until_async(lambda: channels_with(pbx, number), CALL_DEADLINE)


async def wait_until_async(probe: Any, deadline: float) -> None:
    """Poll an async probe returning a collection until it is empty."""
    end = time.monotonic() + deadline
    while await probe():
        if time.monotonic() > end:
            raise AssertionError("channels still up after the deadline")
        await asyncio.sleep(0.2)


async def test_fifty_simultaneous_callers_are_all_served(pbx: PbxHandle, ami: AmiClient) -> None:
    """Issue 4 needs 50 callers in menus at once with no session starving another."""
    callers = {unique_number(): f"{n:02d}" for n in range(50)}
    read: dict[str, str] = {}

    async def ivr(session: AgiSession) -> None:
        if session.env.callerid not in callers:
            await session.set_variable("CC_FALLBACK", "1")
            return
        await session.answer()
        digits, _ = await session.get_data("silence/10", timeout_ms=10000, max_digits=4)
        read[session.env.callerid] = digits
        await session.hangup()

    server = await serve(pbx, ivr)
    try:
        await asyncio.gather(
            *(
                originate(
                    ami, "8610803", number=number, name=f"并发{digits}", dtmf=f"{digits}#", delay=5, talk=5
                )
                for number, digits in callers.items()
            )
        )
        await wait_until(lambda: len(read) == len(callers), 90)
        await wait_until(lambda: server.live_sessions == 0, CALL_DEADLINE)
        for number in callers:
            await wait_until_async(lambda number=number: channels_with(pbx, number), CALL_DEADLINE)
    finally:
        await server.close()

    assert read == callers
    assert server.live_sessions == 0
    assert server.stats.peak_live > 1  # the calls overlapped: sessions ran side by side
