"""Transfers, pickups, a refused acceptance and a rewritten, restricted caller ID, from the bundled
PBX: the recordings in tests/data/ami/bundled replayed through the client protocol and the tracker,
and the same scenarios played live (``pbx`` marker), with one set of expectations per scenario.

Roles: ``caller`` (``Local/s@sim-hold;1``), ``agent`` (phone A, who answered first), ``target``
(phone B: the transfer target, the phone that rang but was picked up, or the phone that refused),
``picker`` (phone C, which picked the call up).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from telephony.ami import AmiClient
from telephony.tracker import CallEnded, CallerIdChanged, CallEvent, CallStarted, CallTracker, attach
from tests.fixtures.pbx import PbxHandle, hold_agi_port
from tests.telephony.ami.pbxtools import client_for, wait_until
from tests.telephony.tracker.scenarios import NEEDS_FALLBACK_QUEUE, OUT, SCENARIOS, Log, play
from tests.telephony.tracker.test_order_properties import check_each_call_starts_and_ends_once
from tests.telephony.tracker.test_replay import replay, to_wire

Roles = dict[str, str]
Check = Callable[[list[CallEvent], Roles], None]


def main_call(seen: list[CallEvent], roles: Roles) -> CallEnded:
    """The caller's call: the only one not merged into another; every other one merged into it."""
    ended = [e for e in seen if isinstance(e, CallEnded)]
    mains = [e for e in ended if e.reason != "merged"]
    assert len(mains) == 1, [(e.call_id, e.reason) for e in ended]
    (main,) = mains
    assert main.caller.channel == roles["caller"]
    assert all(e.merged_into == main.call_id for e in ended if e is not main)
    assert set(main.merged_calls) == {e.call_id for e in ended if e is not main}
    return main


def pairs(ended: CallEnded) -> list[tuple[str, str]]:
    return [(leg.a.channel, leg.b.channel) for leg in ended.legs]


def transferred(*legs: tuple[str, str]) -> Check:
    """One call, answered by the agent, with these legs (by role), ending between caller and target."""

    def check(seen: list[CallEvent], roles: Roles) -> None:
        main = main_call(seen, roles)
        assert main.answered_by is not None and main.answered_by.channel == roles["agent"]
        assert pairs(main) == [(roles[a], roles[b]) for a, b in legs]
        assert [p.channel for p in main.final_parties] == [roles["caller"], roles["target"]]
        assert all(
            leg.end is not None and leg.start is not None and leg.end >= leg.start for leg in main.legs
        )

    return check


def picked_up(seen: list[CallEvent], roles: Roles) -> None:
    """Answered by the phone that picked up, never by the ringing one; the picker's own call
    (its originate) merged into the caller's."""
    main = main_call(seen, roles)
    assert main.answered_by is not None and main.answered_by.channel == roles["picker"]
    assert pairs(main) == [(roles["caller"], roles["picker"])]
    assert not any(roles["target"] in (leg.a.channel, leg.b.channel) for leg in main.legs)
    assert len(main.merged_calls) == 1


def refused(seen: list[CallEvent], roles: Roles) -> None:
    """The phone went Up (it answered its Local leg) but was never connected: not answered."""
    main = main_call(seen, roles)
    assert not main.answered and main.answered_by is None and main.legs == ()
    assert any(c.party.channel == roles["target"] and c.answered for c in main.channels)


def restricted(seen: list[CallEvent], roles: Roles) -> None:
    """The dialplan restricted the caller's presentation, then prefixed +31: the call carries the
    number finally presented, still restricted."""
    main = main_call(seen, roles)
    (started,) = [e for e in seen if isinstance(e, CallStarted)]
    number = started.caller.number
    assert not started.caller.restricted and not number.startswith("+31")
    assert (main.caller.number, main.caller.restricted) == ("+31" + number, True)
    changed = [e for e in seen if isinstance(e, CallerIdChanged)]
    assert [(e.caller.number, e.caller.restricted) for e in changed] == [("+31" + number, True)]
    assert main.answered_by is not None and main.answered_by.channel == roles["target"]


