"""seed_demo on SQLite and PostgreSQL: well-known customers, every type in every status, idempotence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import phonenumbers
import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from callcenter.commands.seed import seed
from tickets.customers.service import find_by_phone
from tickets.db import create_engine, session_factory
from tickets.models import ContactPoint, FollowUpTask, Interaction, Ticket, TicketChange
from tickets.record.service import record_by_phone
from tickets.seed.demo import KNOWN_ASSETS_BY_TIER, STATUSES, TYPES, seed_demo
from tickets.seed.well_known import ALICE_JOHNSON_PHONE, WELL_KNOWN, ZHANG_SANFENG_PHONE

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def empty_session(fresh_db_url: str) -> Iterator[Session]:
    """A session on a migrated database of its own (the shared test database holds other tests'
    committed customers, maybe even 张三丰)."""
    engine = create_engine(fresh_db_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def test_given_an_empty_database_when_seeded_then_it_holds_a_realistic_crm(empty_session: Session) -> None:
    db_session = empty_session
    summary = seed_demo(db_session, now=NOW, customers=60)
    assert not summary.already_seeded
    assert summary.customers == 60 and summary.tickets >= len(TYPES) * len(STATUSES)

    zhang = find_by_phone(db_session, phone="13800138000")  # a local number finds the E.164 one
    assert [c.display_name for c in zhang] == ["张三丰"] and zhang[0].tier == "vip"
    assert [c.display_name for c in find_by_phone(db_session, phone=ALICE_JOHNSON_PHONE)] == ["Alice Johnson"]
    for known in WELL_KNOWN:
        assert find_by_phone(db_session, phone=known.phones[0])[0].display_name == known.display_name

    combos = {(t, s) for t, s in db_session.execute(select(Ticket.type, Ticket.status))}
    assert combos >= {(t, s) for t in TYPES for s in STATUSES}
    channels = set(db_session.scalars(select(Interaction.channel)))
    assert channels == {"phone", "web", "email"}
    for value in db_session.scalars(select(ContactPoint.value).where(ContactPoint.kind == "phone")):
        assert phonenumbers.is_valid_number(phonenumbers.parse(value)), value

    closed = db_session.scalars(select(Ticket).where(Ticket.status == "closed")).first()
    assert closed is not None and closed.resolved_at is not None and closed.closed_at is not None
    fields = set(db_session.scalars(select(TicketChange.field).where(TicketChange.ticket_id == closed.id)))
    assert {"created", "status"} <= fields
    assert closed.comments and closed.interactions
    assert (
        db_session.scalars(
            select(func.count())
            .select_from(FollowUpTask)
            .where(FollowUpTask.status == "done", FollowUpTask.satisfaction.is_not(None))
        ).one()
        >= 1
    )
    assert all(t.created_at <= NOW for t in db_session.scalars(select(Ticket)))

    record = record_by_phone(db_session, phone=ZHANG_SANFENG_PHONE)  # the demo screen pop
    assert record.customer.display_name == "张三丰" and len(record.assets) == KNOWN_ASSETS_BY_TIER["vip"]
    assert record.customer.tier == "vip"  # earned from that history: the value job keeps it
    assert record.interactions and record.open_tickets and record.last_agent is not None

    again = seed_demo(db_session, now=NOW, customers=60)
    assert again.already_seeded
    assert (again.customers, again.tickets, again.interactions) == (
        summary.customers,
        summary.tickets,
        summary.interactions,
    )


def test_callcenter_seed_migrates_seeds_and_reports(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("seed")(seed)
    app.command("noop")(lambda: None)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = CliRunner().invoke(app, ["seed", "--url", url, "--customers", "20", "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout.strip().splitlines()[-1])
    assert data["already_seeded"] is False and data["customers"] == 20
    assert set(data["tickets_by_status"]) == set(STATUSES)
    second = CliRunner().invoke(app, ["seed", "--url", url, "--customers", "20"])
    assert second.exit_code == 0 and "already seeded, nothing added" in second.stdout


def test_given_seeded_data_when_the_value_job_runs_then_no_tier_changes(empty_session: Session) -> None:
    from tickets.jobs.value import recompute_value_segments
    from tickets.workflow.rules import load_rules

    seed_demo(empty_session, now=NOW, customers=40)
    report = recompute_value_segments(empty_session, now=NOW, rules=load_rules())
    assert report.customers == 40 and report.changed == 0
