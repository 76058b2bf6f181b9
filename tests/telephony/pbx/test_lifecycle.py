"""up / status / cli / restart / down against the real bundled Asterisk, on an instance of its own
(AMI 15138, run dir run-lifecycle) so the session's ``pbx`` fixture is not disturbed."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from callcenter.cli import app
from config.settings import Settings, get_settings, load_settings
from telephony.pbx import BundledPbx, PbxError
from telephony.pbx.process import find_pids

pytestmark = pytest.mark.pbx

LIFECYCLE_AMI_PORT = 15138


def _settings() -> Settings:
    base = load_settings()
    return load_settings(
        ami={"port": LIFECYCLE_AMI_PORT, "username": "lifecycle", "secret": "lifecycle-secret"},
        agi={"port": 14673},
        pbx={"run_dir": str(base.pbx.cache_dir / "run-lifecycle")},
    )


@pytest.fixture
def instance() -> Iterator[BundledPbx]:
    pbx = BundledPbx(_settings())
    pbx.ensure_built()
    pbx.down()
    try:
        yield pbx
    finally:
        pbx.down()
        assert not find_pids(pbx.layout)


def test_up_is_idempotent_and_down_leaves_no_process(instance: BundledPbx) -> None:
    assert not instance.status().running
    first = instance.up()
    assert first.running and first.fully_booted and first.ami_reachable
    assert first.version.startswith("22.")
    again = instance.up()
    assert again.pid == first.pid  # the running one is kept
    assert instance.cli("core show version").startswith("Asterisk 22.")
    assert "fallback has 0 calls" in instance.cli("queue show fallback")
    pid = first.pid
    assert pid is not None and os.getpgid(pid) == pid  # its own process group, ended as a whole
    assert instance.down() is True
    assert instance.down() is False
    assert not find_pids(instance.layout)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    assert not instance.status().running
    with pytest.raises(PbxError, match="not running"):
        instance.cli("core show uptime")


def test_restart_gives_a_new_booted_process(instance: BundledPbx) -> None:
    before = instance.up()
    after = instance.restart()
    assert after.running and after.fully_booted
    assert after.pid != before.pid
    assert find_pids(instance.layout) == [after.pid]


def test_up_refuses_an_ami_port_taken_by_someone_else(instance: BundledPbx) -> None:
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", LIFECYCLE_AMI_PORT))
        squatter.listen()
        with pytest.raises(PbxError, match=f"AMI port 127.0.0.1:{LIFECYCLE_AMI_PORT} is already taken"):
            instance.up()
    assert not find_pids(instance.layout)


@pytest.fixture
def callcenter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """Invoke the real ``callcenter`` typer app (in process) against the lifecycle instance."""
    monkeypatch.setenv("CC_AMI__PORT", str(LIFECYCLE_AMI_PORT))
    monkeypatch.setenv("CC_AMI__USERNAME", "lifecycle")
    monkeypatch.setenv("CC_AMI__SECRET", "lifecycle-secret")
    monkeypatch.setenv("CC_PBX__RUN_DIR", str(_settings().pbx.effective_run_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, ["pbx", *args])
    get_settings.cache_clear()


def test_command_line_up_status_cli_down(instance: BundledPbx, callcenter: Callable[..., Result]) -> None:
    stopped = callcenter("status")
    assert stopped.exit_code == 3
    assert "bundled PBX: stopped" in stopped.stdout
    for _ in range(2):  # idempotent
        up = callcenter("up")
        assert up.exit_code == 0, up.output
        assert "AMI 127.0.0.1:15138: reachable, fully booted" in up.stdout
        assert "IVR prompts: " in up.stdout  # pbx up builds the prompts the shipped flows lack
    status = callcenter("status")
    assert status.exit_code == 0 and "running (pid" in status.stdout
    cli = callcenter("cli", "dialplan", "show", "sim-hold")
    assert cli.exit_code == 0 and "Wait(${IF(" in cli.stdout
    assert callcenter("down").stdout.strip() == "bundled PBX stopped"
    assert callcenter("down").stdout.strip() == "bundled PBX was not running"
    assert not find_pids(instance.layout)
    failed = callcenter("cli", "core", "show", "uptime")
    assert failed.exit_code == 1
    assert failed.stderr.startswith("error: the bundled PBX is not running")
    assert len(failed.stderr.strip().splitlines()) == 1
