"""Customers and what belongs to them: contact points (phones, e-mails) and assets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tickets.db import Base
from tickets.models.types import JSONDoc, UTCDateTime, utcnow

TIERS = ("standard", "silver", "gold", "vip")
CONTACT_KINDS = ("phone", "email")


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(16), default="standard", index=True)
    value_score: Mapped[float] = mapped_column(Float, default=0.0)
    segment: Mapped[str | None] = mapped_column(String(64))
    preferred_language: Mapped[str] = mapped_column(String(16), default="zh")
    tags: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    contact_points: Mapped[list[ContactPoint]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="ContactPoint.id"
    )
    assets: Mapped[list[Asset]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Asset.id"
    )

    @property
    def phones(self) -> list[str]:
        return [cp.value for cp in self.contact_points if cp.kind == "phone"]

    @property
    def emails(self) -> list[str]:
        return [cp.value for cp in self.contact_points if cp.kind == "email"]

    def __repr__(self) -> str:
        return f"Customer(id={self.id!r}, display_name={self.display_name!r})"


class ContactPoint(Base):
    """A phone number (E.164) or an e-mail address (lower case) of a customer."""

    __tablename__ = "contact_points"
    __table_args__ = (
        Index("ix_contact_points_kind_value", "kind", "value"),
        UniqueConstraint("customer_id", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320))
    label: Mapped[str | None] = mapped_column(String(64))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="contact_points")

    def __repr__(self) -> str:
        return f"ContactPoint({self.kind}={self.value!r}, customer_id={self.customer_id!r})"


class Asset(Base):
    """A product the customer owns (what repairs are about)."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    product: Mapped[str] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    serial_number: Mapped[str | None] = mapped_column(String(128), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    warranty_end: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="assets")

    def __repr__(self) -> str:
        return f"Asset(id={self.id!r}, product={self.product!r}, serial_number={self.serial_number!r})"


__all__ = ["CONTACT_KINDS", "TIERS", "Asset", "ContactPoint", "Customer"]
