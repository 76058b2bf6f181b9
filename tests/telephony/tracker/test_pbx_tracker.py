"""The call tracker on the real bundled Asterisk: a Chinese-named simulated caller through the fallback
queue to an agent phone, and an Asterisk restart mid-test (reconnect, connected notification, resync).
"""

from __future__ import annotations

import asyncio
import secrets
import uuid

import pytest

from telephony.pbx.simulate import caller_originate, hold_originate
from telephony.tracker import (
    CallAnswered,
    CallBridged,
    CallEnded,
    CallEvent,
    CallStarted,
    CallTracker,
    attach,
)
from tests.fixtures.pbx import PbxHandle, hold_agi_port
from tests.telephony.ami.pbxtools import client_for, originate, wait_until

pytestmark = pytest.mark.pbx

NAME = "张三丰"
NUMBER = "+86138" + str(secrets.randbelow(10**8)).zfill(8)
"""Ours alone: other sessions on the shared PBX call with the same Chinese name."""


def of_call(events: list[CallEvent], call_id: str) -> list[CallEvent]:
    return [e for e in events if e.call_id == call_id]


async def test_chinese_caller_is_tracked_from_start_through_answer_to_end(pbx: PbxHandle) -> None:
    tracker = CallTracker()
    events: list[CallEvent] = []
    tracker.subscribe(events.append)
    client = client_for(pbx)
    link = attach(client, tracker)
    with hold_agi_port(pbx):  # [inbound] falls back to the queue, whose agent phones answer
        async with client:
            await wait_until(lambda: link.resyncs == 1, what="first resync")
            await originate(client, caller_originate("4000", number=NUMBER, name=NAME, dtmf="42#", talk=2))

            def mine() -> list[CallStarted]:
                return [
                    e
                    for e in events
                    if isinstance(e, CallStarted) and (e.caller.name, e.caller.number) == (NAME, NUMBER)
                ]

            await wait_until(lambda: bool(mine()), what="CallStarted for the caller")
            call_id = mine()[0].call_id
            await wait_until(
                lambda: any(isinstance(e, CallEnded) for e in of_call(events, call_id)), 60, "CallEnded"
            )
    seq = of_call(events, call_id)
    started, ended = seq[0], seq[-1]
    assert isinstance(started, CallStarted) and isinstance(ended, CallEnded)
    assert started.caller.number == NUMBER and started.caller.name == NAME
    assert ended.dialed == "4000"  # the originated ;1 starts at "s", then enters [inbound] 4000
    answered = [e for e in seq if isinstance(e, CallAnswered)]
    assert len(answered) == 1 and "@agent-phones" in answered[0].answered_by.channel
    assert any(isinstance(e, CallBridged) for e in seq)
    assert ended.caller.name == NAME and ended.caller.number == NUMBER
    assert ended.answered and ended.reason == "hangup"
    assert ended.hangup_cause == 16 and ended.hangup_cause_text == "Normal Clearing"
    assert ended.dtmf == "42#"  # the caller's digits reached the inbound side
    assert any("@agent-phones" in a or "@agent-phones" in b for a, b in ended.bridged)
    assert sum(isinstance(e, CallStarted) for e in seq) == 1


async def test_after_an_asterisk_restart_the_client_reconnects_and_the_tracker_resyncs(
    pbx: PbxHandle,
) -> None:
    tracker = CallTracker()
    events: list[CallEvent] = []
    tracker.subscribe(events.append)
    client = client_for(pbx)
    connects: list[int] = []
    client.on_connect(lambda: connects.append(client.generation))
    link = attach(client, tracker)
    tag = uuid.uuid4().hex[:6]
    async with client:
        await wait_until(lambda: link.resyncs == 1, what="first resync")
        before = f"before-{tag}"
        await originate(client, hold_originate(number=NUMBER, name=before, hold=120))
        await wait_until(
            lambda: any(c.caller.name == before for c in tracker.live_calls.values()), what="call before"
        )
        old_ids = {cid for cid, c in tracker.live_calls.items() if c.caller.name == before}

        await asyncio.to_thread(pbx.restart)

        await wait_until(lambda: connects == [1, 2] and link.resyncs == 2, 90, "reconnect and resync")
        assert client.connected and client.generation == 2
        for call_id in old_ids:  # the restart killed the call: ended exactly once, not live any more
            assert call_id not in tracker.live_calls
            ended = [e for e in of_call(events, call_id) if isinstance(e, CallEnded)]
            assert len(ended) == 1 and ended[0].reason in ("hangup", "resync")

        after = f"after-{tag}"
        await originate(client, hold_originate(number=NUMBER, name=after, hold=1))
        await wait_until(
            lambda: any(isinstance(e, CallEnded) and e.caller.name == after for e in events), 30, "call after"
        )
    new_ids = {e.call_id for e in events if isinstance(e, CallStarted) and e.caller.name == after}
    assert len(new_ids) == 1 and not (new_ids & old_ids)
    for call_id in new_ids | old_ids:
        assert sum(isinstance(e, CallStarted) for e in of_call(events, call_id)) == 1
