"""Transfers, pickups and other call shapes played on the bundled PBX, for the call tracker.

Each scenario drives simulated phones through ``telephony.control`` (the callers are
``Local/s@sim-hold`` halves dialling agent phones ``Local/<ext>@agent-phones`` through [sim-call]),
and ``capture`` keeps only the AMI events of the scenario's own calls (the PBX is shared with other
test sessions). ``python -m tests.telephony.tracker.scenarios`` records them all into
``tests/data/ami/bundled/<name>.json``; tests/telephony/tracker/test_bundled.py replays the
recordings and plays the scenarios live, with the same expectations.

Run the recorder with the test instance up (``pytest tests/telephony/tracker -m pbx`` leaves it up
while another session uses it, or ``callcenter pbx up`` with the test settings)::

    .venv/bin/python -m tests.telephony.tracker.scenarios [name ...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from telephony.ami import AmiClient, Message
from telephony.control import (
    DialplanTarget,
    NoSuchChannel,
    NotBridged,
    attended_transfer,
    blind_transfer,
    bridge_peer,
    db_put,
    hangup,
    originate,
)
from tests.telephony.ami.pbxtools import wait_until

OUT = Path(__file__).resolve().parents[2] / "data" / "ami" / "bundled"
DEADLINE = 40.0
DROPPED = frozenset({"VarSet", "RTCPSent", "RTCPReceived", "DeviceStateChange", "Cdr", "CEL"})


@dataclass
class Marks:
    """What identifies a scenario's calls among everybody's: its caller numbers and extensions."""

    numbers: set[str] = field(default_factory=set)
    extensions: set[str] = field(default_factory=set)
    channels: dict[str, str] = field(default_factory=dict)
    """Role -> channel name (caller, agent, target, picker), for the live checks."""

    def number(self) -> str:
        value = "139" + str(secrets.randbelow(10**8)).zfill(8)
        self.numbers.add(value)
        return value

    def extension(self) -> str:
        value = str(20000 + secrets.randbelow(70000))
        self.extensions.add(value)
        return value

    def matches(self, event: Mapping[str, str]) -> bool:
        if event.get("CallerIDNum", "").removeprefix("+31") in self.numbers:
            return True
        if event.get("ConnectedLineNum", "").removeprefix("+31") in self.numbers:
            return True
        channel = event.get("Channel", "")
        return any(channel.startswith(f"Local/{ext}@") for ext in self.extensions)


def capture(events: Iterable[Mapping[str, str]], marks: Marks) -> list[dict[str, str]]:
    """The events of the calls ``marks`` identifies: every Linkedid one of its channels ever had,
    closed over channels moving between calls; bridge creation/destruction of their bridges."""
    events = [e for e in events if e.get("Event") not in DROPPED]
    linked = {e["Linkedid"] for e in events if e.get("Linkedid") and marks.matches(e)}
    while True:
        uids = {e["Uniqueid"] for e in events if e.get("Linkedid") in linked and e.get("Uniqueid")}
        more = {e["Linkedid"] for e in events if e.get("Uniqueid") in uids and e.get("Linkedid")}
        if more <= linked:
            break
        linked |= more

    def mine(event: Mapping[str, str]) -> bool:
        return any(key.endswith("Linkedid") and value in linked for key, value in event.items())

    bridges = {e["BridgeUniqueid"] for e in events if mine(e) and e.get("BridgeUniqueid")}
    return [
        dict(sorted(e.items()))
        for e in events
        if mine(e) or (e.get("Event", "").startswith("Bridge") and e.get("BridgeUniqueid") in bridges)
    ]


def all_hung_up(events: list[dict[str, str]]) -> bool:
    created = {e["Uniqueid"] for e in events if e.get("Event") == "Newchannel"}
    gone = {e["Uniqueid"] for e in events if e.get("Event") == "Hangup"}
    return bool(created) and created <= gone


async def peer_of(ami: AmiClient, channel: str) -> str:
    end = time.monotonic() + DEADLINE
    while True:
        try:
            return await bridge_peer(ami, channel)
        except NotBridged:
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.1)


class Log:
    def __init__(self) -> None:
        self.events: list[dict[str, str]] = []

    def __call__(self, msg: Message) -> None:
        self.events.append(dict(msg.items()))

    async def wait(self, name: str, where: Callable[[Mapping[str, str]], bool]) -> dict[str, str]:
        found: list[dict[str, str]] = []

        def probe() -> bool:
            found[:] = [e for e in self.events if e.get("Event") == name and where(e)]
            return bool(found)

        await wait_until(probe, DEADLINE, name)
        return found[0]


async def phone(ami: AmiClient, ext: str, *, ring: float = 1, talk: float = 30, mode: str = "answer") -> None:
    """Set how the simulated agent phone ``ext`` behaves (AstDB family simphone)."""
    await db_put(ami, "simphone", f"{ext}/ring", str(ring))
    await db_put(ami, "simphone", f"{ext}/talk", str(talk))
    await db_put(ami, "simphone", f"{ext}/mode", mode)


async def call(
    ami: AmiClient,
    marks: Marks,
    exten: str,
    *,
    context: str = "sim-call",
    hold: int = 40,
    name: str = "测试 caller",
    variables: Mapping[str, str] | None = None,
) -> str:
    """A simulated caller (``Local/s@sim-hold``) sent to ``exten@context``; returns its ``;1``."""
    placed = await originate(
        ami,
        "Local/s@sim-hold",
        DialplanTarget(context, exten),
        caller_id_number=marks.number(),
        caller_id_name=name,
        variables={"SIM_HOLD": str(hold), **(variables or {})},
    )
    marks.channels["caller"] = placed.channel
    return placed.channel


def leg_of(ext: str) -> Callable[[Mapping[str, str]], bool]:
    return lambda e: (
        e.get("Channel", "").startswith(f"Local/{ext}@agent-phones-") and e["Channel"].endswith(";1")
    )


async def two_party(ami: AmiClient, marks: Marks) -> tuple[str, str, str]:
    """Caller connected to agent phone A; returns (caller, agent leg, A)."""
    a = marks.extension()
    await phone(ami, a, talk=60)
    caller = await call(ami, marks, a)
    agent = await peer_of(ami, caller)
    marks.channels["agent"] = agent
    return caller, agent, a


async def attended_transfer_scenario(ami: AmiClient, log: Log, marks: Marks) -> None:
    """Caller talks to agent A; A consults B (B answers), then A hangs up: caller and B talk."""
    _, agent, _ = await two_party(ami, marks)
    b = marks.extension()
    await phone(ami, b, ring=1, talk=3)
    await attended_transfer(ami, agent, exten=b, context="agent-phones")
    target = await log.wait("Newstate", lambda e: leg_of(b)(e) and e.get("ChannelState") == "6")
    marks.channels["target"] = target["Channel"]
    await asyncio.sleep(1)  # A and B talk a moment
    await hangup(ami, agent)


async def blonde_transfer_scenario(ami: AmiClient, log: Log, marks: Marks) -> None:
    """Caller talks to agent A; A calls B and hangs up while B still rings; B answers the caller."""
    _, agent, _ = await two_party(ami, marks)
    b = marks.extension()
    await phone(ami, b, ring=4, talk=3)
    await attended_transfer(ami, agent, exten=b, context="agent-phones")
    ringing = await log.wait("Newchannel", leg_of(b))
    marks.channels["target"] = ringing["Channel"]
    await asyncio.sleep(1)
    await hangup(ami, agent)


async def blind_transfer_scenario(ami: AmiClient, log: Log, marks: Marks) -> None:
    """Caller talks to agent A; A blind-transfers the caller to sim-call/B: caller and B talk."""
    _, agent, _ = await two_party(ami, marks)
    b = marks.extension()
    await phone(ami, b, ring=1, talk=3)
    await asyncio.sleep(1)
    await blind_transfer(ami, agent, exten=b, context="sim-call")
    target = await log.wait("BridgeEnter", leg_of(b))
    marks.channels["target"] = target["Channel"]


async def queue_transfer_scenario(ami: AmiClient, log: Log, marks: Marks) -> None:
    """Caller talks to agent A; A blind-transfers the caller to [inbound] 4000: no IVR answers, so
    the fallback queue connects the caller to one of its agent phones (1001-1006)."""
    caller, agent, _ = await two_party(ami, marks)
    await asyncio.sleep(1)
    await blind_transfer(ami, agent, exten="4000", context="inbound")
    await log.wait("QueueCallerJoin", lambda e: e.get("Channel") == caller)
    call_id = linkedid(log, caller)
    queued = await log.wait(
        "BridgeEnter",
        lambda e: (
            "@agent-phones-" in e.get("Channel", "")
            and e["Channel"] != agent
            and e.get("Linkedid") == call_id
        ),
    )
    marks.channels["target"] = queued["Channel"]
    await asyncio.sleep(2)
    with contextlib.suppress(NoSuchChannel):
        await hangup(ami, caller)


def linkedid(log: Log, channel: str) -> str:
    for event in reversed(log.events):
        if event.get("Channel") == channel and event.get("Linkedid"):
            return event["Linkedid"]
    return ""


async def pickup_scenario(ami: AmiClient, log: Log, marks: Marks, *, directed: bool) -> None:
    """Caller rings agent phone B, which never answers; phone C picks the call up (directed:
    pickup/B, group: pickup/s); caller and C talk."""
    b, c = marks.extension(), marks.extension()
    await phone(ami, b, mode="noanswer")
    await phone(ami, c, ring=0.2, talk=3)
    group = str(10 + secrets.randbelow(54))  # a call group of our own (the PBX is shared)
    if directed:
        await call(ami, marks, b)
    else:
        await call(ami, marks, f"group-{group}-{b}", context="tracker-cases")
    ringing = await log.wait("Newstate", lambda e: leg_of(b)(e) and e.get("ChannelState") == "5")
    marks.channels["target"] = ringing["Channel"]
    place = DialplanTarget("pickup", b) if directed else DialplanTarget("tracker-cases", f"pickup-{group}")
    await originate(ami, f"Local/{c}@agent-phones", place)
    picked = await log.wait("Pickup", lambda e: e.get("TargetChannel") == ringing["Channel"])
    marks.channels["picker"] = picked["Channel"]


async def unaccepted_scenario(ami: AmiClient, log: Log, marks: Marks) -> None:
    """Caller dials agent phone B with an acceptance check that refuses: B picks up (goes Up) but
    is never connected to the caller."""
    b = marks.extension()
    await phone(ami, b, ring=1, talk=10)
    caller = await call(ami, marks, f"accept-{b}", context="tracker-cases", hold=8)
    up = await log.wait("Newstate", lambda e: leg_of(b)(e) and e.get("ChannelState") == "6")
    marks.channels["target"] = up["Channel"]
    await log.wait("Hangup", lambda e: e.get("Channel") == caller)


async def restricted_scenario(ami: AmiClient, log: Log, marks: Marks) -> None:
    """The dialplan rewrites the caller's number (+31 prefix) and restricts its presentation; then
    agent phone B answers."""
    b = marks.extension()
    await phone(ami, b, ring=1, talk=3)
    await call(ami, marks, f"cid-{b}", context="tracker-cases", variables={"CC_RESTRICT": "1"})
    target = await log.wait("BridgeEnter", leg_of(b))
    marks.channels["target"] = target["Channel"]


SCENARIOS: dict[str, Callable[[AmiClient, Log, Marks], Awaitable[None]]] = {
    "attended_transfer": attended_transfer_scenario,
    "blonde_transfer": blonde_transfer_scenario,
    "blind_transfer": blind_transfer_scenario,
    "queue_transfer": queue_transfer_scenario,
    "pickup_directed": lambda ami, log, marks: pickup_scenario(ami, log, marks, directed=True),
    "pickup_group": lambda ami, log, marks: pickup_scenario(ami, log, marks, directed=False),
    "unaccepted": unaccepted_scenario,
    "restricted_callerid": restricted_scenario,
}
NEEDS_FALLBACK_QUEUE = frozenset({"queue_transfer"})
"""Scenarios that need the test FastAGI port bound but not listening ([inbound] -> fallback queue)."""


async def play(ami: AmiClient, log: Log, name: str) -> tuple[list[dict[str, str]], Marks]:
    """Run scenario ``name`` and wait until every channel of its calls hung up; returns its events."""
    marks = Marks()
    await SCENARIOS[name](ami, log, marks)
    await wait_until(lambda: all_hung_up(capture(log.events, marks)), 90, f"the end of {name}")
    await asyncio.sleep(0.5)  # the last Bridge/Hangup events of the other halves
    return capture(log.events, marks), marks


def write(name: str, events: list[dict[str, str]], out: Path = OUT) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(events, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return path


async def record(names: list[str], port: int, username: str, secret: str, agi: tuple[str, int]) -> None:
    from config.settings import AmiSettings

    client = AmiClient(AmiSettings(host="127.0.0.1", port=port, username=username, secret=secret))
    log = Log()
    client.subscribe("*", log)
    async with client:
        for name in names:
            for attempt in range(4):  # other sessions restart the shared PBX now and then
                try:
                    with contextlib.ExitStack() as stack:
                        if name in NEEDS_FALLBACK_QUEUE:
                            sock = stack.enter_context(socket.socket())
                            sock.bind(agi)
                        events, _ = await play(client, log, name)
                    break
                except Exception as exc:
                    print(json.dumps({"scenario": name, "attempt": attempt, "failed": repr(exc)}))
                    await asyncio.sleep(10)
            else:
                continue
            print(json.dumps({"scenario": name, "events": len(events), "file": str(write(name, events))}))


def main() -> None:
    from tests.fixtures.pbx import TEST_AGI_PORT, TEST_AMI_PORT, TEST_AMI_SECRET, TEST_AMI_USERNAME

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=sorted(SCENARIOS))
    args = parser.parse_args()
    asyncio.run(
        record(args.names, TEST_AMI_PORT, TEST_AMI_USERNAME, TEST_AMI_SECRET, ("127.0.0.1", TEST_AGI_PORT))
    )


if __name__ == "__main__":
    main()
