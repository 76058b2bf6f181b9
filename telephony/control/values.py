"""Checks on what goes into AMI headers, so bad input is one ``InvalidRequest`` before sending."""

from __future__ import annotations

import re
from collections.abc import Mapping

from telephony.control.errors import InvalidRequest

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\([^()\r\n,]*\))?$")
_NUMBER = re.compile(r"^\+?[0-9*#]*$")


def text(what: str, value: str, *, empty: bool = False) -> str:
    """``value`` unchanged when it fits one header line (and is non-empty unless ``empty``)."""
    if not empty and not value:
        raise InvalidRequest(f"{what} must not be empty")
    if any(c in value for c in "\r\n\0"):
        raise InvalidRequest(f"{what} {value[:80]!r} must not contain line breaks")
    return value


def channel(value: str) -> str:
    """A channel name such as ``Local/1001@agent-phones-0000001a;1`` or ``PJSIP/1001-00000003``."""
    text("channel", value)
    if " " in value or "," in value:
        raise InvalidRequest(f"channel {value[:80]!r} must not contain blanks or commas")
    return value


def variable_name(value: str) -> str:
    """A channel variable (``CC_NEXT``, ``__INHERITED``) or a function (``CALLERID(num)``)."""
    name = value.lstrip("_")
    if not _NAME.match(name):
        raise InvalidRequest(f"variable name {value[:80]!r}: letters, digits and _, or FUNC(args)")
    return value


def variables(values: Mapping[str, str]) -> list[str]:
    """``NAME=value`` items for repeated ``Variable`` headers. Asterisk splits each header like
    application arguments (on commas, dropping double quotes and backslashes), so backslashes,
    commas and double quotes are sent backslash-escaped and arrive intact (verified on Asterisk 22)."""
    items = []
    for name, value in values.items():
        variable_name(name)
        text(f"variable {name}", value, empty=True)
        escaped = value.replace("\\", "\\\\").replace(",", "\\,").replace('"', '\\"')
        items.append(f"{name}={escaped}")
    return items


def callerid(name: str | None, number: str | None) -> str:
    """``"name" <number>`` (Originate's ``CallerID``); Unicode names pass as UTF-8."""
    name = name or ""
    number = number or ""
    if any(c in name for c in '"<>\r\n\0'):
        raise InvalidRequest(f'caller name {name!r}: must not contain ", <, > or line breaks')
    if not _NUMBER.match(number):
        raise InvalidRequest(f"caller number {number!r}: digits, *, # and a leading + only")
    return f'"{name}" <{number}>' if name else f"<{number}>"
