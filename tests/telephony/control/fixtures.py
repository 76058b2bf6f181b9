"""Fixtures shared by the call-control and PBX tests: an AMI link to the bundled PBX (our client)
whose every event lands in an ``EventLog``. conftest.py files re-export them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telephony.ami import AmiClient
from tests.fixtures.pbx import PbxHandle
from tests.telephony.ami.pbxtools import client_for
from tests.telephony.control.calls import EventLog


@pytest.fixture
def events() -> EventLog:
    return EventLog()


@pytest.fixture
async def ami(pbx: PbxHandle, events: EventLog) -> AsyncIterator[AmiClient]:
    client = client_for(pbx)
    client.subscribe("*", events)
    async with client:
        yield client
