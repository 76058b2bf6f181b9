"""What a newcomer hits first: ``python -m callcenter``, bad settings, taken ports, Ctrl+C on the demo."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from config.settings import load_settings
from telephony.pbx import BundledPbx

CALLCENTER = Path(sys.executable).with_name("callcenter")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env.update({"CC_DATA_DIR": str(tmp_path / "data"), "CC_ENVIRONMENT": "development", **extra})
    return env


def _wait(predicate: Any, proc: subprocess.Popen[bytes], log: Path, deadline_s: float = 90) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"condition not met in {deadline_s} s:\n{log.read_text(errors='replace')}")


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_python_dash_m_callcenter_is_the_command_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "callcenter", "--help"], env=_env(tmp_path), capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for command in (b"serve", b"demo", b"simulate", b"pbx", b"db"):
        assert command in done.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CC_DATABASE_URL", "nonsense"),
        ("CC_DATABASE_URL", "mysql://x/y"),
        ("CC_AMI__PORT", "99999"),
        ("CC_TIMEZONE", "Mars/Olympus"),
        ("CC_REDIS_URL", "localhost:6379"),
    ],
)
def test_a_bad_setting_stops_the_demo_with_one_line_naming_it(
    tmp_path: Path, variable: str, value: str
) -> None:
    done = subprocess.run(
        [str(CALLCENTER), "demo"], env=_env(tmp_path, **{variable: value}), capture_output=True, timeout=60
    )
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert variable in lines[0] and "Traceback" not in lines[0]
    assert b"Contact center API" not in done.stdout


def test_a_taken_port_is_named_in_one_line_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        done = subprocess.run(
            [str(CALLCENTER), "serve", "--port", str(taken), "--no-ami"],
            env=_env(tmp_path, CC_AGI__PORT=str(_free_port())),
            capture_output=True,
            timeout=60,
        )
        agi = subprocess.run(
            [str(CALLCENTER), "serve", "--port", str(_free_port()), "--no-ami"],
            env=_env(tmp_path, CC_AGI__PORT=str(taken)),
            capture_output=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert (
        done.stderr.decode().strip()
        == f"error: the API port 127.0.0.1:{taken} is in use (is another callcenter running?)"
    )
    assert b"Contact center API" not in done.stdout
    assert agi.returncode == 1 and f"FastAGI port 127.0.0.1:{taken}" in agi.stderr.decode()


def test_serve_runs_the_fastagi_server_beside_the_api(tmp_path: Path) -> None:
    port, agi_port = _free_port(), _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(CALLCENTER), "serve", "--port", str(port), "--no-ami", "--no-jobs"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(tmp_path, CC_AGI__PORT=str(agi_port)),
        )
    try:
        _wait(lambda: _healthy(f"http://127.0.0.1:{port}"), proc, log)
        with socket.create_connection(("127.0.0.1", agi_port), timeout=5) as agi:
            agi.sendall(b"agi_network_script: nothing-here\nagi_channel: Local/test\n\n")
            reply = agi.recv(200)
        assert reply.startswith(b"SET VARIABLE"), reply  # the default route asks the dialplan to fall back
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_ctrl_c_on_serve_with_pbx_stops_the_bundled_pbx_it_started(pbx: Any, tmp_path: Path) -> None:
    run_dir = pbx.settings.pbx.cache_dir / f"run-ctrl-c-{os.getpid()}"
    ports = {"CC_API__PORT": _free_port(), "CC_AMI__PORT": _free_port(), "CC_AGI__PORT": _free_port()}
    env = _env(tmp_path, CC_PBX__RUN_DIR=str(run_dir), **{k: str(v) for k, v in ports.items()})
    settings = load_settings(
        pbx={"run_dir": str(run_dir)},
        ami={"port": ports["CC_AMI__PORT"]},
        agi={"port": ports["CC_AGI__PORT"]},
    )
    own = BundledPbx(settings)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(CALLCENTER), "serve", "--with-pbx", "--no-jobs"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait(lambda: _healthy(f"http://127.0.0.1:{ports['CC_API__PORT']}"), proc, log)
        assert own.is_running()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        assert not own.is_running(), log.read_text(errors="replace")
        assert "stopping the bundled PBX this command started" in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
        own.down()
        shutil.rmtree(run_dir, ignore_errors=True)
    assert pbx.bundled.is_running()  # the shared test instance is untouched


def test_serve_believes_no_forwarded_header_so_a_new_x_forwarded_for_does_not_reset_the_login_limit(
    tmp_path: Path,
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(CALLCENTER), "serve", "--port", str(port), "--no-ami", "--no-jobs", "--no-agi"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(tmp_path),
        )
    try:
        _wait(lambda: _healthy(base), proc, log)
        answers = [
            httpx.post(
                f"{base}/api/auth/token",
                json={"username": "agent_wang", "password": "wrong-password"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
                timeout=30,
            ).status_code
            for i in range(8)
        ]
        assert answers[-1] == 429, answers
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
