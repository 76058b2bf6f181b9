"""How the link's own failures reach call-control callers."""

from __future__ import annotations

import pytest

from telephony.ami import AmiClient
from telephony.control import ControlUnavailable, InvalidRequest, hangup, set_variable
from tests.fixtures.pbx import PbxHandle
from tests.telephony.ami.pbxtools import client_for


async def test_an_action_on_a_link_that_is_not_up_raises_ami_unavailable(pbx: PbxHandle) -> None:
    client = client_for(pbx)  # never connected
    with pytest.raises(ControlUnavailable) as down:
        await hangup(client, "Local/s@sim-hold-00000001;1")
    assert (down.value.error_id, down.value.status_code) == ("ami-unavailable", 503)


async def test_an_action_after_the_link_closed_raises_ami_unavailable(pbx: PbxHandle) -> None:
    client = client_for(pbx)
    async with client:
        pass
    with pytest.raises(ControlUnavailable):
        await set_variable(client, "CC_X", "1")


async def test_bad_input_is_refused_before_anything_is_sent(ami: AmiClient) -> None:
    with pytest.raises(InvalidRequest):
        await hangup(ami, "Local/s@sim-hold-00000001;1", cause=0)
    with pytest.raises(InvalidRequest):
        await set_variable(ami, "CC_X", "1\r\nAction: Hangup")
    with pytest.raises(InvalidRequest):
        await hangup(ami, "")
