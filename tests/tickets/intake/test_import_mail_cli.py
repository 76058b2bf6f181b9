"""``callcenter import-mail``: the command and the watch loop, on a database file of their own."""

from __future__ import annotations

import json
import mailbox
import threading
from pathlib import Path

import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from callcenter import migrate
from callcenter.commands.mail import import_mail_command
from tickets.db import create_engine, session_factory
from tickets.intake.importer import watch_mail
from tickets.intake.maildir import ImportReport
from tickets.models import Ticket
from tickets.workflow.rules import load_rules

DATA = Path(__file__).parent / "data"


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("import-mail")(import_mail_command)
    app.command("noop")(lambda: None)  # two commands: typer keeps the sub-command name
    return app


def test_import_mail_once_prints_a_summary_and_moves_bad_mail_aside(tmp_path: Path) -> None:
    md = mailbox.Maildir(tmp_path / "md", factory=None, create=True)
    for name in ("foxmail_gbk_repair.eml", "malformed_no_from.eml"):
        md.add((DATA / name).read_bytes())
    keywords = tmp_path / "kw.yaml"
    keywords.write_text("complaint: [不制冷]\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'crm.db'}"

    result = CliRunner().invoke(
        cli(), ["import-mail", str(tmp_path / "md"), "--once", "--url", url, "--keywords", str(keywords)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == {"handled": 1, "ticket": 1, "failed": 1}
    assert "moved aside to .failed" in result.stderr
    engine = create_engine(url)
    with session_factory(engine)() as session:
        assert session.scalars(select(Ticket.type)).all() == ["complaint"]  # the keyword file applied
    engine.dispose()


def test_import_mail_refuses_a_folder_that_is_not_a_maildir(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli(), ["import-mail", str(tmp_path), "--url", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2
    assert "not a maildir" in result.stderr


def test_watch_mail_picks_up_messages_delivered_while_it_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    factory = session_factory(engine)
    root = tmp_path / "md"
    md = mailbox.Maildir(root, factory=None, create=True)
    reports: list[ImportReport] = []
    stop = threading.Event()

    def on_report(report: ImportReport) -> None:
        reports.append(report)
        stop.set()

    worker = threading.Thread(
        target=watch_mail,
        kwargs={"root": root, "factory": factory, "rules": load_rules(), "interval": 0.1,
                "should_stop": stop.is_set, "on_report": on_report},
    )
    worker.start()
    try:
        md.add((DATA / "gb18030_8bit_no_msgid.eml").read_bytes())
        assert stop.wait(timeout=30), "the watcher did not import the delivered message"
    finally:
        stop.set()
        worker.join(timeout=30)
    assert [r.as_dict() for r in reports] == [{"handled": 1, "ticket": 1, "failed": 0}]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
    engine.dispose()
