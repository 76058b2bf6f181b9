"""Building AGI command lines: quoting, UTF-8 encoding, LF termination (CRLF earns a 510).

Asterisk splits a command line on spaces and tabs; a double quote toggles quoting and a backslash
makes the next character literal (res_agi.c ``parse_args``). Every argument is therefore sent
double-quoted with ``"`` and ``\\`` escaped, which also carries empty arguments (``""``).
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_COMMAND_BYTES = 2047
"""Asterisk reads a command into a 2048-byte buffer (AGI_BUF_LEN) including the newline."""


def quote(argument: str | int) -> str:
    """One argument, double-quoted with ``"`` and ``\\`` escaped."""
    text = argument if type(argument) is str else str(argument)
    if '"' not in text and "\\" not in text and "\n" not in text and "\r" not in text:
        return f'"{text}"'  # the common case: nothing to escape
    if "\n" in text or "\r" in text:
        raise ValueError(f"AGI argument must not contain a line break: {text[:40]!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_command(verb: str, args: Iterable[str | int] = ()) -> str:
    """``format_command("GET DATA", ["beep", 3000, 4])`` → ``GET DATA "beep" "3000" "4"``."""
    if not verb or "\n" in verb or "\r" in verb or '"' in verb:
        raise ValueError(f"invalid AGI command verb: {verb!r}")
    line = verb.strip()
    for arg in args:
        line += " " + quote(arg)
    return line


def encode_command(verb: str, args: Iterable[str | int] = ()) -> bytes:
    """The command line as bytes to send: UTF-8, LF-terminated, at most ``MAX_COMMAND_BYTES``."""
    return encode_line(format_command(verb, args))


def encode_line(line: str) -> bytes:
    """A line made by ``format_command`` as bytes to send (see ``encode_command``)."""
    data = (line + "\n").encode("utf-8")
    if len(data) > MAX_COMMAND_BYTES:
        raise ValueError(f"AGI command is {len(data)} bytes, over Asterisk's limit of {MAX_COMMAND_BYTES}")
    return data
