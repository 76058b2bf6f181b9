"""Command lines: quoting that Asterisk's argument splitter reads back exactly, UTF-8, LF only."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.agi import encode_command, format_command, quote
from telephony.agi.commands import MAX_COMMAND_BYTES


def asterisk_parse_args(line: str) -> list[str]:
    """A transcription of res_agi.c ``parse_args``: how Asterisk splits a command line."""
    args: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    whitespace = True
    for char in line:
        if char == '"' and not escaped:
            quoted = not quoted
            if quoted and whitespace:
                current = []
                args.append("")
                whitespace = False
            escaped = False
            continue
        if char in " \t" and not quoted and not escaped:
            if current is not None and not whitespace:
                args[-1] = "".join(current)
            whitespace = True
            current = None
            continue
        if char == "\\" and not escaped:
            escaped = True
            continue
        if whitespace:
            current = []
            args.append("")
            whitespace = False
        assert current is not None
        current.append(char)
        args[-1] = "".join(current)
        escaped = False
    return args


def test_oracle_matches_known_asterisk_splits() -> None:
    assert asterisk_parse_args('GET DATA "beep" 3000 4') == ["GET", "DATA", "beep", "3000", "4"]
    assert asterisk_parse_args('STREAM FILE welcome ""') == ["STREAM", "FILE", "welcome", ""]
    assert asterisk_parse_args(r'VERBOSE "say \"hi\"" 1') == ["VERBOSE", 'say "hi"', "1"]


def test_arguments_are_quoted_and_escaped() -> None:
    assert quote("hello world") == '"hello world"'
    assert quote("") == '""'
    assert quote('say "hi"') == r'"say \"hi\""'
    assert quote("C:\\path") == r'"C:\\path"'
    assert quote(3000) == '"3000"'


def test_command_line_is_verb_then_quoted_arguments() -> None:
    assert format_command("GET DATA", ["custom/menu", 5000, 4]) == 'GET DATA "custom/menu" "5000" "4"'
    assert format_command("ANSWER") == "ANSWER"


def test_encoded_command_is_utf8_and_lf_terminated_only() -> None:
    data = encode_command("VERBOSE", ["来电 张三丰", 1])
    assert data == 'VERBOSE "来电 张三丰" "1"\n'.encode()
    assert not data.endswith(b"\r\n")


@pytest.mark.parametrize("bad", ["two\nlines", "carriage\rreturn"])
def test_line_breaks_in_arguments_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        encode_command("VERBOSE", [bad])


def test_over_long_commands_are_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        encode_command("VERBOSE", ["x" * MAX_COMMAND_BYTES])


def test_verb_with_quote_or_newline_is_refused() -> None:
    for verb in ["", "ANSWER\n", 'GET "X"']:
        with pytest.raises(ValueError):
            format_command(verb)


_ARG_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=["Cs"]), max_size=30
)


@given(st.lists(_ARG_TEXT, max_size=6))
def test_asterisk_reads_back_exactly_the_arguments_sent(args: list[str]) -> None:
    line = encode_command("SET VARIABLE", args).decode("utf-8").removesuffix("\n")
    assert asterisk_parse_args(line) == ["SET", "VARIABLE", *args]
