"""Our AMI client against the real bundled Asterisk 22."""

from __future__ import annotations

import uuid

import pytest

from telephony.ami import AuthenticationFailed, Message
from telephony.pbx.simulate import hold_originate
from tests.fixtures.pbx import PbxHandle
from tests.telephony.ami.pbxtools import client_for, originate, wait_until

pytestmark = pytest.mark.pbx


async def test_login_and_core_show_version_output_lines(pbx: PbxHandle) -> None:
    async with client_for(pbx) as client:
        assert client.banner is not None and client.banner.startswith("Asterisk Call Manager/")
        output = await client.command("core show version")
        assert len(output) >= 1 and output[0].startswith("Asterisk 22.")
        help_lines = await client.command("core show help")
        assert len(help_lines) > 20  # many Output: headers, all kept


async def test_wrong_secret_is_refused(pbx: PbxHandle) -> None:
    client = client_for(pbx)
    client.settings = client.settings.model_copy(update={"secret": "not-the-secret"})
    with pytest.raises(AuthenticationFailed):
        await client.connect()


async def test_md5_login(pbx: PbxHandle) -> None:
    from telephony.ami import AmiClient

    client = AmiClient(client_for(pbx).settings, auth="md5")
    async with client:
        assert (await client.ping()).response["Ping"] == "Pong"


async def test_core_show_channels_is_one_result_with_its_items(pbx: PbxHandle) -> None:
    async with client_for(pbx) as client:
        tag = uuid.uuid4().hex[:6]
        placed: list[Message] = []
        client.subscribe("OriginateResponse", placed.append)
        await originate(client, hold_originate(number="+8613800138000", name=f"hold-{tag}", hold=20))
        await wait_until(lambda: bool(placed), what="OriginateResponse")
        result = await client.send_action("CoreShowChannels")
        assert result.success and result.response["EventList"] == "start"
        assert result.complete is not None and result.complete["EventList"] == "Complete"
        assert int(result.complete["ListItems"]) == len(result.events)
        ours = [e for e in result.events if e["CallerIDName"] == f"hold-{tag}"]
        assert ours and all(e.name == "CoreShowChannel" for e in result.events)
        await client.send_action("Hangup", Channel=ours[0]["Channel"], check=True)
