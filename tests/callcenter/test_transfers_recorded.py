"""Transfers in the record: recorded transfers written through the call recorder."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.call_records import apply_call_event
from tests.telephony.tracker.scenarios import OUT as BUNDLED
from tests.telephony.tracker.test_replay import FIXTURES as CACOFONISK
from tests.telephony.tracker.test_replay import replay, to_wire
from tickets.models import Interaction


async def _record(db_session: Session, recording: Path) -> dict[str, Interaction]:
    events = json.loads(recording.read_bytes())  # noqa: ASYNC240  (a small test fixture)
    seen, _tracker = await replay(to_wire(events), seed=1)
    for event in seen:
        apply_call_event(db_session, event)
    db_session.flush()
    ours = {event.call_id for event in seen}  # the shared test database holds other tests' calls too
    rows = db_session.scalars(select(Interaction).where(Interaction.external_id.in_(ours)))
    return {i.external_id or "": i for i in rows}


async def test_given_an_attended_transfer_then_the_consultation_is_merged_into_the_call_that_keeps_its_legs(
    db_session: Session,
) -> None:
    calls = await _record(db_session, CACOFONISK / "queue" / "queue_attn_xfer.json")
    merged = [i for i in calls.values() if i.merged_into is not None]
    mains = [i for i in calls.values() if i.merged_into is None]
    assert len(mains) == 1 and len(merged) == 1, [(i.external_id, i.merged_into) for i in calls.values()]
    (main,), (consultation,) = mains, merged
    assert consultation.merged_into == main.external_id and consultation.hangup_cause == "merged"
    assert main.legs is not None and len(main.legs) >= 2
    assert all(leg["start"] and leg["end"] and leg["start"] <= leg["end"] for leg in main.legs)
    first, last = main.legs[0], main.legs[-1]
    assert {first["a"]["channel"], first["b"]["channel"]} != {last["a"]["channel"], last["b"]["channel"]}


async def test_given_a_transfer_on_the_bundled_pbx_then_its_legs_name_the_agent_phones(
    db_session: Session,
) -> None:
    calls = await _record(db_session, BUNDLED / "attended_transfer.json")
    (call,) = calls.values()
    assert call.legs is not None and len(call.legs) >= 2
    agents = [p["agent"] for leg in call.legs for p in (leg["a"], leg["b"]) if "agent" in p]
    assert len(set(agents)) >= 2  # the agent who answered, then the transfer target


async def test_given_the_dialplan_restricts_the_caller_id_then_the_record_withholds_the_number(
    db_session: Session,
) -> None:
    calls = await _record(db_session, BUNDLED / "restricted_callerid.json")
    (call,) = calls.values()
    assert call.address is None and call.customer_id is None
