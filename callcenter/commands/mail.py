"""``callcenter import-mail MAILDIR``: e-mails from a maildir folder into the customer record."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from callcenter import migrate
from config.settings import get_settings
from tickets.db import create_engine, session_factory
from tickets.intake.classify import DEFAULT_RULES, KeywordRules
from tickets.intake.importer import import_mail, watch_mail
from tickets.intake.maildir import ImportReport, StopImport, open_maildir
from tickets.workflow.rules import RulesError, load_rules

MaildirArg = Annotated[Path, typer.Argument(help="The maildir folder (with new/ and cur/).")]
OnceOpt = Annotated[bool, typer.Option("--once/--watch", help="Import once and stop, or keep polling.")]
IntervalOpt = Annotated[float, typer.Option(min=0.1, help="Seconds between polls with --watch.")]
KeywordsOpt = Annotated[
    Path | None, typer.Option(help="YAML {complaint: [...], repair: [...]} replacing the keyword lists.")
]
RulesOpt = Annotated[Path | None, typer.Option("--rules", help="Workflow rules (config/workflow.yaml).")]
UrlOpt = Annotated[str | None, typer.Option(help="Database URL (default: CC_DATABASE_URL or SQLite).")]


def _keywords(path: Path | None) -> KeywordRules:
    if path is None:
        return DEFAULT_RULES
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError("the file must hold a mapping {complaint: [...], repair: [...]}")
        return KeywordRules.from_mapping(data)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        typer.echo(f"{path}: {exc}", err=True)
        raise typer.Exit(2) from exc


def _echo(report: ImportReport) -> None:
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    for name, reason in report.failed:
        typer.echo(f"moved aside to .failed: {name}: {reason}", err=True)


def import_mail_command(
    maildir: MaildirArg,
    once: OnceOpt = True,
    interval: IntervalOpt = 10.0,
    keywords: KeywordsOpt = None,
    rules_file: RulesOpt = None,
    url: UrlOpt = None,
) -> None:
    """Import e-mails: each becomes an interaction and a ticket, or a comment on the ticket it answers.

    Imported messages move to cur/ with the S (seen) flag; unreadable ones to the .failed sub-folder.
    """
    try:
        open_maildir(maildir)
        rules = load_rules(rules_file)
    except (FileNotFoundError, RulesError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    kw = _keywords(keywords)
    target = url or get_settings().effective_database_url
    migrate.upgrade(target)
    engine = create_engine(target)
    factory = session_factory(engine)
    try:
        if once:
            try:
                _echo(import_mail(maildir, factory, rules=rules, keywords=kw))
            except StopImport as exc:
                typer.echo(str(exc), err=True)
                raise typer.Exit(1) from exc
            return
        stopping: list[Any] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_a: stopping.append(True))
        typer.echo(f"watching {maildir} every {interval:g} s (Ctrl-C stops)", err=True)
        watch_mail(
            maildir,
            factory,
            rules=rules,
            keywords=kw,
            interval=interval,
            should_stop=lambda: bool(stopping),
            on_report=_echo,
        )
    finally:
        engine.dispose()
