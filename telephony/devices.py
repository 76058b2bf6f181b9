"""Device states from AMI ``DeviceStateChange``, as frozen facts for the platform's bus.

``device_state_change(event)`` reads the event (the only place that reads its headers) and names
the agent extension the device belongs to (``Local/<ext>@agent-phones`` or ``PJSIP/<ext>``), so the
ACD can keep an agent whose phone is busy outside its calls from being offered one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from telephony.ami import Message
from telephony.channels import AGENT_PHONE_CONTEXT

log = logging.getLogger(__name__)

#: Asterisk's device states (ast_devstate_str), lower-cased
STATES = frozenset({"unknown", "not_inuse", "inuse", "busy", "invalid", "unavailable", "ringing",
                    "ringinuse", "onhold"})
_DEVICE = re.compile(
    rf"^(?:Local/(?P<local>[0-9A-Za-z_+-]+)@{AGENT_PHONE_CONTEXT}|(?:PJSIP|SIP|IAX2)/(?P<ep>[0-9]+))$"
)


@dataclass(frozen=True, slots=True)
class DeviceStateChange:
    device: str
    """As Asterisk names it: ``Local/1001@agent-phones``, ``PJSIP/1001``, ``Queue:fallback_avail``."""
    state: str
    """One of ``STATES``."""
    extension: str | None = None
    """The agent extension of the device, or ``None`` for other devices."""


def device_extension(device: str) -> str | None:
    match = _DEVICE.match(device)
    if match is None:
        return None
    return match.group("local") or match.group("ep")


def device_state_change(event: Message) -> DeviceStateChange | None:
    """The fact in a ``DeviceStateChange`` event; ``None`` (logged) when it is malformed."""
    device = event.get("Device", "")
    state = event.get("State", "").strip().lower()
    if not device or state not in STATES:
        log.warning("DeviceStateChange without a device or with an unknown state: %r %r", device, state)
        return None
    return DeviceStateChange(device=device, state=state, extension=device_extension(device))
