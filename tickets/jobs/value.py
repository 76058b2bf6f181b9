"""Customer value segmentation: a score from each customer's history and the tier it earns.

    score = asset * assets + purchase_per_1000 * purchases / 1000 + interaction * recent interactions
            + tenure_year * years as a customer + complaint * complaint tickets

The tier follows the thresholds (VIP is the top tier, which the IVR and the ACD use for priority).
Customers are read in id ranges of ``batch_size``; each range costs four indexed, grouped queries and
one executemany update of the customers whose score or tier changed, so memory stays flat on millions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tickets.models import Asset, Customer, Interaction, Ticket
from tickets.workflow.rules import ValueRules, WorkflowRules

DAYS_PER_YEAR = 365.25


@dataclass
class ValueReport:
    customers: int = 0
    changed: int = 0
    tiers: Counter[str] = field(default_factory=Counter)


def score(rules: ValueRules, *, assets: int, purchases: Decimal | float, interactions: int,
          tenure_days: float, complaints: int) -> float:
    w = rules.weights
    value = (w.asset * assets + w.purchase_per_1000 * float(purchases) / 1000 + w.interaction * interactions
             + w.tenure_year * max(tenure_days, 0.0) / DAYS_PER_YEAR + w.complaint * complaints)
    return round(value, 2)


def recompute_value_segments(session: Session, *, now: datetime, rules: WorkflowRules,
                             batch_size: int | None = None,
                             on_batch: Callable[[], None] | None = None) -> ValueReport:
    """Recompute ``value_score`` and ``tier`` of every customer that was not merged away.

    ``on_batch`` runs after each range is flushed (the runner commits there, keeping transactions
    short on large tables).
    """
    value_rules = rules.value
    size = batch_size or value_rules.batch_size
    since = now - timedelta(days=value_rules.interaction_window_days)
    report = ValueReport()
    last_id = 0
    while True:
        rows = session.execute(
            select(Customer.id, Customer.created_at, Customer.tier, Customer.value_score)
            .where(Customer.id > last_id, Customer.merged_into_id.is_(None))
            .order_by(Customer.id)
            .limit(size)
        ).all()
        if not rows:
            return report
        lo, hi = rows[0].id, rows[-1].id
        last_id = hi
        assets = {cid: (n, amount or 0) for cid, n, amount in session.execute(
            select(Asset.customer_id, func.count(), func.sum(Asset.purchase_amount))
            .where(Asset.customer_id.between(lo, hi)).group_by(Asset.customer_id))}
        contacts = dict(session.execute(
            select(Interaction.customer_id, func.count())
            .where(Interaction.customer_id.between(lo, hi), Interaction.started_at >= since)
            .group_by(Interaction.customer_id)).all())
        complaints = dict(session.execute(
            select(Ticket.customer_id, func.count())
            .where(Ticket.customer_id.between(lo, hi), Ticket.type == "complaint")
            .group_by(Ticket.customer_id)).all())
        changes = []
        for row in rows:
            n_assets, amount = assets.get(row.id, (0, 0))
            value = score(value_rules, assets=n_assets, purchases=amount,
                          interactions=contacts.get(row.id, 0),
                          tenure_days=(now - row.created_at).total_seconds() / 86400,
                          complaints=complaints.get(row.id, 0))
            tier = value_rules.thresholds.tier_for(value).value
            report.tiers[tier] += 1
            if tier != row.tier or abs(value - (row.value_score or 0.0)) > 0.005:
                changes.append({"id": row.id, "value_score": value, "tier": tier})
        if changes:
            session.execute(update(Customer), changes)
        report.customers += len(rows)
        report.changed += len(changes)
        session.flush()
        if on_batch is not None:
            on_batch()
