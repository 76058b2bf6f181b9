"""The ACD's tables, on a ``MetaData`` of its own (``routing.models.metadata``): run-time
configuration changes (each one a row: the audit trail) and the journey steps of each call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RoutingBase(DeclarativeBase):
    metadata = metadata


class ConfigChangeRow(RoutingBase):
    __tablename__ = "routing_config_changes"
    __table_args__ = (Index("ix_routing_config_changes_kind_name_id", "kind", "name", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # queue / agent
    name: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text, default="")  # the entry as in routing.yaml, JSON
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JourneyStepRow(RoutingBase):
    __tablename__ = "routing_journey_steps"
    __table_args__ = (
        Index("ix_routing_journey_steps_call_id_id", "call_id", "id"),
        Index("ix_routing_journey_steps_customer_id_at", "customer_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(255))
    step: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    queue: Mapped[str] = mapped_column(String(128))
    agent_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str] = mapped_column(String(255), default="")