EXPECT: dict[str, Check] = {
    "attended_transfer": transferred(("caller", "agent"), ("agent", "target"), ("caller", "target")),
    # A hung up while B still rang: A and B never talked.
    "blonde_transfer": transferred(("caller", "agent"), ("caller", "target")),
    "blind_transfer": transferred(("caller", "agent"), ("caller", "target")),
    "queue_transfer": transferred(("caller", "agent"), ("caller", "target")),
    "pickup_directed": picked_up,
    "pickup_group": picked_up,
    "unaccepted": refused,
    "restricted_callerid": restricted,
}

S, P = "Local/s@sim-hold-", "@agent-phones-"
RECORDED: dict[str, Roles] = {
    "attended_transfer": {
        "caller": S + "0000002d;1",
        "agent": "Local/39318" + P + "0000002e;1",
        "target": "Local/60904" + P + "00000032;1",
    },
    "blonde_transfer": {
        "caller": S + "00000036;1",
        "agent": "Local/21711" + P + "00000037;1",
        "target": "Local/77317" + P + "00000038;1",
    },
    "blind_transfer": {
        "caller": S + "00000033;1",
        "agent": "Local/65457" + P + "00000034;1",
        "target": "Local/82822" + P + "00000035;1",
    },
    "queue_transfer": {
        "caller": S + "00000000;1",
        "agent": "Local/33360" + P + "00000001;1",
        "target": "Local/1001" + P + "00000002;1",  # a fallback-queue member
    },
    "pickup_directed": {
        "caller": S + "00000006;1",
        "target": "Local/26014" + P + "00000007;1",
        "picker": "Local/54996" + P + "00000008;1",
    },
    "pickup_group": {
        "caller": S + "00000008;1",
        "target": "Local/64315" + P + "00000009;1",
        "picker": "Local/69719" + P + "0000000a;1",
    },
    "unaccepted": {"caller": S + "0000000a;1", "target": "Local/51463" + P + "0000000b;1"},
    "restricted_callerid": {"caller": S + "00000003;1", "target": "Local/84332" + P + "00000004;1"},
}


def test_every_scenario_has_a_recording_and_expectations() -> None:
    assert set(EXPECT) == set(SCENARIOS) == set(RECORDED) == {p.stem for p in OUT.glob("*.json")}


@pytest.mark.parametrize("name", sorted(RECORDED))
@pytest.mark.parametrize("seed", [3, 4])
async def test_given_a_bundled_pbx_recording_then_the_tracker_reports_it_truthfully(
    name: str, seed: int
) -> None:
    events = json.loads((OUT / f"{name}.json").read_text(encoding="utf-8"))
    seen, tracker = await replay(to_wire(events), seed)
    check_each_call_starts_and_ends_once(seen, tracker)
    EXPECT[name](seen, RECORDED[name])


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_given_the_scenario_played_live_then_the_live_tracker_reports_it_truthfully(
    pbx: PbxHandle, name: str
) -> None:
    tracker = CallTracker()
    seen: list[CallEvent] = []
    tracker.subscribe(seen.append)
    client: AmiClient = client_for(pbx)
    link = attach(client, tracker)
    log = Log()
    client.subscribe("*", log)
    async with client:
        await wait_until(lambda: link.resyncs >= 1, what="first resync")
        if name in NEEDS_FALLBACK_QUEUE:
            with hold_agi_port(pbx):
                events, marks = await play(client, log, name)
        else:
            events, marks = await play(client, log, name)
    calls = {e["Linkedid"] for e in events if e.get("Linkedid")}
    mine = [e for e in seen if e.call_id in calls]
    check_each_call_starts_and_ends_once(mine, CallTracker())
    assert not (set(tracker.live_calls) & calls)
    EXPECT[name](mine, marks.channels)
