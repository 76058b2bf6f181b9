"""The periodic runner: each job in its own transaction, errors logged, the loop survives."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.tickets.ticketing.crm_data import T0, make_customer
from tickets.actors import Actor
from tickets.jobs import run_jobs_forever, run_jobs_once
from tickets.models import FollowUpTask, Notification
from tickets.ticketing import service
from tickets.ticketing.notifier import DbNotifier, Note
from tickets.ticketing.schemas import TicketCreate
from tickets.workflow.rules import load_rules
from tickets.workflow.vocab import Status

RULES = load_rules()
AGENT = Actor("agent_wang", "supervisor")  # moves tickets of any assignee (authorization is tested elsewhere)


def seed_tickets(session):
    customer = make_customer(session)
    overdue = service.create_ticket(session, actor=AGENT, rules=RULES, now=T0, data=TicketCreate(
        type="inquiry", customer_id=customer.id, subject="overdue", assignee="agent_liu"))
    repaired = service.create_ticket(session, actor=AGENT, rules=RULES, now=T0, data=TicketCreate(
        type="repair", customer_id=customer.id, subject="fixed"))
    service.transition_ticket(session, actor=AGENT, ref=repaired.id, to=Status.RESOLVED, rules=RULES, now=T0)
    session.commit()
    return overdue, repaired


class FailingBreachNotifier(DbNotifier):
    def send(self, session: Session, note: Note) -> None:
        if note.kind == "sla_breach":
            raise RuntimeError("notifier down")
        super().send(session, note)


def test_a_failing_job_is_rolled_back_and_logged_while_the_others_run(db_session, db_sessionmaker, caplog):
    overdue, repaired = seed_tickets(db_session)
    now = T0 + timedelta(days=4)
    with caplog.at_level(logging.ERROR, logger="tickets.jobs.runner"):
        report = run_jobs_once(db_sessionmaker, RULES, now=now, notifier=FailingBreachNotifier())
    assert report.failed == ["escalate_overdue"] and report.follow_ups >= 1
    assert "SLA escalation job failed" in caplog.text
    db_session.expire_all()
    assert overdue.escalation_level == 0 and overdue.sla_breached_at is None
    assert db_session.scalars(select(FollowUpTask).where(FollowUpTask.ticket_id == repaired.id)).one()

    report = run_jobs_once(db_sessionmaker, RULES, now=now, include_value=True)
    assert report.failed == [] and report.escalated >= 1
    assert report.customers_valued is not None and report.customers_valued >= 1
    db_session.expire_all()
    assert overdue.escalation_level == 2


class RecordingNotifier(DbNotifier):
    def __init__(self) -> None:
        self.sent: list[Note] = []

    def send(self, session: Session, note: Note) -> None:
        super().send(session, note)
        self.sent.append(note)


class FlakySessionmaker(sessionmaker[Session]):
    """Opens sessions like ``like`` once its first ``failures`` attempts have raised."""

    def __init__(self, like: sessionmaker[Session], *, failures: int) -> None:
        super().__init__(**like.kw)
        self.failures = failures

    def __call__(self, **local_kw: Any) -> Session:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("database unavailable")
        return super().__call__(**local_kw)


async def test_run_forever_survives_errors_and_stops_on_request(db_session, db_sessionmaker, caplog):
    overdue, _ = seed_tickets(db_session)
    flaky_factory = FlakySessionmaker(db_sessionmaker, failures=2)
    notifier = RecordingNotifier()
    stop = asyncio.Event()
    task = asyncio.create_task(run_jobs_forever(
        flaky_factory, RULES, interval=0.01, value_interval=3600, notifier=notifier,
        clock=lambda: T0 + timedelta(days=4), stop=stop))
    deadline = time.monotonic() + 30
    while not any(n.ticket_id == overdue.id for n in notifier.sent):
        assert time.monotonic() < deadline, "the runner never escalated the overdue ticket"
        assert not task.done(), task
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    assert "database unavailable" in caplog.text
    rows = db_session.scalars(select(Notification).where(Notification.ticket_id == overdue.id,
                                                         Notification.kind == "sla_breach")).all()
    assert {n.recipient for n in rows} == {"agent_liu", "sup_li", "admin"}


async def test_run_forever_accepts_app_settings_instead_of_rules(db_sessionmaker):
    stop = asyncio.Event()
    stop.set()
    await asyncio.wait_for(run_jobs_forever(db_sessionmaker, object(), stop=stop), timeout=10)
