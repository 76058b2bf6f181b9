"""Serialising actions to the wire."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

HeaderValue = str | int | float | bool | Iterable[str]
"""A header value; an iterable of strings sends the header once per item (``Variable``)."""


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def format_action(name: str, headers: Mapping[str, HeaderValue], action_id: str) -> bytes:
    """``Action: name`` + ``ActionID`` + headers, CRLF-terminated, as UTF-8.

    Raises ``ValueError`` when a key or value would break the framing (line breaks, colon in key).
    """
    lines = [f"Action: {name}", f"ActionID: {action_id}"]
    for key, value in headers.items():
        if not key or ":" in key or "\n" in key or "\r" in key or key.lower() in ("action", "actionid"):
            raise ValueError(f"invalid AMI header name {key!r}")
        values = [value] if isinstance(value, str | int | float | bool) else list(value)
        for item in values:
            text = _text(item)
            if "\n" in text or "\r" in text:
                raise ValueError(f"AMI header {key!r} contains a line break")
            lines.append(f"{key}: {text}")
    if "\n" in name or "\r" in name:
        raise ValueError("action name contains a line break")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def md5_key(challenge: str, secret: str) -> str:
    """The ``Key`` of an MD5 login: md5(challenge + secret) in hex."""
    return hashlib.md5((challenge + secret).encode("utf-8"), usedforsecurity=False).hexdigest()
