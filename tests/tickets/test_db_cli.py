"""``callcenter db upgrade|current|downgrade`` on a fresh SQLite file and a scratch PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from callcenter.cli import app
from callcenter.migrate import current, heads


def test_upgrade_current_downgrade(
    empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # works from any folder
    runner = CliRunner()
    before = runner.invoke(app, ["db", "current", "--url", empty_db_url])
    assert before.exit_code == 1 and "at base" in before.output

    up = runner.invoke(app, ["db", "upgrade", "--url", empty_db_url])
    assert up.exit_code == 0, up.output
    assert current(empty_db_url) == heads()
    assert runner.invoke(app, ["db", "current", "--url", empty_db_url]).exit_code == 0

    down = runner.invoke(app, ["db", "downgrade", "base", "--url", empty_db_url])
    assert down.exit_code == 0 and current(empty_db_url) == ()


def test_an_unreachable_database_is_a_one_line_error() -> None:
    result = CliRunner().invoke(
        app, ["db", "upgrade", "--url", "postgresql+psycopg://postgres@127.0.0.1:5432/cc_no_such_db_h4"]
    )
    assert result.exit_code == 1
    assert "cc_no_such_db_h4" in result.output and "Traceback" not in result.output
