"""The IVR over FastAGI with the bundled Asterisk 22: simulated callers (Local channels sending
real DTMF) walk the shipped default flow; the ports are in-memory fakes (tests/ivr/fakes.py),
the prompts are real espeak-ng/sox files played by Asterisk.

Tests that wait for a timeout, a recording, a played value or a whole walk through the menus run
the quick copy of the shipped flow (tests/ivr/quick_flow.py: the same nodes, options and
retries, one-word prompts) with keys 1.5 s apart; the first test walks the shipped flow with its
own prompts."""

from __future__ import annotations

import asyncio
import errno
import secrets
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, cast

import pytest

from callcenter.commands.ivr import flows_dir, prompt_store
from ivr.agi_session import AgiCallSession, RecordingPlace
from ivr.handler import IvrHandler
from ivr.ports import RouteTarget, TicketInfo
from ivr.prompts import build_flow_prompts
from ivr.registry import FlowRegistry
from ivr.session import Digits, Sound, Text
from telephony.agi import AgiSession, FastAgiServer, StreamResult, request_fallback
from telephony.ami import AmiClient, Message
from telephony.pbx.simulate import caller_originate
from tests.fixtures.pbx import PbxHandle

from .fakes import Clock, FakePorts
from .polling import wait_until
from .quick_flow import quick_default_flow

pytestmark = pytest.mark.pbx

DEADLINE = 60.0
NIGHT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai: closed


def unique_number() -> str:
    return "137" + str(secrets.randbelow(10**8)).zfill(8)


