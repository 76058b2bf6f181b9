"""``callcenter serve`` (a real server process) and ``callcenter users``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from callcenter.cli import app as cli
from config.settings import get_settings
from tests.fixtures.db import create_scratch_postgres, drop_scratch_postgres
from tickets.users.demo import DEFAULT_DEMO_PASSWORD

CALLCENTER = Path(sys.executable).with_name("callcenter")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env.update({"CC_DATA_DIR": str(tmp_path / "data"), "CC_ENVIRONMENT": "development", **extra})
    env.setdefault("CC_AGI__PORT", str(_free_port()))  # serve runs FastAGI too: keep off the default port
    return env


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'serve.db'}"
        return
    url = create_scratch_postgres("cc_serve")
    try:
        yield url
    finally:
        drop_scratch_postgres(url)


def _wait_until_healthy(base: str, proc: subprocess.Popen[bytes], log: Path, deadline_s: float = 90) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"serve did not answer /healthz in {deadline_s} s:\n{log.read_text(errors='replace')}")


def test_serve_migrates_creates_demo_logins_prints_them_and_serves(
    fresh_database_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = _env(tmp_path, CC_DATABASE_URL=fresh_database_url)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(CALLCENTER), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-jobs", "--no-ami"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait_until_healthy(base, proc, log)
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        token = httpx.post(
            f"{base}/api/auth/token",
            data={"username": "agent_wang", "password": DEFAULT_DEMO_PASSWORD},
            timeout=10,
        )
        assert token.status_code == 200, token.text
        assert token.json()["user"]["display_name"] == "王小明"
        me = httpx.get(
            f"{base}/api/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
        )
        assert me.json()["extension"] == "1001"
        assert httpx.get(f"{base}/ws/ping?token=not-a-real-token", timeout=5).status_code in (400, 403, 404)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    printed = log.read_text(encoding="utf-8", errors="replace")
    assert f"{base}/docs" in printed
    for username in ("admin", "sup_li", "agent_wang", "agent_zhang"):
        assert username in printed
    assert "王小明" in printed and DEFAULT_DEMO_PASSWORD in printed
    assert "/ws/ping?token=*** " in printed  # the access log masks tokens in query strings
    assert "not-a-real-token" not in printed


def test_serve_refuses_to_start_in_production_without_secrets(tmp_path: Path) -> None:
    env = _env(tmp_path, CC_ENVIRONMENT="production")
    done = subprocess.run(
        [str(CALLCENTER), "serve", "--port", str(_free_port())], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    assert b"api.secret_key" in done.stderr


def test_prepare_in_production_creates_no_demo_users(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from callcenter.commands.serve import prepare
    from config.settings import load_settings
    from tickets.db import create_engine

    url = f"sqlite:///{tmp_path / 'prod.db'}"
    settings = load_settings(
        environment="production", database_url=url, ami={"secret": "a" * 32}, api={"secret_key": "k" * 48}
    )
    prepare(settings, with_pbx=False, seed=False, host="0.0.0.0", port=8080)
    printed = capsys.readouterr().out
    assert "http://127.0.0.1:8080/docs" in printed
    assert "demo logins" not in printed and DEFAULT_DEMO_PASSWORD not in printed
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM users").scalar() == 0
    finally:
        engine.dispose()


@pytest.fixture
def cli_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CC_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_users_cli_creates_lists_and_sets_passwords(cli_database: str, tmp_path: Path) -> None:
    runner = CliRunner()
    username = f"cli{os.getpid()}{time.monotonic_ns() % 10**6}"
    made = runner.invoke(
        cli,
        ["users", "create", "-u", username, "-r", "supervisor", "-n", "赵主管", "-p", "first-password"],
    )
    assert made.exit_code == 0, made.output
    listed = runner.invoke(cli, ["users", "list"])
    assert username in listed.output and "赵主管" in listed.output and "supervisor" in listed.output
    dup = runner.invoke(cli, ["users", "create", "-u", username, "-p", "first-password"])
    assert dup.exit_code == 1 and "taken" in dup.output
    bad = runner.invoke(cli, ["users", "create", "-u", "Bad Name", "-r", "boss", "-p", "x"])
    assert bad.exit_code == 1 and "username" in bad.output and "role" in bad.output
    changed = runner.invoke(
        cli, ["users", "set-password", "-u", username], input="second-password\nsecond-password\n"
    )
    assert changed.exit_code == 0, changed.output
    assert "second-password" not in changed.output

    from tickets.db import create_engine, session_factory
    from tickets.users.login import authenticate
    from tickets.users.passwords import Passwords

    engine = create_engine(cli_database)
    try:
        with session_factory(engine)() as session:
            assert authenticate(session, username=username, password="second-password", passwords=Passwords())
            assert not authenticate(
                session, username=username, password="first-password", passwords=Passwords()
            )
    finally:
        engine.dispose()


def test_serve_with_pbx_brings_the_bundled_pbx_up_and_prints_the_ami_port(
    pbx: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from callcenter.commands.serve import prepare

    settings = pbx.settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'pbx.db'}"})
    prepare(settings, with_pbx=True, seed=False, host="127.0.0.1", port=8080)
    printed = capsys.readouterr().out
    assert f"AMI on {pbx.ami_host}:{pbx.ami_port} (user {pbx.ami_username})" in printed
    assert "Asterisk 22" in printed
    assert pbx.bundled.is_running()


def test_the_demo_logins_cover_every_workflow_team_member_supervisor_and_manager() -> None:
    from tickets.users.demo import DEMO_USERS
    from tickets.workflow.rules import load_rules

    rules = load_rules()
    roles = {str(u["username"]): u["role"] for u in DEMO_USERS}
    for team in rules.teams:
        assert roles.get(team.supervisor) == "supervisor", team.supervisor
        for member in team.members:
            assert roles.get(member) == "agent", member
    for manager in rules.escalation.managers:
        assert roles.get(manager) in ("supervisor", "admin"), manager


def test_serve_seed_fills_the_crm_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from callcenter.commands.serve import prepare
    from config.settings import load_settings
    from tickets.db import create_engine

    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    settings = load_settings(environment="development", database_url=url)
    prepare(settings, with_pbx=False, seed=True, host="127.0.0.1", port=8080)
    first = capsys.readouterr().out
    assert "demo data: seeded (customers" in first and "agent_wang" in first
    prepare(settings, with_pbx=False, seed=True, host="127.0.0.1", port=8080)
    second = capsys.readouterr().out
    assert "demo data: already seeded" in second
    assert "(unchanged: set earlier)" in second
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM customers").scalar_one() >= 6
            assert conn.exec_driver_sql("SELECT count(*) FROM users").scalar() == 10
    finally:
        engine.dispose()
