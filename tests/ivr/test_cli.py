from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from callcenter.commands.ivr import app

runner = CliRunner()


def test_validate_checks_the_shipped_flows() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validate_names_file_node_and_problem_and_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nstart: a\nnodes:\n  a:\n    type: play\n    prompts: [{zh: 你好, en: Hi}]\n    next: b\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: node a: next → unknown target 'b'" in result.output
