"""Facts read from Asterisk channel names, so no other package parses them."""

from __future__ import annotations

import re

AGENT_PHONE_CONTEXT = "agent-phones"
"""The dialplan context of the bundled PBX's simulated agent phones (``Local/<ext>@agent-phones``)."""

_LOCAL_AGENT = re.compile(rf"^Local/(?P<ext>[0-9A-Za-z_+-]+)@{AGENT_PHONE_CONTEXT}-[0-9a-f]+;[12]$")
_ENDPOINT = re.compile(r"^(?:PJSIP|SIP|IAX2)/(?P<ext>[0-9]+)-[0-9a-f]+$")


def agent_extension(channel: str) -> str | None:
    """The agent extension a channel belongs to, or ``None`` for callers and internal legs.

    ``Local/1001@agent-phones-0000001a;1`` and ``PJSIP/1001-0000000a`` (a numeric endpoint, which is
    how agents' softphones are named) give ``"1001"``; ``Local/s@sim-caller-...;1`` gives ``None``.
    """
    match = _LOCAL_AGENT.match(channel) or _ENDPOINT.match(channel)
    return match.group("ext") if match else None
