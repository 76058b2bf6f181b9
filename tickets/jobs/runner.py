"""Run the jobs periodically next to the app: each job in its own transaction, errors logged."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tickets.db import unit_of_work
from tickets.jobs.escalation import escalate_overdue
from tickets.jobs.follow_ups import create_follow_ups
from tickets.jobs.value import recompute_value_segments
from tickets.models import utcnow
from tickets.ticketing.notifier import Notifier
from tickets.workflow.rules import WorkflowRules, load_rules

log = logging.getLogger(__name__)


@dataclass
class JobReport:
    escalated: int = 0
    follow_ups: int = 0
    customers_valued: int | None = None
    failed: list[str] = field(default_factory=list)


def run_jobs_once(session_factory: sessionmaker[Session], rules: WorkflowRules, *, now: datetime,
                  notifier: Notifier | None = None, include_value: bool = False) -> JobReport:
    """Each job in its own transaction; a failing job is logged, rolled back and the others still run."""
    report = JobReport()
    try:
        with unit_of_work(session_factory) as session:
            report.escalated = len(escalate_overdue(session, now=now, rules=rules, notifier=notifier))
    except Exception:
        log.exception("SLA escalation job failed")
        report.failed.append("escalate_overdue")
    try:
        with unit_of_work(session_factory) as session:
            report.follow_ups = len(create_follow_ups(session, now=now, rules=rules, notifier=notifier))
    except Exception:
        log.exception("follow-up job failed")
        report.failed.append("create_follow_ups")
    if include_value:
        try:
            with unit_of_work(session_factory) as session:
                valued = recompute_value_segments(session, now=now, rules=rules, on_batch=session.commit)
                report.customers_valued = valued.customers
        except Exception:
            log.exception("value segmentation job failed")
            report.failed.append("recompute_value_segments")
    if report.escalated or report.follow_ups or report.failed:
        log.info("ticket jobs: %s", report)
    return report


async def run_jobs_forever(
    session_factory: sessionmaker[Session],
    rules: WorkflowRules | Any = None,
    interval: float = 60.0,
    *,
    value_interval: float = 6 * 3600.0,
    notifier: Notifier | None = None,
    clock: Callable[[], datetime] = utcnow,
    stop: asyncio.Event | None = None,
) -> None:
    """Every ``interval`` seconds escalate and create follow-ups; every ``value_interval`` seconds
    recompute the value segments. Runs until cancelled or ``stop`` is set; survives any job error.

    ``rules`` other than a :class:`WorkflowRules` (e.g. the app's settings) means config/workflow.yaml.
    The blocking database work runs in a worker thread so the event loop stays responsive.
    """
    if not isinstance(rules, WorkflowRules):
        rules = load_rules()
    stop = stop or asyncio.Event()
    last_value = -value_interval
    while not stop.is_set():
        include_value = time.monotonic() - last_value >= value_interval
        try:
            await asyncio.to_thread(run_jobs_once, session_factory, rules, now=clock(), notifier=notifier,
                                    include_value=include_value)
        except Exception:  # run_jobs_once logs per job; this catches anything around it
            log.exception("ticket jobs round failed")
        if include_value:
            last_value = time.monotonic()
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
