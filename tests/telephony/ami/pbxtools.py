"""Helpers for tests that drive the bundled PBX through our AMI client."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable, Iterator, Mapping

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


@contextlib.contextmanager
def agi_port_refused(pbx: PbxHandle, timeout: float = 60.0) -> Iterator[None]:
    """Hold the test FastAGI port bound but not listening, so [inbound] takes the fallback queue.

    Another test session's FastAGI server may hold the port for a while: wait with a deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket()
        try:
            sock.bind((pbx.agi_host, pbx.agi_port))
            break
        except OSError as exc:
            sock.close()
            if time.monotonic() > deadline:
                raise AssertionError(f"test AGI port {pbx.agi_port} stays busy: {exc}") from exc
            time.sleep(0.2)
    try:
        yield
    finally:
        sock.close()
