"""Plain helpers that put customers, assets and interactions into a test database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from tickets.models import Asset, Customer, Interaction

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_customer(session: Session, *, name: str = "张三", tier: str = "standard",
                  created_at: datetime = T0) -> Customer:
    customer = Customer(display_name=name, tier=tier, created_at=created_at, updated_at=created_at,
                        preferred_language="zh", tags=[], value_score=0.0)
    session.add(customer)
    session.flush()
    return customer


def make_asset(session: Session, customer: Customer, *, amount: str | None = "3999.00",
               product: str = "Air conditioner") -> Asset:
    asset = Asset(customer_id=customer.id, product=product, model="KFR-35GW", serial_number="SN-1",
                  purchase_date=date(2025, 6, 1), purchase_amount=Decimal(amount) if amount else None)
    session.add(asset)
    session.flush()
    return asset


def make_interaction(session: Session, customer: Customer | None, *, started_at: datetime = T0,
                     channel: str = "phone") -> Interaction:
    interaction = Interaction(customer_id=customer.id if customer else None, channel=channel,
                              direction="inbound", address="+8613800138000", started_at=started_at)
    session.add(interaction)
    session.flush()
    return interaction


def make_agent(session: Session, username: str, *, role: str = "agent", active: bool = True) -> str:
    """A user row (tickets are assigned to active users only); returns the username."""
    from tickets.users.models import User

    session.add(User(username=username, display_name=username, role=role, password_hash="-",
                     active=active))
    session.flush()
    return username
