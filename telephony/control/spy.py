"""Supervision: call a supervisor's phone and let it run ``ChanSpy`` on a channel, listening
(``q``), whispering to the spied-on party (``qw``) or barging into the call (``qB``); ``E`` ends
the spy when the spied-on channel hangs up."""

from __future__ import annotations

from telephony.control import values
from telephony.control.awaiting import EventWatch
from telephony.control.errors import ControlTimeout
from telephony.control.hangup import hangup
from telephony.control.originate import ApplicationTarget, originate
from telephony.control.port import AmiPort
from telephony.control.results import Spying, SpyMode
from telephony.control.variables import get_variable

SPY_START_TIMEOUT = 5.0


async def spy(
    ami: AmiPort,
    supervisor: str,
    spyee: str,
    *,
    mode: SpyMode = SpyMode.LISTEN,
    caller_id_name: str | None = None,
    caller_id_number: str | None = None,
    timeout: float = 30.0,  # noqa: ASYNC109
) -> Spying:
    """Ring ``supervisor`` (a channel to call, e.g. ``Local/1009@agent-phones``); once answered it
    spies on ``spyee`` (a channel name). Returns on ChanSpyStart. ``NoSuchChannel`` when ``spyee``
    is gone, ``OriginateFailed`` when the supervisor does not answer."""
    values.channel(spyee)
    await get_variable(ami, "CHANNEL(name)", channel=spyee)  # NoSuchChannel before ringing anyone
    async with EventWatch(ami, "ChanSpyStart") as watch:
        placed = await originate(
            ami,
            supervisor,
            ApplicationTarget("ChanSpy", f"{spyee},{mode.options}"),
            caller_id_name=caller_id_name,
            caller_id_number=caller_id_number,
            timeout=timeout,
        )
        started = await watch.wait(lambda m: m.get("SpyerChannel") == placed.channel, SPY_START_TIMEOUT)
    if started is None:
        await hangup(ami, placed.channel)
        raise ControlTimeout(
            f"ChanSpy on {spyee} did not start within {SPY_START_TIMEOUT:g}s", details={"spyee": spyee}
        )
    return Spying(
        mode=mode,
        spyer=placed.channel,
        spyer_uniqueid=placed.uniqueid,
        spyee=started.get("SpyeeChannel", spyee),
        spyee_uniqueid=started.get("SpyeeUniqueid", ""),
    )
