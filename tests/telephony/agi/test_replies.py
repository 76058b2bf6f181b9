"""Reply parsing: every form Asterisk 22 sends (from the reference list), errors, HANGUP, 100."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from telephony.agi import (
    AgiCommandInvalid,
    AgiDeadChannel,
    AgiHangup,
    AgiProtocolError,
    AgiReply,
    AgiUsageError,
    HangupSignal,
    MalformedLine,
    ProgressReply,
    ReplyAssembler,
    parse_success,
)

REFERENCE = Path(__file__).parent / "data" / "agi_command_responses_asterisk22.json"

# Values substituted into Asterisk's printf formats; %s data deliberately holds spaces, parentheses
# and Chinese text.
SAMPLES = {"%d": "-1", "%u": "6", "%c": "1", "%ld": "16000", "%s": "Hello (world) 张三 (x"}
DIGITS = "42"
"""A ``%s`` result (GET DATA) carries the digits collected."""


def _reference_formats() -> list[tuple[str, str]]:
    entries = json.loads(REFERENCE.read_text(encoding="utf-8"))
    formats = []
    for entry in entries:
        for fmt in entry["sends"]:
            formats.append((entry["command"], fmt.replace("\\n", "")))
    return formats


def _expected(fmt: str) -> dict[str, object]:
    """What the reply must parse to, worked out from the format string itself."""
    match = re.fullmatch(r"200 result=(%\w+|-?\d+)(?: \((%s|\w+)\))?(?: (.*))?", fmt)
    assert match, fmt
    result_fmt, data_fmt, tail = match.groups()
    endpos = SAMPLES["%ld"] if tail and "endpos=%ld" in tail else None
    return {
        "result": DIGITS if result_fmt == "%s" else SAMPLES.get(result_fmt, result_fmt),
        "data": None if data_fmt is None else SAMPLES.get(data_fmt, data_fmt),
        "endpos": None if endpos is None else int(endpos),
    }


def _fill(fmt: str) -> str:
    fmt = fmt.replace("result=%s", f"result={DIGITS}")
    return re.sub(r"%(?:ld|d|u|c|s)", lambda m: SAMPLES[m.group(0)], fmt)


@pytest.mark.parametrize(("command", "fmt"), _reference_formats())
def test_every_reference_reply_form_parses(command: str, fmt: str) -> None:
    line = _fill(fmt)
    item = ReplyAssembler().feed(line + "\n")

    assert isinstance(item, AgiReply), (command, line)
    expected = _expected(fmt)
    assert item.code == 200
    assert item.result == expected["result"]
    assert item.data == expected["data"]
    assert item.endpos == expected["endpos"]
    assert item.raise_for_error() is item


def test_reference_covers_the_forms_we_rely_on() -> None:
    formats = {fmt for _, fmt in _reference_formats()}
    assert "200 result=%s (timeout)" in formats
    assert "200 result=%d endpos=%ld" in formats
    assert "200 result=1 (%s)" in formats
    assert "200 result=%d (timeout) endpos=%ld" in formats


@pytest.mark.parametrize(
    ("line", "result", "data", "endpos"),
    [
        ("200 result=0", "0", None, None),
        ("200 result=42", "42", None, None),
        ("200 result=", "", None, None),
        ("200 result= (timeout)", "", "timeout", None),
        ("200 result=4 (timeout)", "4", "timeout", None),
        ("200 result=49 endpos=8000", "49", None, 8000),
        ("200 result=-1 endpos=0", "-1", None, 0),
        ("200 result=1 ()", "1", "", None),
        ("200 result=1 (a (b) c)", "1", "a (b) c", None),
        ("200 result=1 (x) endpos=5)", "1", "x) endpos=5", None),
        ("200 result=1 (unbalanced ()", "1", "unbalanced (", None),
        ("200 result=1 (no closing", "1", None, None),
        ("200 result=0 (timeout) endpos=123", "0", "timeout", 123),
        ("200 result=1 (speech) endpos=9 results=2 extra words", "1", "speech", 9),
        ("200 result=1 (digit) digit=5 endpos=77", "1", "digit", 77),
        ("200 result=1 (张三丰 (VIP))", "1", "张三丰 (VIP)", None),
        ("200 result=0 endpos=notanumber", "0", None, None),
    ],
)
def test_success_line_forms(line: str, result: str, data: str | None, endpos: int | None) -> None:
    reply = parse_success(line)
    assert reply is not None
    assert (reply.result, reply.data, reply.endpos) == (result, data, endpos)


def test_digit_token_after_data_is_kept_in_extra() -> None:
    reply = parse_success("200 result=1 (digit) digit=5 endpos=77")
    assert reply is not None
    assert reply.extra == {"digit": "5", "endpos": "77"}


def test_timed_out_and_result_int() -> None:
    reply = parse_success("200 result=4 (timeout)")
    assert reply is not None and reply.timed_out and reply.result_int == 4
    empty = parse_success("200 result= (timeout)")
    assert empty is not None
    with pytest.raises(AgiProtocolError):
        _ = empty.result_int


def test_510_maps_to_command_invalid() -> None:
    item = ReplyAssembler().feed("510 Invalid or unknown command\n")
    assert isinstance(item, AgiReply) and item.code == 510
    with pytest.raises(AgiCommandInvalid):
        item.raise_for_error("FOO")


@pytest.mark.parametrize(
    "line",
    [
        "511 Command Not Permitted on a dead channel or intercept routine",
        "511 Command Not Permitted on a dead channel",
    ],
)
def test_511_maps_to_dead_channel_which_is_a_hangup(line: str) -> None:
    item = ReplyAssembler().feed(line)
    assert isinstance(item, AgiReply) and item.code == 511
    with pytest.raises(AgiDeadChannel) as caught:
        item.raise_for_error("STREAM FILE")
    assert isinstance(caught.value, AgiHangup)


def test_single_line_520_is_a_usage_error_without_usage() -> None:
    item = ReplyAssembler().feed("520 Invalid command syntax.  Proper usage not available.\n")
    assert isinstance(item, AgiReply)
    with pytest.raises(AgiUsageError) as caught:
        item.raise_for_error()
    assert caught.value.usage == ""


def test_multi_line_520_block_is_one_reply_with_its_usage_text() -> None:
    assembler = ReplyAssembler()
    lines = [
        "520-Invalid command syntax.  Proper usage follows:",
        " Usage: GET DATA <file to be streamed> [timeout] [max digits]",
        "",
        "200 result=0 looks like a reply but is usage text",
        "520 End of proper usage.",
    ]
    items = [assembler.feed(line + "\n") for line in lines]
    assert items[:-1] == [None, None, None, None]
    reply = items[-1]
    assert isinstance(reply, AgiReply) and reply.code == 520
    assert reply.text.startswith("520-Invalid command syntax")
    assert "Usage: GET DATA" in reply.usage and "looks like a reply" in reply.usage
    with pytest.raises(AgiUsageError) as caught:
        reply.raise_for_error("GET DATA")
    assert "Usage: GET DATA" in caught.value.usage
    assert not assembler.in_block
    assert isinstance(assembler.feed("200 result=1\n"), AgiReply)


def test_usage_text_without_final_newline_still_ends_the_block() -> None:
    assembler = ReplyAssembler()
    assert assembler.feed("520-Invalid command syntax.  Proper usage follows:\n") is None
    reply = assembler.feed(" Usage: ANSWER520 End of proper usage.\n")
    assert isinstance(reply, AgiReply) and reply.usage == " Usage: ANSWER"


def test_hangup_line_is_a_signal_not_a_reply() -> None:
    assert isinstance(ReplyAssembler().feed("HANGUP\n"), HangupSignal)


def test_progress_line_precedes_a_gosub_reply() -> None:
    assembler = ReplyAssembler()
    assert isinstance(assembler.feed("100 result=0 Trying...\n"), ProgressReply)
    final = assembler.feed("200 result=0 Gosub complete\n")
    assert isinstance(final, AgiReply) and final.result == "0"


@pytest.mark.parametrize("line", ["", "garbage", "200 something", "999 what", "\x00\xff", "20"])
def test_malformed_lines_are_reported_not_raised(line: str) -> None:
    item = ReplyAssembler().feed(line + "\n")
    assert isinstance(item, MalformedLine)
