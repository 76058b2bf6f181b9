"""Helpers for tests that drive the bundled PBX through our AMI client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from config.settings import AmiSettings
from telephony.ami import ActionResult, AmiClient
from tests.fixtures.pbx import PbxHandle


def client_for(pbx: PbxHandle, **overrides: float) -> AmiClient:
    settings = AmiSettings(
        host=pbx.ami_host,
        port=pbx.ami_port,
        username=pbx.ami_username,
        secret=pbx.ami_secret,
        action_timeout=10,
        keepalive_interval=5,
        reconnect_min_delay=0.2,
        reconnect_max_delay=1.0,
    )
    return AmiClient(settings.model_copy(update=overrides))


async def originate(client: AmiClient, action: Mapping[str, str]) -> ActionResult:
    """Send an Originate built by telephony.pbx.simulate (its ``Action``/``ActionID`` are ours to set)."""
    headers = {k: v for k, v in action.items() if k not in ("Action", "ActionID")}
    return await client.send_action("Originate", headers, check=True)


async def wait_until(condition: Callable[[], bool], deadline: float = 30.0, what: str = "condition") -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"{what} not met within {deadline}s")
        await asyncio.sleep(0.05)
