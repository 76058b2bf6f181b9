"""Channel and global variables (AMI ``Setvar``, ``Getvar``); dialplan functions work too
(``CALLERID(num)``, ``CHANNEL(language)``)."""

from __future__ import annotations

from telephony.control import values
from telephony.control.port import AmiPort
from telephony.control.results import VariableSet, VariableValue
from telephony.control.send import send


async def set_variable(ami: AmiPort, name: str, value: str, *, channel: str | None = None) -> VariableSet:
    """Set ``name`` on ``channel`` (a global variable when ``None``). ``NoSuchChannel``."""
    headers = {
        "Variable": values.variable_name(name),
        "Value": values.text(f"value of {name}", value, empty=True),
    }
    if channel is not None:
        headers["Channel"] = values.channel(channel)
    await send(ami, "Setvar", headers, subject=channel or name)
    return VariableSet(name=name, value=value, channel=channel)


async def get_variable(ami: AmiPort, name: str, *, channel: str | None = None) -> VariableValue:
    """The value of ``name`` on ``channel`` (global when ``None``); empty when unset. ``NoSuchChannel``."""
    headers = {"Variable": values.variable_name(name)}
    if channel is not None:
        headers["Channel"] = values.channel(channel)
    reply = await send(ami, "Getvar", headers, subject=channel or name)
    return VariableValue(name=name, value=reply.response.get("Value", ""), channel=channel)
