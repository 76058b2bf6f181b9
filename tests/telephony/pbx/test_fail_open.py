"""Fail-open on the real bundled Asterisk: callers inside a FastAGI session reach the fallback
queue when our FastAGI process is killed (``kill -9``) in the middle of their session.

Asterisk reports a FastAGI server that vanished as ``AGISTATUS=SUCCESS`` with nothing set; the
dialplan's [inbound] must treat that as "not finished" and queue the caller.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from telephony.ami import AmiClient
from telephony.control import NoSuchChannel, get_variable, hangup
from telephony.pbx.simulate import caller_originate
from tests.fixtures.pbx import PbxHandle
from tests.telephony.control.calls import EventLog, unique_number

pytestmark = pytest.mark.pbx

ROOT = Path(__file__).resolve().parents[3]
CALLERS = 2
DEADLINE = 40.0

# A FastAGI server whose "ivr" handler announces the caller's channel and then waits, as an IVR
# menu waiting for a digit would. It binds the PBX's AGI port, retrying while another test
# session holds it, and prints "ready" once listening.
SERVER = """
import asyncio, errno, sys, time
from telephony.agi import FastAgiServer

async def ivr(session):
    print("session", session.env.channel, flush=True)
    await asyncio.sleep(3600)

async def main(host, port):
    server = FastAgiServer(host, port, {"ivr": ivr})
    end = time.monotonic() + 60
    while True:
        try:
            await server.start()
            break
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() > end:
                raise
            await asyncio.sleep(0.3)
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


@pytest.fixture
def agi_process(pbx: PbxHandle) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, pbx.agi_host, str(pbx.agi_port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()


async def _read_line(proc: subprocess.Popen[str], deadline: float = 70.0) -> str:
    assert proc.stdout is not None
    stdout = proc.stdout
    line = await asyncio.wait_for(asyncio.to_thread(stdout.readline), deadline)
    if not line:
        assert proc.stderr is not None
        error = proc.stderr.read()[-2000:]
        raise AssertionError(f"the FastAGI process ended (exit {proc.poll()}) before serving:\n{error}")
    return line.strip()


async def test_callers_in_an_agi_session_reach_the_fallback_queue_when_the_agi_server_is_killed(
    pbx: PbxHandle, ami: AmiClient, events: EventLog, agi_process: subprocess.Popen[str]
) -> None:
    assert await _read_line(agi_process) == "ready"
    numbers = [unique_number() for _ in range(CALLERS)]
    for number in numbers:
        headers = caller_originate("4400", number=number, name="被丢下的来电", talk=60, timeout=20)
        await ami.send_action(headers.pop("Action"), headers, check=True)
    channels: set[str] = set()
    while len(channels) < CALLERS:  # every caller is inside a waiting IVR session
        kind, _, channel = (await _read_line(agi_process, DEADLINE)).partition(" ")
        assert kind == "session"
        channels.add(channel)

    os.kill(agi_process.pid, signal.SIGKILL)
    agi_process.wait(timeout=10)
    try:
        for channel in channels:
            joined = await events.wait("QueueCallerJoin", DEADLINE, Channel=channel)
            assert joined["Queue"] == "fallback"
            reason = await get_variable(ami, "CC_FALLBACK_REASON", channel=channel)
            assert reason.value == "unfinished"
        for channel in channels:  # and an agent phone answers each of them
            connect = await events.wait("AgentConnect", DEADLINE, Channel=channel)
            assert connect["Queue"] == "fallback"
            assert connect["Interface"].endswith("@agent-phones")
        assert all(events.matching("Hangup", Channel=channel) == [] for channel in channels)
    finally:
        for channel in channels:
            try:
                await hangup(ami, channel)
            except NoSuchChannel:
                pass