async def no_channels_of(pbx: PbxHandle, numbers: set[str], deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while True:
        output = await asyncio.to_thread(pbx.cli, "core show channels concise")
        left = [line for line in output.splitlines() if any(n in line for n in numbers)]
        if not left:
            return
        if time.monotonic() > end:
            raise AssertionError(f"channels left: {left}")
        await asyncio.sleep(0.3)


async def hang_up(pbx: PbxHandle, ami: AmiClient, numbers: set[str]) -> None:
    """Hang up every channel of these callers (once a test has seen what it waits for)."""
    output = await asyncio.to_thread(pbx.cli, "core show channels concise")
    for line in output.splitlines():
        if any(n in line for n in numbers):
            await ami.send_action("Hangup", {"Channel": line.split("!", 1)[0]})


class Heard:
    """One call's AGI session that notes each file Asterisk played to the caller and how far
    (STREAM FILE's end offset in samples: 0 when nothing was played)."""

    def __init__(self, session: AgiSession, played: list[tuple[str, int]]) -> None:
        self._session = session
        self._played = played

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def stream_file(self, name: str, escape_digits: str = "", *, offset: int = 0) -> StreamResult:
        result = await self._session.stream_file(name, escape_digits, offset=offset)
        self._played.append((name, result.endpos))
        return result


def recorded_seconds(recording: Path) -> str:
    """The recording's length as soxi reads it (fails when the file is missing or not audio)."""
    info = subprocess.run(["soxi", "-D", str(recording)], capture_output=True, text=True, check=True)
    return info.stdout


@dataclass
class Ivr:
    handler: IvrHandler
    server: FastAgiServer
    fake: FakePorts
    callers: set[str]
    recordings: RecordingPlace
    serve: Callable[[AgiSession], Awaitable[None]] | None = None
    """Run this instead of the IVR handler for this test's callers."""


@pytest.fixture
async def ami(pbx: PbxHandle) -> AsyncIterator[AmiClient]:
    async with AmiClient(pbx.settings.ami) as client:
        yield client


@pytest.fixture
async def ivr(pbx: PbxHandle, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    started: list[Ivr] = []

    async def start(fake: FakePorts | None = None, flows: Path | None = None) -> Ivr:
        fake = fake or FakePorts()
        registry = FlowRegistry(flows or flows_dir())
        assert registry.reload().ok
        store = prompt_store(pbx.settings)
        report = await asyncio.to_thread(build_flow_prompts, store, registry.flows.values())
        assert report.refused == []
        root = pbx.bundled.layout.root_dir
        inside = PurePosixPath("/var/spool/callcenter/ivr-test") / tmp_path.name
        recordings = RecordingPlace(host_dir=root / str(inside).lstrip("/"), asterisk_dir=inside)
        handler = IvrHandler(registry, fake.ports(), store, recordings)
        callers: set[str] = set()

        async def route(session: AgiSession) -> None:
            if session.env.callerid not in callers:  # another test session's caller
                await request_fallback(session, "not-this-test")
                return
            await (item.serve or item.handler)(session)

        server = FastAgiServer(pbx.agi_host, pbx.agi_port, {"ivr": route})
        end = time.monotonic() + 60
        while True:
            try:
                await server.start()
                break
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE or time.monotonic() > end:
                    raise
                await asyncio.sleep(0.5)
        item = Ivr(handler, server, fake, callers, recordings)
        started.append(item)
        return item

    yield start
    for item in started:
        await item.server.close()


async def call(ami: AmiClient, ivr: Ivr, dtmf: str, *, talk: float = 20, delay: float = 3) -> str:
    number = unique_number()
    ivr.callers.add(number)
    action = caller_originate("8610900", number=number, name="测试", dtmf=dtmf, delay=delay, talk=talk)
    await ami.send_action(action.pop("Action"), action, check=True)
    return number


def queued(ami: AmiClient) -> dict[str, Message]:
    joined: dict[str, Message] = {}

    def on_join(event: Message) -> None:
        joined[event.get("CallerIDNum", "")] = event

    ami.subscribe("QueueCallerJoin", on_join)
    return joined


GAP = "wwww"  # 2 s between key presses: each menu of the shipped flow is listening by then
QUICK = "www"  # 1.5 s in the quick flow (one-word prompts)


async def test_digits_reach_the_route_with_the_callers_attributes(
    pbx: PbxHandle, ami: AmiClient, ivr: Callable[..., Any]
) -> None:
    app: Ivr = await ivr()
    joined = queued(ami)
    number = await call(ami, app, GAP.join("2921"))  # English, skip id, repair, survey yes
    await wait_until(lambda: number in joined)
    channel = joined[number]["Channel"]
    intent = await ami.send_action("Getvar", {"Channel": channel, "Variable": "CC_INTENT"})
    skills = await ami.send_action("Getvar", {"Channel": channel, "Variable": "CC_SKILLS"})
    assert intent.response.get("Value") == "repair" and skills.response.get("Value") == "repair"
    [request] = app.fake.routed
    assert (request.intent, request.language, request.skills, request.survey) == (
        "repair",
        "en",
        ("repair",),
        True,
    )
    assert joined[number]["Queue"] == "fallback"  # no ACD target yet: the dialplan's fallback queue
    [path] = app.fake.saved
    assert path.nodes()[:4] == ["language", "blocked", "identify", "identify_menu"]
    assert path.digits() == ["2", "9", "2", "1"]
    await ami.send_action("Hangup", {"Channel": channel})
    await no_channels_of(pbx, {number})


async def test_invalid_input_and_timeouts_follow_the_flow_to_an_agent(
    pbx: PbxHandle, ami: AmiClient, ivr: Callable[..., Any], tmp_path: Path
) -> None:
    flows = quick_default_flow(tmp_path / "flows", timeouts={"main": 2, "survey_offer": 2})
    app: Ivr = await ivr(flows=flows)
    joined = queued(ami)
    # Mandarin, skip identification, 7 (no such option), then silence through the retries
    number = await call(ami, app, "1" + QUICK + "9" + QUICK + "7", delay=1.5, talk=60)
    await wait_until(lambda: number in joined, 90)
    [path] = app.fake.saved
    main = [s.event for s in path.steps if s.node == "main"]
    assert main == ["entered", "invalid", "timeout", "timeout", "option"]
    assert [s.event for s in path.steps if s.node == "survey_offer"] == ["entered", "timeout", "option"]
    assert app.fake.routed[0].skills == ("general",) and app.fake.routed[0].survey is False
    await ami.send_action("Hangup", {"Channel": joined[number]["Channel"]})
    await no_channels_of(pbx, {number})


async def test_caller_hanging_up_mid_menu_leaves_no_session_task_or_channel(
    pbx: PbxHandle, ami: AmiClient, ivr: Callable[..., Any]
) -> None:
    app: Ivr = await ivr()
    number = await call(ami, app, "1", talk=2)
    await wait_until(lambda: len(app.fake.saved) == 1)
    await wait_until(lambda: app.server.live_sessions == 0)
    assert app.handler.live == set()
    [path] = app.fake.saved
    assert path.outcome == "caller_hangup" and path.ended_at_node in ("identify_menu", "main")
    await no_channels_of(pbx, {number})
    tasks = [t for t in asyncio.all_tasks() if "_on_connection" in repr(t.get_coro())]
    assert tasks == []


async def test_self_service_speaks_a_tickets_status_without_an_agent(
    pbx: PbxHandle, ami: AmiClient, ivr: Callable[..., Any], tmp_path: Path
) -> None:
    fake = FakePorts(tickets={"REP-000042": TicketInfo("REP-000042", "in_progress", "repair")})
    app: Ivr = await ivr(fake, flows=quick_default_flow(tmp_path / "flows"))
    played: list[tuple[str, int]] = []

    async def heard(session: AgiSession) -> None:
        await app.handler(cast(AgiSession, Heard(session, played)))

    app.serve = heard
    # Mandarin, skip identification, 4 ticket status, 42#; then 2 (end the call) every 1.5 s:
    # the presses while the status plays are not heard, the first one after it ends the call
    keys = "1" + QUICK + "9" + QUICK + "4" + QUICK + "42#" + (QUICK + "2") * 10
    number = await call(ami, app, keys, delay=1.5, talk=30)
    await wait_until(lambda: len(fake.saved) == 1, 60)
    [path] = fake.saved
    assert "status_told" in path.nodes() and path.self_service
    assert path.nodes()[-2:] == ["status_after", "goodbye"] and path.outcome == "hangup"
    assert fake.routed == []
    status = app.handler.prompts.playback_name("正在处理中", "zh")  # in_progress, in Mandarin
    assert any(endpos > 0 for name, endpos in played if name == status)
    await no_channels_of(pbx, {number})


async def test_after_hours_voicemail_is_a_ticket_with_a_recording_that_plays(
    pbx: PbxHandle, ami: AmiClient, ivr: Callable[..., Any], tmp_path: Path
) -> None:
    fake = FakePorts(clock=Clock(NIGHT))
    app: Ivr = await ivr(fake, flows=quick_default_flow(tmp_path / "flows", record_seconds=5))
    # Mandarin, skip identification, closed: 1 leave a message; the caller's tone is recorded
    # until the flow's 5 s limit, then the thanks and the flow hangs up
    number = await call(ami, app, "1" + QUICK + "9" + QUICK + "1", delay=1.5, talk=30)
    await wait_until(lambda: len(fake.saved) == 1, 60)
    [voicemail] = fake.voicemails
    assert voicemail.caller == number
    assert float(await asyncio.to_thread(recorded_seconds, Path(voicemail.recording))) > 1.0  # the tone
    assert fake.saved[0].outcome == "voicemail"
    await no_channels_of(pbx, {number})


async def test_fifty_simultaneous_callers_in_menus_are_all_served(
    pbx: PbxHandle, ami: AmiClient, ivr: Callable[..., Any], tmp_path: Path
) -> None:
    fake = FakePorts(route_target=RouteTarget(dialplan="sim-hold,s,1"))
    app: Ivr = await ivr(fake, flows=quick_default_flow(tmp_path / "flows"))
    numbers = set()
    for _ in range(50):  # Mandarin, skip identification, inquiry, no survey
        keys = "1" + QUICK + "9" + QUICK + "1" + QUICK + "2"
        numbers.add(await call(ami, app, keys, delay=1.5, talk=60))
    await wait_until(lambda: len(fake.saved) == 50, 90)
    assert {p.caller for p in fake.saved} == numbers
    assert all(p.outcome == "route" for p in fake.saved)
    assert {r.intent for r in fake.routed} == {"inquiry"}
    assert app.server.stats.peak_live > 10
    await wait_until(lambda: app.server.live_sessions == 0)  # all 50 handed on to [sim-hold]
    await hang_up(pbx, ami, numbers)
    await no_channels_of(pbx, numbers)


async def test_survey_after_the_agent_hangs_up_stores_the_score(
    pbx: PbxHandle, ami: AmiClient, ivr: Callable[..., Any], tmp_path: Path
) -> None:
    fake = FakePorts(route_target=RouteTarget(queue="fallback"))
    app: Ivr = await ivr(fake, flows=quick_default_flow(tmp_path / "flows"))
    connected: dict[str, Message] = {}

    def on_connect(event: Message) -> None:
        connected[event.get("CallerIDNum", "")] = event

    ami.subscribe("AgentConnect", on_connect)
    # Mandarin, skip identification, inquiry, survey yes; then the score 4 every 1.5 s: the presses
    # while the caller waits in the queue and talks to the agent go nowhere, the survey takes the
    # first one after the agent hung up
    keys = "1" + QUICK + "9" + QUICK + "1" + QUICK + "1" + (QUICK + "4") * 16
    number = await call(ami, app, keys, delay=1.5, talk=30)
    await wait_until(lambda: number in connected, 60)
    await ami.send_action("Hangup", {"Channel": connected[number]["DestChannel"]})  # the agent hangs up
    await wait_until(lambda: len(fake.saved) == 2, 60)
    journey, again = fake.saved
    assert again is journey  # one journey per call: saved after the menus and after the survey
    assert journey.outcome == "route" and fake.routed[0].survey is True
    assert journey.nodes()[-2:] == ["queue", "survey"] and journey.survey_score == 4
    assert fake.scores == {journey.call_id: 4}
    await no_channels_of(pbx, {number})


async def test_when_distribution_fails_the_caller_still_reaches_the_fallback_queue(
    pbx: PbxHandle, ami: AmiClient, ivr: Callable[..., Any], tmp_path: Path
) -> None:
    fake = FakePorts(route_fails=True)
    app: Ivr = await ivr(fake, flows=quick_default_flow(tmp_path / "flows"))
    joined = queued(ami)
    keys = "1" + QUICK + "9" + QUICK + "3" + QUICK + "2"  # complaint, no survey
    number = await call(ami, app, keys, delay=1.5)
    await wait_until(lambda: number in joined)
    assert joined[number]["Queue"] == "fallback"
    reason = await ami.send_action(
        "Getvar", {"Channel": joined[number]["Channel"], "Variable": "CC_FALLBACK_REASON"}
    )
    assert reason.response.get("Value") == "requested"
    assert fake.saved[0].outcome == "fallback"
    await ami.send_action("Hangup", {"Channel": joined[number]["Channel"]})
    await no_channels_of(pbx, {number})


async def test_a_key_pressed_during_a_multi_part_prompt_starts_the_input(
    pbx: PbxHandle, ami: AmiClient, ivr: Callable[..., Any]
) -> None:
    app: Ivr = await ivr()
    got: list[Digits] = []

    async def collect(session: AgiSession) -> None:
        call = AgiCallSession(session, app.handler.prompts, app.recordings)
        await session.answer()
        speech = (Sound("silence/10"), Text("请输入号码", "zh"))
        got.append(await call.get_digits(speech, timeout_ms=4000, max_digits=6))
        await session.set_variable("CC_NEXT", "done")

    app.serve = collect
    number = await call(ami, app, "42#", delay=2, talk=5)
    await wait_until(lambda: bool(got), 30)
    assert got == [Digits("42", False)]
    await no_channels_of(pbx, {number})
