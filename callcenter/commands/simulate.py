"""``callcenter simulate``: place simulated callers through the PBX and report how each call went."""

from __future__ import annotations

import asyncio
import contextlib
import time

import typer

from bus import Subscription
from config.settings import get_settings
from telephony.ami import AmiError
from telephony.pbx.simulate import caller_originate
from telephony.tracker import CallEnded


def simulate(
    calls: int = typer.Option(1, "--calls", "-c", min=1, max=500, help="How many callers."),
    did: str = typer.Option("4100", help="The number they dial (the [inbound] extension)."),
    number: str = typer.Option("13800138000", help="The caller's number (the first caller's; +1 each)."),
    name: str = typer.Option("张三丰", help="The caller's name."),
    dtmf: str = typer.Option("", help="Digits the caller keys after answering (e.g. '1w2#')."),
    talk: float = typer.Option(5.0, min=0, help="Seconds the caller stays after keying."),
    wait: float = typer.Option(120.0, min=1, help="Seconds to wait for every call to end."),
) -> None:
    """Place simulated callers into the PBX (the bundled one by default) and print each call's outcome."""
    try:
        ended = asyncio.run(_place(calls, did, number, name, dtmf, talk, wait))
    except (AmiError, TimeoutError) as exc:
        ami = get_settings().ami
        reason = str(exc) or "no answer"
        typer.echo(f"error: no AMI link to {ami.host}:{ami.port} ({reason}); is the PBX up?", err=True)
        raise typer.Exit(1) from exc
    for call in ended:
        who = call.answered_by.channel if call.answered_by else "nobody"
        typer.echo(f"{call.caller.number:<14} {call.caller.name:<8} answered by {who:<28} {call.reason}")
    if len(ended) < calls:
        typer.echo(f"error: {calls - len(ended)} of {calls} calls had not ended after {wait:g} s", err=True)
        raise typer.Exit(1)


async def _place(
    calls: int, did: str, number: str, name: str, dtmf: str, talk: float, wait: float
) -> list[CallEnded]:
    from callcenter.platform import build_platform

    platform = build_platform(get_settings(), ami=True, record_calls=False)
    assert platform.telephony is not None
    numbers = {_nth_number(number, i) for i in range(calls)}
    ended: list[CallEnded] = []

    async def collect(subscription: Subscription[CallEnded]) -> None:
        async for event in subscription:
            if event.caller.number in numbers:
                ended.append(event)
                if len(ended) >= calls:
                    return

    async with platform.running():
        ami = platform.telephony.ami
        subscription = platform.bus.subscribe("simulate", CallEnded)
        await ami.wait_connected(timeout=10)
        started = time.monotonic()
        for i in range(calls):
            action = caller_originate(did, number=_nth_number(number, i), name=name, dtmf=dtmf, talk=talk)
            await ami.send_action(action.pop("Action"), action)
        left = max(1.0, wait - (time.monotonic() - started))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(collect(subscription), timeout=left)
        subscription.close()
    return ended


def _nth_number(first: str, i: int) -> str:
    """The i-th caller's number: ``first`` + i, keeping a leading ``+`` and the width."""
    digits = first.lstrip("+")
    if not digits.isdigit():
        return first
    return first[: len(first) - len(digits)] + str(int(digits) + i).zfill(len(digits))
