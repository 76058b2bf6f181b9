"""Pure builders of the AMI actions that drive the bundled PBX's simulated callers and agent phones.

No I/O: each function returns the headers of one AMI action as a ``dict`` (send them in order;
``ActionID`` only when given). Channel variables travel in ONE ``Variable`` header, comma-separated
(``Variable: SIM_DELAY=1,SIM_DTMF=42#,SIM_TALK=5``): Asterisk splits it on commas, exactly as it
would accept repeated ``Variable:`` headers, so values must not contain commas (checked here).

How the variables reach the simulated caller: Originate sets them on the ``;1`` half of the Local
channel; when the Local channel is called, Asterisk copies ``;1``'s variables to the ``;2`` half,
which runs [sim-caller]. Names are plain (no ``_``/``__`` inheritance prefix), so they do not leak
further, e.g. into the agent phones the ``;1`` side is later queued to (verified against the running
Asterisk in tests/telephony/pbx/test_simulated_calls.py). The ``;1`` half, which carries the caller
ID, enters ``context``/``did`` (default [inbound]) once ``;2`` answers; DTMF sent by ``;2`` arrives on
``;1``, i.e. at the IVR.
"""

from __future__ import annotations

import re

from telephony.control import values

CALLER_CONTEXT = "sim-caller"
HOLD_CONTEXT = "sim-hold"
AGENT_PHONES_CONTEXT = "agent-phones"
INBOUND_CONTEXT = "inbound"
AGENT_PHONE_MODES = ("answer", "noanswer", "busy")

_EXTEN = re.compile(r"^(?:\+?[0-9]+|[a-z][a-z0-9_-]*)$")
_DTMF = re.compile(r"^[0-9A-Da-d*#wW]*$")


def caller_originate(
    did: str,
    *,
    number: str,
    name: str,
    dtmf: str = "",
    delay: float = 1,
    talk: float = 5,
    action_id: str | None = None,
    context: str = INBOUND_CONTEXT,
    timeout: float = 30,
) -> dict[str, str]:
    """Originate a simulated caller ``"name" <number>`` dialling ``did`` into ``context``.

    The caller answers, waits ``delay`` s, sends ``dtmf`` (digits, ``*``, ``#``, ``w`` = 0.5 s pause),
    stays ``talk`` s more and hangs up (earlier if the other side hangs up).
    """
    _check_exten("did", did)
    _check_exten("context", context)
    if not _DTMF.match(dtmf):
        raise ValueError(f"dtmf {dtmf!r}: only 0-9, A-D, *, # and w are allowed")
    variables = {"SIM_DELAY": _seconds("delay", delay), "SIM_TALK": _seconds("talk", talk)}
    if dtmf:
        variables["SIM_DTMF"] = dtmf
    return _originate(
        channel=f"Local/s@{CALLER_CONTEXT}",
        context=context,
        exten=did,
        callerid=callerid(name, number),
        variables=variables,
        timeout=timeout,
        action_id=action_id,
    )


def hold_originate(
    *,
    number: str,
    name: str,
    hold: float = 30,
    context: str = HOLD_CONTEXT,
    exten: str = "s",
    action_id: str | None = None,
    timeout: float = 30,
) -> dict[str, str]:
    """Originate a plain answered call: ``Local/s@sim-hold`` answers and holds ``hold`` s.

    Its ``;1`` half (caller ID ``"name" <number>``) goes to ``context``/``exten``; by default that is
    [sim-hold] too, so both halves answer and hang up after ``hold`` s.
    """
    _check_exten("exten", exten)
    _check_exten("context", context)
    return _originate(
        channel=f"Local/s@{HOLD_CONTEXT}",
        context=context,
        exten=exten,
        callerid=callerid(name, number),
        variables={"SIM_HOLD": _seconds("hold", hold)},
        timeout=timeout,
        action_id=action_id,
    )


def agent_phone_actions(
    extension: str,
    *,
    mode: str | None = None,
    ring: float | None = None,
    talk: float | None = None,
    action_id_prefix: str | None = None,
) -> list[dict[str, str]]:
    """AMI ``DBPut`` actions that set how the simulated phone ``Local/<extension>@agent-phones``
    behaves (AstDB ``simphone/<extension>/{mode,ring,talk}``); ``mode`` is answer, noanswer or busy."""
    if not extension.isdigit():
        raise ValueError(f"extension {extension!r}: digits only")
    values: dict[str, str] = {}
    if mode is not None:
        if mode not in AGENT_PHONE_MODES:
            raise ValueError(f"mode {mode!r}: one of {', '.join(AGENT_PHONE_MODES)}")
        values["mode"] = mode
    if ring is not None:
        values["ring"] = _seconds("ring", ring)
    if talk is not None:
        values["talk"] = _seconds("talk", talk)
    actions = []
    for index, (key, value) in enumerate(values.items()):
        action = {"Action": "DBPut", "Family": "simphone", "Key": f"{extension}/{key}", "Val": value}
        if action_id_prefix is not None:
            action["ActionID"] = f"{action_id_prefix}-{index}"
        actions.append(action)
    return actions


def callerid(name: str, number: str) -> str:
    """``"name" <number>`` as Originate's ``CallerID`` header; Unicode names pass as UTF-8.

    ``ValueError`` (``telephony.control.InvalidRequest``) for quotes, angle brackets or line
    breaks in the name, or a number that is not digits, ``*``, ``#`` and a leading ``+``."""
    return values.callerid(name, number)


def _originate(
    *,
    channel: str,
    context: str,
    exten: str,
    callerid: str,
    variables: dict[str, str],
    timeout: float,
    action_id: str | None,
) -> dict[str, str]:
    headers = {
        "Action": "Originate",
        "Channel": channel,
        "Context": context,
        "Exten": exten,
        "Priority": "1",
        "CallerID": callerid,
        "Timeout": str(int(timeout * 1000)),
        "Variable": ",".join(f"{key}={value}" for key, value in variables.items()),
        "Async": "true",
    }
    if action_id is not None:
        if any(c in action_id for c in "\r\n"):
            raise ValueError("action_id must not contain line breaks")
        headers["ActionID"] = action_id
    return headers


def _check_exten(what: str, value: str) -> None:
    if not _EXTEN.match(value):
        raise ValueError(f"{what} {value!r}: digits (optional leading +) or a lower-case name")


def _seconds(what: str, value: float) -> str:
    if not 0 <= value <= 86400:
        raise ValueError(f"{what} {value!r}: seconds between 0 and 86400")
    return f"{value:g}"
