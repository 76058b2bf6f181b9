"""Routing: run-time configuration changes (audited) and each call's journey steps

Revision ID: 0006_routing
Revises: 0005_ivr_journeys
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0006_routing"
down_revision: str | Sequence[str] | None = "0005_ivr_journeys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_config_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_config_changes")),
    )
    op.create_index("ix_routing_config_changes_kind_name_id", "routing_config_changes", ["kind", "name", "id"],
                    unique=False)
    op.create_table(
        "routing_journey_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=255), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_journey_steps")),
    )
    op.create_index("ix_routing_journey_steps_call_id_id", "routing_journey_steps", ["call_id", "id"], unique=False)
    op.create_index("ix_routing_journey_steps_customer_id_at", "routing_journey_steps", ["customer_id", "at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_routing_journey_steps_customer_id_at", table_name="routing_journey_steps")
    op.drop_index("ix_routing_journey_steps_call_id_id", table_name="routing_journey_steps")
    op.drop_table("routing_journey_steps")
    op.drop_index("ix_routing_config_changes_kind_name_id", table_name="routing_config_changes")
    op.drop_table("routing_config_changes")
