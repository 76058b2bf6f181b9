"""Value segmentation over a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.tickets.ticketing.crm_data import T0, make_asset, make_customer, make_interaction
from tickets.jobs import recompute_value_segments
from tickets.jobs.value import score
from tickets.models import Customer, Ticket
from tickets.workflow.rules import load_rules

RULES = load_rules()
NOW = T0 + timedelta(days=1)


def add_complaint(session, customer):
    session.add(Ticket(number=f"CMP-T{customer.id}", type="complaint", status="resolved", priority="high",
                       customer_id=customer.id, subject="x", severity="low", created_at=T0, updated_at=T0))
    session.flush()


def test_score_formula():
    # weights: asset 4, purchase_per_1000 2, interaction 0.5, tenure_year 2, complaint -3
    assert score(RULES.value, assets=2, purchases=5000, interactions=4, tenure_days=365.25 * 3,
                 complaints=1) == pytest.approx(8 + 10 + 2 + 6 - 3)


def test_tiers_follow_the_history_and_vip_is_the_top(db_session):
    newcomer = make_customer(db_session, name="新客户", created_at=NOW, tier="gold")
    loyal = make_customer(db_session, name="老客户", created_at=T0 - timedelta(days=365 * 5))
    for _ in range(3):
        make_asset(db_session, loyal, amount="10000.00")
    for day in range(6):
        make_interaction(db_session, loyal, started_at=NOW - timedelta(days=day))
    make_interaction(db_session, loyal, started_at=NOW - timedelta(days=400))  # outside the window
    silver = make_customer(db_session, name="Mia", created_at=T0 - timedelta(days=365))
    make_asset(db_session, silver, amount="2500.00")
    make_asset(db_session, silver, amount=None)
    add_complaint(db_session, silver)
    merged = make_customer(db_session, name="dup", tier="vip")
    merged.merged_into_id = loyal.id
    db_session.flush()

    report = recompute_value_segments(db_session, now=NOW, rules=RULES, batch_size=2)
    assert report.customers >= 3
    db_session.expire_all()
    assert (newcomer.tier, newcomer.value_score) == ("standard", 0.0)
    # 3 assets*4 + 30000/1000*2 + 6*0.5 + ~5 years*2
    assert loyal.tier == "vip" and loyal.value_score == pytest.approx(12 + 60 + 3 + 10, abs=0.1)
    # 2 assets*4 + 2500/1000*2 + 1 year*2 - 3
    assert silver.tier == "silver" and silver.value_score == pytest.approx(8 + 5 + 2 - 3, abs=0.1)
    assert merged.tier == "vip"  # merged duplicates are left as they are

    again = recompute_value_segments(db_session, now=NOW, rules=RULES, batch_size=2)
    assert again.changed == 0 and again.customers == report.customers


def test_batches_cover_every_customer_once(db_session):
    six_years_ago = T0 - timedelta(days=365 * 6)
    made = [make_customer(db_session, name=f"c{i}", created_at=six_years_ago) for i in range(7)]
    commits = []
    report = recompute_value_segments(db_session, now=NOW, rules=RULES, batch_size=3,
                                      on_batch=lambda: commits.append(1))
    ids = {c.id for c in made}
    got = dict(db_session.execute(select(Customer.id, Customer.tier).where(Customer.id.in_(ids))).all())
    assert set(got.values()) == {"silver"}  # 6 years * 2 = 12 points
    assert report.customers >= 7 and len(commits) == -(-report.customers // 3)
