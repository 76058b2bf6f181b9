"""``callcenter db upgrade|current|downgrade`` on a fresh SQLite file and a scratch PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callcenter.cli import app
from tests.fixtures.db import create_scratch_postgres, drop_scratch_postgres
from tickets.migrate import current, heads


@pytest.fixture
def fresh_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'sub' / 'cli.db'}"
        return
    url = create_scratch_postgres("cc_cli")
    try:
        yield url
    finally:
        drop_scratch_postgres(url)


def test_upgrade_current_downgrade(fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # works from any folder
    runner = CliRunner()
    before = runner.invoke(app, ["db", "current", "--url", fresh_url])
    assert before.exit_code == 1 and "at base" in before.output

    up = runner.invoke(app, ["db", "upgrade", "--url", fresh_url])
    assert up.exit_code == 0, up.output
    assert current(fresh_url) == heads()
    assert runner.invoke(app, ["db", "current", "--url", fresh_url]).exit_code == 0

    down = runner.invoke(app, ["db", "downgrade", "base", "--url", fresh_url])
    assert down.exit_code == 0 and current(fresh_url) == ()


def test_an_unreachable_database_is_a_one_line_error() -> None:
    result = CliRunner().invoke(
        app, ["db", "upgrade", "--url", "postgresql+psycopg://postgres@127.0.0.1:5432/cc_no_such_db_h4"]
    )
    assert result.exit_code == 1
    assert "cc_no_such_db_h4" in result.output and "Traceback" not in result.output
