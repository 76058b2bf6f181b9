"""AgiSession helpers over a real socket, against a scripted Asterisk peer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from telephony.agi import (
    AgiCommandFailed,
    AgiCommandInvalid,
    AgiDeadChannel,
    AgiError,
    AgiHangup,
    AgiSession,
    AgiSessionProtocol,
    AgiUsageError,
    GetDataResult,
    RecordResult,
    StreamResult,
)

from .conftest import ServerFactory, wait_until
from .peer import ANY, ScriptedAsterisk, Step, env_block

Outcome = dict[str, Any]


async def run_one(
    make_server: ServerFactory, handler: Any, steps: list[Step], **options: Any
) -> tuple[ScriptedAsterisk, Outcome]:
    """Serve one scripted call with ``handler(session, outcome)``; returns the peer and outcome."""
    outcome: Outcome = {}

    async def route(session: AgiSession) -> None:
        try:
            await handler(session, outcome)
        except Exception as exc:
            outcome["error"] = exc
            raise

    server = await make_server({"ivr": route}, **options)
    peer = await ScriptedAsterisk(server.bound_port, steps).run()
    await wait_until(lambda: server.live_sessions == 0)
    outcome["stats"] = server.stats
    return peer, outcome


async def test_session_satisfies_the_protocol(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        protocol_view: AgiSessionProtocol = session
        outcome["is_protocol"] = isinstance(protocol_view, AgiSessionProtocol)

    _, outcome = await run_one(make_server, handler, [])
    assert outcome["is_protocol"]


async def test_answer_and_get_data_read_the_callers_digits(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        outcome["env"] = session.env
        await session.answer()
        outcome["data"] = await session.get_data("custom/menu", timeout_ms=3000, max_digits=4)

    peer, outcome = await run_one(
        make_server,
        handler,
        [
            Step("ANSWER", "200 result=0\n"),
            Step('GET DATA "custom/menu" "3000" "4"', "200 result=42\n"),
        ],
    )
    assert peer.errors == []
    assert peer.closed_by_server
    assert outcome["data"] == GetDataResult("42", False)
    assert outcome["env"].calleridname == "张三丰"
    assert outcome["env"].query == {"did": "100"}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("200 result=4 (timeout)\n", GetDataResult("4", True)),
        ("200 result= (timeout)\n", GetDataResult("", True)),
        ("200 result=\n", GetDataResult("", False)),
    ],
)
async def test_get_data_reports_timeouts(
    make_server: ServerFactory, reply: str, expected: GetDataResult
) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        digits, timed_out = await session.get_data("beep", 2000)
        outcome["data"] = GetDataResult(digits, timed_out)

    peer, outcome = await run_one(make_server, handler, [Step('GET DATA "beep" "2000"', reply)])
    assert peer.errors == []
    assert outcome["data"] == expected


async def test_media_helpers_decode_digits_and_offsets(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        outcome["stream"] = await session.stream_file("welcome", "12")
        outcome["stream_none"] = await session.stream_file("welcome")
        outcome["wait"] = await session.wait_for_digit(1500)
        outcome["wait_timeout"] = await session.wait_for_digit(1500)
        outcome["say_digits"] = await session.say_digits("123", "#")
        outcome["say_number"] = await session.say_number(42, gender="f")
        outcome["record"] = await session.record_file("/tmp/vm", "wav", "#", 60000, silence_seconds=3)
        outcome["record_hangup"] = await session.record_file("/tmp/vm2", beep=False)
        outcome["hung_up_after_record"] = session.hung_up

    peer, outcome = await run_one(
        make_server,
        handler,
        [
            Step('STREAM FILE "welcome" "12"', "200 result=49 endpos=8000\n"),
            Step('STREAM FILE "welcome" ""', "200 result=0 endpos=16000\n"),
            Step('WAIT FOR DIGIT "1500"', "200 result=35\n"),
            Step('WAIT FOR DIGIT "1500"', "200 result=0\n"),
            Step('SAY DIGITS "123" "#"', "200 result=0\n"),
            Step('SAY NUMBER "42" "" "f"', "200 result=0\n"),
            Step(
                'RECORD FILE "/tmp/vm" "wav" "#" "60000" "BEEP" "s=3"', "200 result=35 (dtmf) endpos=24000\n"
            ),
            Step('RECORD FILE "/tmp/vm2" "wav" "#" "-1"', "200 result=-1 (hangup) endpos=8000\nHANGUP\n"),
        ],
    )
    assert peer.errors == []
    assert outcome["stream"] == StreamResult("1", 8000)
    assert outcome["stream_none"] == StreamResult(None, 16000)
    assert outcome["wait"] == "#"
    assert outcome["wait_timeout"] is None
    assert outcome["say_digits"] is None and outcome["say_number"] is None
    assert outcome["record"] == RecordResult("dtmf", "#", 24000)
    assert outcome["record_hangup"] == RecordResult("hangup", None, 8000)
    assert outcome["hung_up_after_record"]


async def test_variables_exec_music_and_verbose(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        await session.set_variable("CC_INTENT", "repair (urgent)")
        outcome["unset"] = await session.get_variable("NOPE")
        outcome["set"] = await session.get_variable("CC_INTENT")
        outcome["name"] = await session.get_full_variable("${CALLERID(name)}")
        outcome["other"] = await session.get_full_variable("${EXTEN}", "Local/1@x-0001;1")
        outcome["exec"] = await session.exec_("Playback", "hello-world", "noanswer")
        await session.set_music(True, "default")
        await session.set_music(False)
        await session.verbose("来电 张三丰", 3)

    peer, outcome = await run_one(
        make_server,
        handler,
        [
            Step('SET VARIABLE "CC_INTENT" "repair (urgent)"', "200 result=1\n"),
            Step('GET VARIABLE "NOPE"', "200 result=0\n"),
            Step('GET VARIABLE "CC_INTENT"', "200 result=1 (repair (urgent))\n"),
            Step('GET FULL VARIABLE "${CALLERID(name)}"', "200 result=1 (张三丰)\n"),
            Step('GET FULL VARIABLE "${EXTEN}" "Local/1@x-0001;1"', "200 result=1 ()\n"),
            Step('EXEC "Playback" "hello-world,noanswer"', "200 result=0\n"),
            Step('SET MUSIC "on" "default"', "200 result=0\n"),
            Step('SET MUSIC "off"', "200 result=0\n"),
            Step('VERBOSE "来电 张三丰" "3"', "200 result=1\n"),
        ],
    )
    assert peer.errors == []
    assert outcome["unset"] is None
    assert outcome["set"] == "repair (urgent)"
    assert outcome["name"] == "张三丰"
    assert outcome["other"] == ""
    assert outcome["exec"] == 0
    assert 'VERBOSE "来电 张三丰" "3"\n'.encode() in peer.received


async def test_exec_of_an_unknown_application_fails_clearly(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        await session.exec_("NoSuchApp")

    peer, outcome = await run_one(
        make_server,
        handler,
        [
            Step('EXEC "NoSuchApp"', "200 result=-2\n"),
            # the handler failed on a live channel: the server asks the dialplan to fall back
            Step('SET VARIABLE "CC_FALLBACK" "1"', "200 result=1\n"),
            Step('SET VARIABLE "CC_FALLBACK_REASON" "handler-error"', "200 result=1\n"),
        ],
    )
    assert peer.errors == []
    assert isinstance(outcome["error"], AgiCommandFailed)


async def test_gosub_progress_line_is_skipped(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        outcome["reply"] = await session.command("GOSUB", "sub", "s", "1")

    peer, outcome = await run_one(
        make_server,
        handler,
        [Step('GOSUB "sub" "s" "1"', "100 result=0 Trying...\n200 result=0 Gosub complete\n")],
    )
    assert peer.errors == []
    assert outcome["reply"].result == "0"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("510 Invalid or unknown command\n", AgiCommandInvalid),
        ("511 Command Not Permitted on a dead channel or intercept routine\n", AgiDeadChannel),
        ("520 Invalid command syntax.  Proper usage not available.\n", AgiUsageError),
        (
            "520-Invalid command syntax.  Proper usage follows:\n Usage: SAY NUMBER <number>\n"
            "520 End of proper usage.\n",
            AgiUsageError,
        ),
    ],
)
async def test_error_replies_raise_typed_errors_and_the_stream_stays_in_step(
    make_server: ServerFactory, reply: str, error: type[Exception]
) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        try:
            await session.command("SAY NUMBER")
        except Exception as exc:
            outcome["caught"] = exc
        outcome["next"] = await session.get_variable("X")

    peer, outcome = await run_one(
        make_server,
        handler,
        [Step("SAY NUMBER", reply), Step('GET VARIABLE "X"', "200 result=1 (after)\n")],
    )
    assert peer.errors == []
    assert type(outcome["caught"]) is error
    assert outcome["next"] == "after"
    if "Usage:" in reply:
        caught = outcome["caught"]
        assert isinstance(caught, AgiUsageError) and "Usage: SAY NUMBER" in caught.usage


async def test_hangup_line_before_get_data_reply_raises_agi_hangup_and_dead_commands_still_work(
    make_server: ServerFactory,
) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        try:
            await session.get_data("menu", 5000, 1)
        except AgiHangup as exc:
            outcome["hangup"] = exc
        outcome["hung_up"] = session.hung_up
        await session.set_variable("CC_IVR_PATH", "menu")
        try:
            await session.stream_file("bye")
        except AgiHangup as exc:
            outcome["second"] = exc

    peer, outcome = await run_one(
        make_server,
        handler,
        [
            Step('GET DATA "menu" "5000" "1"', "HANGUP\n200 result=-1\n"),
            Step('SET VARIABLE "CC_IVR_PATH" "menu"', "200 result=1\n"),
        ],
    )
    assert peer.errors == []
    assert isinstance(outcome["hangup"], AgiHangup)
    assert outcome["hung_up"]
    assert isinstance(outcome["second"], AgiHangup)
    assert not any(raw.startswith(b"STREAM FILE") for raw in peer.received)


async def test_minus_one_without_hangup_line_is_confirmed_by_a_probe(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        await session.wait_for_digit(5000)

    peer, outcome = await run_one(
        make_server,
        handler,
        [
            Step('WAIT FOR DIGIT "5000"', "200 result=-1\n"),
            Step(
                "CHANNEL STATUS", "HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n"
            ),
        ],
    )
    assert peer.errors == []
    assert isinstance(outcome["error"], AgiHangup)
    assert outcome["stats"].hung_up == 1


async def test_minus_one_on_a_live_channel_is_a_command_failure(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        try:
            await session.stream_file("no-such-prompt")
        except AgiCommandFailed as exc:
            outcome["failed"] = exc
        await session.hangup()

    peer, outcome = await run_one(
        make_server,
        handler,
        [
            Step('STREAM FILE "no-such-prompt" ""', "200 result=-1 endpos=0\n"),
            Step("CHANNEL STATUS", "200 result=6\n"),
            Step("HANGUP", "200 result=1\n"),
        ],
    )
    assert peer.errors == []
    assert isinstance(outcome["failed"], AgiCommandFailed)
    assert "no-such-prompt" in str(outcome["failed"].command) or outcome["failed"].reply is not None


async def test_socket_closed_mid_command_raises_agi_hangup(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        await session.answer()
        await session.get_data("menu", 5000, 2)

    peer, outcome = await run_one(
        make_server,
        handler,
        [Step("ANSWER", "200 result=0\n"), Step(ANY, close=True)],
    )
    assert peer.errors == []
    assert isinstance(outcome["error"], AgiHangup)
    assert outcome["stats"].hung_up == 1


async def test_hangup_helper_never_raises_after_the_caller_left(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        await session.hangup()
        outcome["after_first"] = session.hung_up
        await session.hangup()

    peer, outcome = await run_one(make_server, handler, [Step("HANGUP", "200 result=1\nHANGUP\n")])
    assert peer.errors == []
    assert outcome["after_first"]
    assert "error" not in outcome
    assert peer.commands == ["HANGUP"]


async def test_reply_timeout_raises_and_closes_the_session(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        await session.answer()

    peer, outcome = await run_one(make_server, handler, [Step("ANSWER")], command_timeout=0.2)
    assert type(outcome["error"]).__name__ == "AgiTimeout"
    assert peer.closed_by_server
    assert outcome["stats"].failed == 1


async def test_unicode_caller_name_and_args_reach_the_handler(make_server: ServerFactory) -> None:
    seen: dict[str, Any] = {}

    async def route(session: AgiSession) -> None:
        seen["env"] = session.env

    server = await make_server({"ivr": route})
    block = env_block(calleridname="欧阳娜娜", args=["甲", "b c"])
    peer = await ScriptedAsterisk(server.bound_port, [], env=block).run()
    assert peer.closed_by_server
    assert seen["env"].calleridname == "欧阳娜娜"
    assert seen["env"].args == ("甲", "b c")


@pytest.mark.parametrize(
    ("junk", "options", "warning", "count"),
    [
        ("what is this\n\x00\xff\n200 no result\n", {}, "malformed AGI line", 3),
        ("200 result=1 (" + "x" * 5000 + ")\n", {"max_line_bytes": 1024}, "over the reader limit", 1),
    ],
    ids=["malformed", "over-long"],
)
async def test_bad_reply_lines_are_logged_and_skipped(
    make_server: ServerFactory,
    caplog: pytest.LogCaptureFixture,
    junk: str,
    options: dict[str, Any],
    warning: str,
    count: int,
) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        outcome["value"] = await session.get_variable("X")

    with caplog.at_level(logging.WARNING, logger="telephony.agi"):
        peer, outcome = await run_one(
            make_server, handler, [Step('GET VARIABLE "X"', junk + "200 result=1 (ok)\n")], **options
        )
    assert peer.errors == []
    assert outcome["value"] == "ok"
    assert sum(warning in record.getMessage() for record in caplog.records) == count


async def test_concurrent_commands_on_one_session_are_serialised(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        outcome["values"] = await asyncio.gather(*(session.get_variable(f"V{n}") for n in range(3)))

    peer, outcome = await run_one(
        make_server,
        handler,
        [Step(f'GET VARIABLE "V{n}"', f"200 result=1 (v{n})\n") for n in range(3)],
    )
    assert peer.errors == []
    assert outcome["values"] == ["v0", "v1", "v2"]


async def test_after_a_reply_timeout_the_connection_refuses_commands(make_server: ServerFactory) -> None:
    async def handler(session: AgiSession, outcome: Outcome) -> None:
        try:
            await session.answer()
        except AgiError as exc:
            outcome["first"] = exc
        await session.set_variable("X", "1")

    peer, outcome = await run_one(make_server, handler, [Step("ANSWER")], command_timeout=0.2)
    assert type(outcome["first"]).__name__ == "AgiTimeout"
    assert "unusable" in str(outcome["error"])
    assert peer.commands == ["ANSWER"]
