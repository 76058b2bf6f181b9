"""Replay AMI event logs recorded on real Asterisk servers (cacofonisk fixtures) through the client's
protocol in random TCP chunks and the call tracker; check the calls reported against facts read
from each log (caller, number called, who answered, hang-up cause, which SIP channels were bridged,
who talked to whom in which order, which consultation merged into which call).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from config.settings import AmiSettings
from telephony.ami import AmiClient
from telephony.tracker import (
    CallAnswered,
    CallBridged,
    CallEnded,
    CallEvent,
    CallStarted,
    CallTracker,
    attach,
)

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "ami" / "cacofonisk"


@dataclass(frozen=True)
class Call:
    caller: str
    number: str
    name: str
    dialed: str
    answered_by: str | None
    cause: int
    cause_text: str
    sip_pairs: set[tuple[str, str]]
    """Bridged pairs in which neither channel is a Local channel (the real endpoints)."""
    channels: int
    also_bridged: set[tuple[str, str]] = field(default_factory=set)


def to_wire(events: list[dict[str, str]]) -> bytes:
    out = []
    for event in events:
        headers = {k: v for k, v in event.items() if k not in ("Event", "content")}
        lines = [f"Event: {event['Event']}"] + [f"{k}: {v}" for k, v in headers.items()]
        out.append("\r\n".join(lines) + "\r\n\r\n")
    return "".join(out).encode("utf-8")


async def replay(data: bytes, seed: int) -> tuple[list[CallEvent], CallTracker]:
    client = AmiClient(AmiSettings(secret="unused"))
    tracker = CallTracker()
    seen: list[CallEvent] = []
    tracker.subscribe(seen.append)
    attach(client, tracker)
    protocol = client.make_protocol()
    rng = random.Random(seed)
    pos = 0
    while pos < len(data):
        size = rng.choice((1, 2, 3, 7, 64, 500, 1460, 4096, 65536))
        protocol.data_received(data[pos : pos + size])
        pos += size
    return seen, tracker


EXPECTED: dict[str, dict[str, Call]] = {
    "originate/cmn-world-world-unaccepted.json": {
        "c4061ca6474c-1531991990.1529": Call(
            "Local/ID400388@osvpi_proc_connectab_cmn-00000047;1",
            "",
            "",
            "ID400388",
            # The far end picked up the call-me-now leg but refused its acceptance prompt: the
            # Local leg went Up, yet it was never connected to anyone, so nobody answered the call.
            answered_by=None,
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs=set(),
            channels=7,
        ),
    },
    "originate/cmn-world-world.json": {
        "c4061ca6474c-1531991959.1348": Call(
            "Local/ID400387@osvpi_proc_connectab_cmn-00000040;1",
            "+31260010001",
            "",
            "ID400387",
            answered_by="SIP/voipgrid-siproute-docker-0000002b",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs=set(),
            channels=12,
        ),
    },
    "originate/ctd-account-account-xfer-attn-abbcac.json": {
        "c4061ca6474c-1531990893.962": Call(
            "SIP/150010002-0000001f",
            "202",
            "Christina Arroyo",
            "203",
            answered_by="SIP/150010003-00000020",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/150010002-0000001f", "SIP/150010003-00000020")},
            channels=4,
        ),
        "c4061ca6474c-1531990887.868": Call(
            "Local/ID400384@osvpi_proc_connectab_ctd-0000002d;1",
            "201",
            "",
            "ID400384",
            answered_by="SIP/150010001-0000001d",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs=set(),
            channels=13,
        ),
    },
    "originate/ctd-account-account.json": {
        "c4061ca6474c-1531990397.86": Call(
            "Local/ID400377@osvpi_proc_connectab_ctd-00000005;1",
            "201",
            "",
            "ID400377",
            answered_by="SIP/150010001-00000002",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs=set(),
            channels=12,
        ),
    },
    "originate/ctd-account-world-deny-a.json": {
        "c4061ca6474c-1531990682.554": Call(
            "Local/ID400381@osvpi_proc_connectab_ctd-0000001c;1",
            "",
            "",
            "ID400381",
            answered_by=None,
            cause=17,
            cause_text="User busy",
            sip_pairs=set(),
            channels=7,
        ),
    },
    "originate/ctd-account-world-deny-b.json": {
        "c4061ca6474c-1531990698.589": Call(
            "Local/ID400382@osvpi_proc_connectab_ctd-0000001f;1",
            "+31150010001",
            "",
            "ID400382",
            # The account phone picked up the click-to-dial leg, the number it then called was
            # busy: the phone only ever heard the dialplan, so the call was not answered.
            answered_by=None,
            cause=17,
            cause_text="User busy",
            sip_pairs=set(),
            channels=12,
        ),
    },
    "originate/ctd-account-world-no-ringing.json": {
        "ua5-ams-1552575068.23242646": Call(
            "Local/ID15001678@osvpi_proc_connectab_ctd-00113eac;1",
            "+31150010001",
            "",
            "ID15001678",
            answered_by="SIP/150010063-0015f5f1",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs=set(),
            channels=12,
        ),
    },
    "originate/ctd-account-world-xfer-attn-abacbc.json": {
        "c4061ca6474c-1531991613.1286": Call(
            "SIP/150010001-00000029",
            "201",
            "Andrew Garza",
            "203",
            answered_by="SIP/150010003-0000002a",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/150010001-00000029", "SIP/150010003-0000002a")},
            channels=4,
        ),
        "c4061ca6474c-1531991604.1164": Call(
            "Local/ID400386@osvpi_proc_connectab_ctd-00000039;1",
            "203",
            "",
            "ID400386",
            answered_by="SIP/150010001-00000025",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs=set(),
            channels=13,
        ),
    },
    "originate/ctd-account-world.json": {
        "c4061ca6474c-1531990515.302": Call(
            "Local/ID400379@osvpi_proc_connectab_ctd-00000010;1",
            "+31150010001",
            "",
            "ID400379",
            answered_by="SIP/150010001-00000008",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs=set(),
            channels=12,
        ),
    },
    "queue/queue_a_cancel.json": {
        "40a7a1f2a669-1585318545.326": Call(
            "SIP/voipgrid-siproute-docker-00000019",
            "+31150010001",
            "",
            "+31150010004",
            answered_by=None,
            cause=0,
            cause_text="Unknown",
            sip_pairs=set(),
            channels=4,
        ),
    },
    "queue/queue_attn_xfer.json": {
        "f29ea68048f6-1530022836.2474": Call(
            "SIP/150010001-00000089",
            "201",
            "Andrew Garza",
            "202",
            answered_by="SIP/150010002-0000008a",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/150010001-00000089", "SIP/150010002-0000008a")},
            channels=4,
        ),
        "f29ea68048f6-1530022819.2433": Call(
            "SIP/voipgrid-siproute-docker-00000087",
            "+31260010001",
            "",
            "+31150010001",
            answered_by="SIP/150010001-00000088",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={
                ("SIP/150010002-0000008a", "SIP/voipgrid-siproute-docker-00000087"),
                ("SIP/150010001-00000088", "SIP/voipgrid-siproute-docker-00000087"),
            },
            channels=5,
        ),
    },
    "queue/queue_blind_xfer.json": {
        "f29ea68048f6-1530023464.2539": Call(
            "SIP/voipgrid-siproute-docker-0000008d",
            "+31260010001",
            "",
            "+31150010001",
            answered_by="SIP/150010001-0000008e",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={
                ("SIP/150010002-0000008f", "SIP/voipgrid-siproute-docker-0000008d"),
                ("SIP/150010001-0000008e", "SIP/voipgrid-siproute-docker-0000008d"),
            },
            channels=7,
        ),
    },
    "queue/queue_group.json": {
        "195176c06ab8-1529938920.367": Call(
            "SIP/voipgrid-siproute-docker-0000001b",
            "+31150010001",
            "",
            "+31150010004",
            answered_by="SIP/150010002-0000001d",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/150010002-0000001d", "SIP/voipgrid-siproute-docker-0000001b")},
            channels=7,
        ),
    },
    "queue/queue_simple.json": {
        "195176c06ab8-1529939196.518": Call(
            "SIP/voipgrid-siproute-docker-00000025",
            "+31150010001",
            "",
            "+31150010004",
            answered_by="SIP/150010002-00000026",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/150010002-00000026", "SIP/voipgrid-siproute-docker-00000025")},
            channels=7,
        ),
    },
    "simple/a_created_no_answer.json": {
        "e25ad522d444-1553503669.94": Call(
            "SIP/voipgrid-siproute-docker-00000009",
            "+31150010001",
            "",
            "+31150010004",
            answered_by=None,
            cause=0,
            cause_text="Unknown",
            sip_pairs=set(),
            channels=1,
        ),
    },
    "simple/ab_a_cancel.json": {
        "195176c06ab8-1529936141.21": Call(
            "SIP/150010001-00000002",
            "201",
            "Andrew Garza",
            "202",
            answered_by=None,
            cause=0,
            cause_text="Unknown",
            sip_pairs=set(),
            channels=4,
        ),
    },
    "simple/ab_callgroup.json": {
        "195176c06ab8-1529936598.168": Call(
            "SIP/150010001-0000000d",
            "201",
            "Andrew Garza",
            "401",
            answered_by="SIP/150010002-0000000e",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/150010001-0000000d", "SIP/150010002-0000000e")},
            channels=7,
        ),
    },
    "simple/ab_callgroup_no_answer.json": {
        "195176c06ab8-1529936670.217": Call(
            "SIP/150010001-00000010",
            "201",
            "Andrew Garza",
            "401",
            answered_by=None,
            cause=19,
            cause_text="User alerting, no answer",
            sip_pairs=set(),
            channels=7,
        ),
    },
    "simple/ab_dnd.json": {
        "195176c06ab8-1529936189.77": Call(
            "SIP/150010001-00000006",
            "201",
            "Andrew Garza",
            "202",
            answered_by=None,
            cause=17,
            cause_text="User busy",
            sip_pairs=set(),
            channels=4,
        ),
    },
    "simple/ab_reject.json": {
        "195176c06ab8-1529936241.98": Call(
            "SIP/150010001-00000008",
            "201",
            "Andrew Garza",
            "202",
            answered_by=None,
            cause=17,
            cause_text="User busy",
            sip_pairs=set(),
            channels=4,
        ),
    },
    "simple/ab_success_a_hangup.json": {
        "195176c06ab8-1529936170.42": Call(
            "SIP/150010001-00000004",
            "201",
            "Andrew Garza",
            "202",
            answered_by="SIP/150010002-00000005",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/150010001-00000004", "SIP/150010002-00000005")},
            channels=4,
        ),
    },
    "simple/ab_success_b_hangup.json": {
        "195176c06ab8-1529936710.252": Call(
            "SIP/150010001-00000013",
            "201",
            "Andrew Garza",
            "202",
            answered_by="SIP/150010002-00000014",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/150010001-00000013", "SIP/150010002-00000014")},
            channels=4,
        ),
    },
    "simple/ab_success_o3.json": {
        "fc7a1e79d662-1539093894.250": Call(
            "SIP/100060001-0000000e",
            "201",
            "Robert Hughes",
            "202",
            answered_by="SIP/100060002-0000000f",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/100060001-0000000e", "SIP/100060002-0000000f")},
            channels=4,
        ),
    },
    "simple/ab_success_twoclients.json": {
        "195176c06ab8-1529936734.287": Call(
            "SIP/260010001-00000015",
            "+31260010001",
            "",
            "0150010001",
            answered_by="SIP/voipgrid-siproute-docker-00000016",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/260010001-00000015", "SIP/voipgrid-siproute-docker-00000016")},
            channels=4,
        ),
        "195176c06ab8-1529936734.297": Call(
            "SIP/voipgrid-siproute-docker-00000017",
            "+31260010001",
            "",
            "+31150010001",
            answered_by="SIP/150010001-00000018",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/150010001-00000018", "SIP/voipgrid-siproute-docker-00000017")},
            channels=4,
        ),
    },
    "var_set/user_events.json": {
        "b6093874285e-1530278036.1206": Call(
            "SIP/voipgrid-siproute-docker-00000028",
            "+31260010001",
            "",
            "+31150010001",
            answered_by="SIP/150010001-00000029",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/150010001-00000029", "SIP/voipgrid-siproute-docker-00000028")},
            channels=4,
        ),
        "b6093874285e-1530278036.1196": Call(
            "SIP/260010001-00000026",
            "+31260010001",
            "",
            "0150010001",
            answered_by="SIP/voipgrid-siproute-docker-00000027",
            cause=16,
            cause_text="Normal Clearing",
            sip_pairs={("SIP/260010001-00000026", "SIP/voipgrid-siproute-docker-00000027")},
            channels=4,
        ),
    },
}

# Who talked to whom, per call, in the order the legs started (read from the bridges of each log:
# Local channel chains looked through). A consultation's legs are part of the call it merged into.
V = "SIP/voipgrid-siproute-docker-"
LEGS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("originate/cmn-world-world.json", "c4061ca6474c-1531991959.1348"): ((V + "0000002b", V + "0000002e"),),
    # A (account 201) talks to B (202); B consults C (203) and completes: A talks to C.
    ("originate/ctd-account-account-xfer-attn-abbcac.json", "c4061ca6474c-1531990887.868"): (
        ("SIP/150010001-0000001d", "SIP/150010002-0000001e"),
        ("SIP/150010002-0000001f", "SIP/150010003-00000020"),
        ("SIP/150010001-0000001d", "SIP/150010003-00000020"),
    ),
    ("originate/ctd-account-account-xfer-attn-abbcac.json", "c4061ca6474c-1531990893.962"): (
        ("SIP/150010002-0000001f", "SIP/150010003-00000020"),
        ("SIP/150010001-0000001d", "SIP/150010003-00000020"),
    ),
    ("originate/ctd-account-account.json", "c4061ca6474c-1531990397.86"): (
        ("SIP/150010001-00000002", "SIP/150010002-00000003"),
    ),
    ("originate/ctd-account-world-no-ringing.json", "ua5-ams-1552575068.23242646"): (
        ("SIP/150010063-0015f5f1", "SIP/voipgrid-siproute-ams-0015f5f3"),
    ),
    # A (201) calls the outside B; A consults C (203) and completes: B talks to C.
    ("originate/ctd-account-world-xfer-attn-abacbc.json", "c4061ca6474c-1531991604.1164"): (
        ("SIP/150010001-00000025", V + "00000026"),
        ("SIP/150010001-00000029", "SIP/150010003-0000002a"),
        (V + "00000026", "SIP/150010003-0000002a"),
    ),
    ("originate/ctd-account-world-xfer-attn-abacbc.json", "c4061ca6474c-1531991613.1286"): (
        ("SIP/150010001-00000029", "SIP/150010003-0000002a"),
        (V + "00000026", "SIP/150010003-0000002a"),
    ),
    ("originate/ctd-account-world.json", "c4061ca6474c-1531990515.302"): (
        ("SIP/150010001-00000008", V + "00000009"),
    ),
    # The outside caller reaches agent 201 through the queue; 201 consults 202 and completes.
    ("queue/queue_attn_xfer.json", "f29ea68048f6-1530022819.2433"): (
        (V + "00000087", "SIP/150010001-00000088"),
        ("SIP/150010001-00000089", "SIP/150010002-0000008a"),
        (V + "00000087", "SIP/150010002-0000008a"),
    ),
    ("queue/queue_attn_xfer.json", "f29ea68048f6-1530022836.2474"): (
        ("SIP/150010001-00000089", "SIP/150010002-0000008a"),
    ),
    # 201 answers from the queue and blind-transfers the caller to 202.
    ("queue/queue_blind_xfer.json", "f29ea68048f6-1530023464.2539"): (
        (V + "0000008d", "SIP/150010001-0000008e"),
        (V + "0000008d", "SIP/150010002-0000008f"),
    ),
    ("queue/queue_group.json", "195176c06ab8-1529938920.367"): ((V + "0000001b", "SIP/150010002-0000001d"),),
    ("queue/queue_simple.json", "195176c06ab8-1529939196.518"): ((V + "00000025", "SIP/150010002-00000026"),),
    ("simple/ab_callgroup.json", "195176c06ab8-1529936598.168"): (
        ("SIP/150010001-0000000d", "SIP/150010002-0000000e"),
    ),
    ("simple/ab_success_a_hangup.json", "195176c06ab8-1529936170.42"): (
        ("SIP/150010001-00000004", "SIP/150010002-00000005"),
    ),
    ("simple/ab_success_b_hangup.json", "195176c06ab8-1529936710.252"): (
        ("SIP/150010001-00000013", "SIP/150010002-00000014"),
    ),
    ("simple/ab_success_o3.json", "fc7a1e79d662-1539093894.250"): (
        ("SIP/100060001-0000000e", "SIP/100060002-0000000f"),
    ),
    ("simple/ab_success_twoclients.json", "195176c06ab8-1529936734.287"): (
        ("SIP/260010001-00000015", V + "00000016"),
    ),
    ("simple/ab_success_twoclients.json", "195176c06ab8-1529936734.297"): (
        (V + "00000017", "SIP/150010001-00000018"),
    ),
    ("var_set/user_events.json", "b6093874285e-1530278036.1206"): (
        (V + "00000028", "SIP/150010001-00000029"),
    ),
    ("var_set/user_events.json", "b6093874285e-1530278036.1196"): (
        ("SIP/260010001-00000026", V + "00000027"),
    ),
}
"""Calls not listed had no leg: nobody was ever connected to anybody."""

# The consultation call of each attended transfer, and the call it merged into.
MERGED = {
    ("originate/ctd-account-account-xfer-attn-abbcac.json", "c4061ca6474c-1531990893.962"): (
        "c4061ca6474c-1531990887.868"
    ),
    ("originate/ctd-account-world-xfer-attn-abacbc.json", "c4061ca6474c-1531991613.1286"): (
        "c4061ca6474c-1531991604.1164"
    ),
    ("queue/queue_attn_xfer.json", "f29ea68048f6-1530022836.2474"): "f29ea68048f6-1530022819.2433",
}

# One more hand-checked pair per click-to-dial log: the account phone bridged to the Local leg.
EXTRA_PAIRS = {
    ("originate/ctd-account-world-deny-b.json", "c4061ca6474c-1531990698.589"): (
        "Local/201@osvpi_account_call_int_permitted-00000020;2",
        "SIP/150010001-00000011",
    ),
}


def test_every_fixture_has_expectations() -> None:
    files = {str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*.json")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("seed", [1, 2])
async def test_given_a_recorded_log_in_random_chunks_then_the_tracker_reports_the_calls(
    name: str, seed: int
) -> None:
    events = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    seen, tracker = await replay(to_wire(events), seed)
    ended = {e.call_id: e for e in seen if isinstance(e, CallEnded)}
    assert set(ended) == set(EXPECTED[name])
    assert tracker.live_calls == {}
    for call_id, want in EXPECTED[name].items():
        got = ended[call_id]
        assert (got.caller.channel, got.caller.number, got.caller.name, got.dialed) == (
            want.caller,
            want.number,
            want.name,
            want.dialed,
        )
        assert got.answered == (want.answered_by is not None)
        assert (got.answered_by.channel if got.answered_by else None) == want.answered_by
        assert (got.hangup_cause, got.hangup_cause_text) == (want.cause, want.cause_text)
        non_local = {
            p for p in got.bridged if not p[0].startswith("Local/") and not p[1].startswith("Local/")
        }
        assert non_local == want.sip_pairs
        assert len(got.channels) == want.channels
        extra = EXTRA_PAIRS.get((name, call_id))
        if extra:
            assert extra in got.bridged
        legs = LEGS.get((name, call_id), ())
        assert tuple((leg.a.channel, leg.b.channel) for leg in got.legs) == legs
        assert all(leg.start is not None and (leg.end is None or leg.end >= leg.start) for leg in got.legs)
        assert tuple(p.channel for p in got.final_parties) == (legs[-1] if legs else ())
        into = MERGED.get((name, call_id))
        assert (got.reason, got.merged_into) == (("merged", into) if into else ("hangup", None))
        merged_here = tuple(c for (f, c), target in MERGED.items() if f == name and target == call_id)
        assert got.merged_calls == merged_here
        # the event sequence of each call is coherent
        mine = [e for e in seen if e.call_id == call_id]
        assert isinstance(mine[0], CallStarted) and mine[-1] is got
        assert sum(isinstance(e, CallStarted) for e in mine) == 1
        answered = [e for e in mine if isinstance(e, CallAnswered)]
        assert len(answered) == (1 if want.answered_by else 0)
        bridged_pairs = {
            tuple(sorted(p.channel for p in e.parties)) for e in mine if isinstance(e, CallBridged)
        }
        assert bridged_pairs == set(got.bridged)


async def test_all_logs_back_to_back_in_one_stream_give_the_same_calls() -> None:
    data = b"".join(
        to_wire(json.loads((FIXTURES / name).read_text(encoding="utf-8"))) for name in sorted(EXPECTED)
    )
    seen, _ = await replay(data, seed=99)
    ended = {e.call_id for e in seen if isinstance(e, CallEnded)}
    assert ended == {call_id for calls in EXPECTED.values() for call_id in calls}
