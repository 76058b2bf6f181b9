"""Hangup with a Q.850 cause (16 normal clearing, 17 busy, 21 rejected, ...)."""

from __future__ import annotations

from telephony.control import values
from telephony.control.errors import InvalidRequest
from telephony.control.port import AmiPort
from telephony.control.results import HungUp
from telephony.control.send import send

NORMAL_CLEARING = 16
USER_BUSY = 17
CALL_REJECTED = 21


async def hangup(ami: AmiPort, channel: str, *, cause: int = NORMAL_CLEARING) -> HungUp:
    """Hang ``channel`` up; its Hangup event carries ``cause``. ``NoSuchChannel`` when it is gone."""
    if not 1 <= cause <= 127:
        raise InvalidRequest(f"hang-up cause {cause!r}: a Q.850 cause between 1 and 127")
    await send(ami, "Hangup", {"Channel": values.channel(channel), "Cause": str(cause)}, subject=channel)
    return HungUp(channel=channel, cause=cause)
