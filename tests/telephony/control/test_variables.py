"""Setvar/Getvar on channels and globals, and AstDB put/get/delete, on the bundled PBX."""

from __future__ import annotations

import secrets

import pytest

from telephony.ami import AmiClient
from telephony.control import (
    DialplanTarget,
    NoSuchChannel,
    NoSuchEntry,
    db_delete,
    db_get,
    db_put,
    get_variable,
    originate,
    set_variable,
)
from tests.telephony.control.calls import hang_up_all

pytestmark = pytest.mark.pbx


async def test_a_variable_set_on_a_channel_is_read_back_and_unicode_survives(ami: AmiClient) -> None:
    placed = await originate(
        ami, "Local/s@sim-hold", DialplanTarget("sim-hold"), variables={"SIM_HOLD": "20"}
    )
    try:
        await set_variable(ami, "CC_CUSTOMER", "王芳 (VIP)", channel=placed.channel)
        got = await get_variable(ami, "CC_CUSTOMER", channel=placed.channel)
        assert (got.value, got.channel) == ("王芳 (VIP)", placed.channel)
        assert (await get_variable(ami, "CC_NEVER_SET", channel=placed.channel)).value == ""
        await set_variable(ami, "CALLERID(name)", "赵六", channel=placed.channel)
        assert (await get_variable(ami, "CALLERID(name)", channel=placed.channel)).value == "赵六"
    finally:
        await hang_up_all(ami, placed.channel)


async def test_a_global_variable_is_set_and_read_without_a_channel(ami: AmiClient) -> None:
    name = f"CC_TEST_{secrets.token_hex(4).upper()}"
    await set_variable(ami, name, "on")
    try:
        assert (await get_variable(ami, name)).value == "on"
        assert (await get_variable(ami, f"GLOBAL({name})")).value == "on"
    finally:
        await set_variable(ami, name, "")


async def test_variables_of_a_channel_that_is_gone_raise_no_such_channel(ami: AmiClient) -> None:
    with pytest.raises(NoSuchChannel):
        await get_variable(ami, "CC_X", channel="Local/s@sim-hold-ffffffff;1")
    with pytest.raises(NoSuchChannel):
        await set_variable(ami, "CC_X", "1", channel="Local/s@sim-hold-ffffffff;1")


async def test_astdb_entry_is_put_read_and_deleted(ami: AmiClient) -> None:
    key = f"test/{secrets.token_hex(4)}"
    put = await db_put(ami, "cc-control", key, "分机 1001")
    assert put.value == "分机 1001"
    assert (await db_get(ami, "cc-control", key)).value == "分机 1001"
    await db_put(ami, "cc-control", key, "again")
    assert (await db_get(ami, "cc-control", key)).value == "again"
    deleted = await db_delete(ami, "cc-control", key)
    assert (deleted.family, deleted.key) == ("cc-control", key)
    with pytest.raises(NoSuchEntry) as missing:
        await db_get(ami, "cc-control", key)
    assert missing.value.error_id == "no-such-entry"
    with pytest.raises(NoSuchEntry):
        await db_delete(ami, "cc-control", key)
