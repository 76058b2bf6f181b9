"""Fail-open on the bundled PBX: the platform's ACD (in a process of its own) is killed with
``kill -9`` while 10 callers wait in the holding dialplan; its heartbeat goes stale and every
caller reaches an agent through the plain fallback queue, whose members include the agents the
engine knew (added with QueueAdd)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from telephony.ami import AmiClient, Message
from telephony.control import NoSuchEntry, db_get
from tests.fixtures.pbx import PbxHandle
from tests.routing.acd_pbx import acd_settings, add_users, new_call_id, phone, place_waiting_caller
from tests.telephony.ami.pbxtools import client_for
from tests.telephony.control.calls import hang_up_all, poll_async, unique_extension, unique_number

# Telephony behaviour, on the embedded database only: what the ACD stores is tested on both
# backends in tests/routing and tests/callcenter's record tests.
pytestmark = [pytest.mark.pbx, pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)]

ROOT = Path(__file__).resolve().parents[2]


async def _alive(ami: AmiClient, family: str) -> bool:
    try:
        return int((await db_get(ami, family, "alive")).value) >= int(time.time())
    except NoSuchEntry:
        return False


async def _line(stream: asyncio.StreamReader, within: float) -> str:
    return (await asyncio.wait_for(stream.readline(), within)).decode().strip()


async def test_callers_waiting_when_the_engine_is_killed_all_reach_an_agent_through_the_fallback_queue(
        pbx: PbxHandle, fresh_db_url: str, tmp_path: Path) -> None:
    extensions = {"ann": unique_extension(), "bob": unique_extension()}
    add_users(fresh_db_url, extensions)
    document = {"queues": {"q": {"wrapup_seconds": 0, "max_wait": 300}},
                "agents": {name: {"extension": ext, "queues": ["q"]} for name, ext in extensions.items()}}
    settings = acd_settings(pbx, fresh_db_url, tmp_path, document, heartbeat_ttl=3)
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(settings.model_dump_json(), encoding="utf-8")
    engine = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.routing.acd_engine_process", str(settings_file), cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert engine.stdin is not None and engine.stdout is not None
    ami = client_for(pbx)
    connected: dict[str, Message] = {}

    def on_connect(event: Message) -> None:
        connected.setdefault(event.get("Channel", ""), event)

    ami.subscribe("AgentConnect", on_connect)
    channels: list[str] = []
    try:
        async with ami:
            assert await _line(engine.stdout, 40) == "ready"
            family = settings.routing.heartbeat_family
            await poll_async(lambda: _alive(ami, family), 10, "the engine's heartbeat in AstDB")
            queue = pbx.cli("queue show fallback")
            for ext in extensions.values():
                assert f"Local/{ext}@agent-phones" in queue  # the engine's agents serve the fallback
                await phone(ami, ext, ring=0.5, talk=2)
            for n in range(10):
                call_id = new_call_id()
                channels.append(await place_waiting_caller(ami, call_id, unique_number()))
                request = json.dumps({"call_id": call_id, "queue": "q", "caller": "1",
                                      "tier": "vip" if n % 3 else None}).encode() + b"\n"
                for _attempt in range(40):  # None until the engine's tracker has seen the new caller
                    engine.stdin.write(request)
                    await engine.stdin.drain()
                    dialplan = json.loads(await _line(engine.stdout, 10))["dialplan"]
                    if dialplan is not None:
                        break
                    await asyncio.sleep(0.25)
                assert dialplan == "cc-acd-wait,s,1"
            assert await _alive(ami, family)
            assert not connected  # every agent is paused: all ten wait for the engine
            os.kill(engine.pid, signal.SIGKILL)
            await engine.wait()
            deadline = time.monotonic() + 45
            while not all(channel in connected for channel in channels):
                assert time.monotonic() < deadline, f"{len(connected)} of 10 callers reached an agent"
                await asyncio.sleep(0.2)
            for channel in channels:
                assert connected[channel].get("Queue") == "fallback"
            await hang_up_all(ami, *channels)
    finally:
        if engine.returncode is None:
            engine.kill()
            await engine.wait()
