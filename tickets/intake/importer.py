"""The e-mail importer: a maildir folder into the CRM, one transaction per message."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tickets.db import unit_of_work
from tickets.errors import DomainError
from tickets.intake.classify import DEFAULT_RULES, KeywordRules
from tickets.intake.mail import MailParseError, parse_message
from tickets.intake.mail_import import ingest_mail
from tickets.intake.maildir import ImportReport, MessageRejected, StopImport, import_maildir
from tickets.workflow.rules import WorkflowRules

log = logging.getLogger(__name__)


def message_handler(
    factory: sessionmaker[Session], *, rules: WorkflowRules, keywords: KeywordRules = DEFAULT_RULES
) -> Callable[[bytes], str]:
    """``raw bytes -> outcome``: parse, then ingest in a transaction of its own."""

    def handle(raw: bytes) -> str:
        try:
            mail = parse_message(raw)
        except MailParseError as exc:
            raise MessageRejected(str(exc)) from exc
        for attempt in (1, 2):
            try:
                with unit_of_work(factory) as session:
                    result = ingest_mail(session, mail=mail, rules=rules, keywords=keywords)
            except IntegrityError:
                if attempt == 2:
                    raise
                continue  # a concurrent import stored the same Message-ID: the retry sees a duplicate
            except DomainError as exc:
                raise MessageRejected(f"{exc.error_id}: {exc.message}") from exc
            except (OperationalError, InterfaceError) as exc:
                raise StopImport(f"database unavailable: {exc.orig or exc}") from exc
            log.info("mail %s from %s: %s %s", mail.message_id, mail.sender_address, result.outcome,
                     result.ticket_number or "")
            return result.outcome
        raise AssertionError("unreachable")

    return handle


def import_mail(
    root: Path,
    factory: sessionmaker[Session],
    *,
    rules: WorkflowRules,
    keywords: KeywordRules = DEFAULT_RULES,
) -> ImportReport:
    """Import every pending message of the maildir at ``root`` once."""
    return import_maildir(root, message_handler(factory, rules=rules, keywords=keywords))


def watch_mail(
    root: Path,
    factory: sessionmaker[Session],
    *,
    rules: WorkflowRules,
    keywords: KeywordRules = DEFAULT_RULES,
    interval: float = 10.0,
    should_stop: Callable[[], bool] = lambda: False,
    on_report: Callable[[ImportReport], None] = lambda _r: None,
) -> None:
    """Import, then poll the folder every ``interval`` seconds until ``should_stop()``.

    A database outage is logged and retried on the next round; the messages stay pending.
    """
    while not should_stop():
        try:
            report = import_mail(root, factory, rules=rules, keywords=keywords)
            if report.handled or report.failed:
                on_report(report)
        except StopImport as exc:
            log.warning("import paused: %s", exc)
        deadline = time.monotonic() + interval
        while not should_stop() and time.monotonic() < deadline:
            time.sleep(min(0.5, interval))
