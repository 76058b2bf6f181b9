"""Originate on the bundled PBX: to an extension, a context, an application, from Local channels,
with variables and caller ID; the Uniqueid comes from OriginateResponse."""

from __future__ import annotations

import secrets

import pytest

from telephony.ami import AmiClient
from telephony.control import (
    ApplicationTarget,
    DialplanTarget,
    InvalidRequest,
    OriginateFailed,
    db_delete,
    db_put,
    get_variable,
    hangup,
    local_channel,
    originate,
)
from tests.fixtures.pbx import PbxHandle
from tests.telephony.control.calls import (
    EventLog,
    channels_concise,
    hang_up_all,
    poll_async,
    unique_extension,
    unique_number,
)

pytestmark = pytest.mark.pbx


async def test_originate_to_an_extension_reports_the_answered_channel_and_its_uniqueid(
    ami: AmiClient, events: EventLog
) -> None:
    extension = unique_extension()
    placed = await originate(ami, local_channel(extension, "agent-phones"), DialplanTarget("sim-hold", "s"))
    try:
        assert placed.channel.startswith(f"Local/{extension}@agent-phones-") and placed.channel.endswith(";1")
        created = await events.wait("Newchannel", Channel=placed.channel)
        assert created["Uniqueid"] == placed.uniqueid
        entered = await events.wait("Newexten", Channel=placed.channel, Context="sim-hold")
        assert entered["Extension"] == "s"
    finally:
        await hang_up_all(ami, placed.channel)


async def test_originate_to_a_context_with_variables_and_a_chinese_caller_id(
    ami: AmiClient, events: EventLog
) -> None:
    number = unique_number()
    placed = await originate(
        ami,
        "Local/s@sim-hold",
        DialplanTarget("sim-hold"),
        caller_id_number=number,
        caller_id_name="李小龙",
        variables={"CC_TEST_CASE": "originate-vars", "SIM_HOLD": "20"},
    )
    try:
        value = await get_variable(ami, "CC_TEST_CASE", channel=placed.channel)
        assert value.value == "originate-vars"
        name = await get_variable(ami, "CALLERID(name)", channel=placed.channel)
        assert name.value == "李小龙"
        assert (await get_variable(ami, "CALLERID(num)", channel=placed.channel)).value == number
        hung_up = await hangup(ami, placed.channel)
        ended = await events.wait("Hangup", Channel=placed.channel)
        assert (ended["CallerIDNum"], ended["CallerIDName"], hung_up.cause) == (number, "李小龙", 16)
    finally:
        await hang_up_all(ami, placed.channel)


async def test_originate_to_an_application_runs_it_on_the_answered_channel(
    ami: AmiClient, pbx: PbxHandle
) -> None:
    placed = await originate(
        ami, local_channel(unique_extension(), "agent-phones"), ApplicationTarget("Wait", "20")
    )
    try:
        rows: list[list[str]] = []

        async def running() -> bool:
            rows[:] = [row for row in await channels_concise(pbx.cli) if row[0] == placed.channel]
            return bool(rows) and rows[0][5:7] == ["Wait", "20"]

        await poll_async(running, what=f"{placed.channel} running Wait(20)")
    finally:
        await hang_up_all(ami, placed.channel)


async def test_originate_with_a_channel_id_gives_the_channel_that_uniqueid(ami: AmiClient) -> None:
    wanted = f"cc-test-{secrets.token_hex(6)}"
    placed = await originate(
        ami, "Local/s@sim-hold", DialplanTarget("sim-hold"), channel_id=wanted, variables={"SIM_HOLD": "1"}
    )
    assert placed.uniqueid == wanted


@pytest.mark.parametrize(("mode", "reason"), [("busy", 5), ("noanswer", 3)])
async def test_originate_to_a_phone_that_does_not_answer_raises_originate_failed_with_the_reason(
    ami: AmiClient, mode: str, reason: int
) -> None:
    extension = unique_extension()
    await db_put(ami, "simphone", f"{extension}/mode", mode)
    try:
        with pytest.raises(OriginateFailed) as failed:
            await originate(
                ami, local_channel(extension, "agent-phones"), DialplanTarget("sim-hold"), timeout=2
            )
    finally:
        await db_delete(ami, "simphone", f"{extension}/mode")
    assert failed.value.error_id == "originate-failed"
    assert failed.value.reason == reason


@pytest.mark.parametrize("value", ["test-dtmf,4100,1", 'say "你好", then \\ quit', ""])
async def test_originate_variables_with_commas_quotes_and_backslashes_arrive_intact(
    ami: AmiClient, value: str
) -> None:
    placed = await originate(
        ami, "Local/s@sim-hold", DialplanTarget("sim-hold"), variables={"CC_NEXT": value, "SIM_HOLD": "20"}
    )
    try:
        assert (await get_variable(ami, "CC_NEXT", channel=placed.channel)).value == value
        assert (await get_variable(ami, "SIM_HOLD", channel=placed.channel)).value == "20"
    finally:
        await hang_up_all(ami, placed.channel)


async def test_originate_refuses_a_variable_value_with_a_line_break(ami: AmiClient) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await originate(ami, "Local/s@sim-hold", DialplanTarget("sim-hold"), variables={"CC_X": "a\nb"})
    assert refused.value.error_id == "invalid-request"
