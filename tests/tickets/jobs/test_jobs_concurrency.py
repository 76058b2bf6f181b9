"""Two job runners at once on PostgreSQL: row locks with SKIP LOCKED keep each ticket to one runner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from callcenter.migrate import upgrade
from tests.fixtures.db import create_scratch_postgres, drop_scratch_postgres
from tests.tickets.ticketing.crm_data import T0, make_customer
from tickets.actors import Actor
from tickets.db import create_engine, session_factory, unit_of_work
from tickets.jobs import create_follow_ups, escalate_overdue
from tickets.models import FollowUpTask, Notification
from tickets.ticketing import service
from tickets.ticketing.schemas import TicketCreate
from tickets.workflow.rules import load_rules
from tickets.workflow.vocab import Status

RULES = load_rules()
AGENT = Actor("agent_wang", "supervisor")  # moves tickets of any assignee (authorization is tested elsewhere)


@pytest.fixture
def own_postgres(db_backend):
    """A database of this test's own: the runners commit, and other tests' rows must not be touched."""
    if db_backend != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's; SQLite lets one writer in at a time")
    url = create_scratch_postgres("cc_test_jobs")
    engine = None
    try:
        upgrade(url)
        engine = create_engine(url)
        yield session_factory(engine)
    finally:
        if engine is not None:
            engine.dispose()
        drop_scratch_postgres(url)


def test_concurrent_runners_escalate_and_follow_up_each_ticket_once(own_postgres):
    factory = own_postgres
    with unit_of_work(factory) as session:
        customer = make_customer(session)
        ids = []
        for i in range(6):
            kind = "repair" if i % 2 else "inquiry"
            ticket = service.create_ticket(session, actor=AGENT, rules=RULES, now=T0, data=TicketCreate(
                type=kind, customer_id=customer.id, subject=f"t{i}", assignee="agent_liu"))
            if kind == "repair":
                service.transition_ticket(session, actor=AGENT, ref=ticket.id, to=Status.RESOLVED,
                                          rules=RULES, now=T0)
            ids.append(ticket.id)
    now = T0 + timedelta(days=10)
    first, second = factory(), factory()
    try:
        a = escalate_overdue(first, now=now, rules=RULES, batch_size=2)
        b = escalate_overdue(second, now=now, rules=RULES, batch_size=2)  # A holds the rows: skipped
        assert len(a) == 3 and b == []
        fa = create_follow_ups(first, now=now, rules=RULES)
        fb = create_follow_ups(second, now=now, rules=RULES)
        assert len(fa) == 3 and fb == []
        first.commit()
        second.commit()
        assert escalate_overdue(second, now=now, rules=RULES) == []
        assert create_follow_ups(second, now=now, rules=RULES) == []
        second.commit()
    finally:
        first.close()
        second.close()
    with unit_of_work(factory) as session:
        breaches = session.scalar(select(func.count()).select_from(Notification)
                                  .where(Notification.kind == "sla_breach"))
        tasks = session.scalar(select(func.count()).select_from(FollowUpTask))
    assert breaches == 3 * 3  # each inquiry: assignee, supervisor, admin, once
    assert tasks == 3
