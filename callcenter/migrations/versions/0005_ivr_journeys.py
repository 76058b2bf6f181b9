"""IVR journeys: each call's path through an IVR flow (screen pop, IVR analytics)

Revision ID: 0005_ivr_journeys
Revises: 0004_versions_token_revocation
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = "0005_ivr_journeys"
down_revision: str | Sequence[str] | None = "0004_versions_token_revocation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ivr_journeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=255), nullable=False),
        sa.Column("flow", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("path", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_journeys")),
        sa.UniqueConstraint("call_id", name=op.f("uq_ivr_journeys_call_id")),
    )
    op.create_index("ix_ivr_journeys_flow_started_at", "ivr_journeys", ["flow", "started_at"], unique=False)
    op.create_index(op.f("ix_ivr_journeys_started_at"), "ivr_journeys", ["started_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ivr_journeys_started_at"), table_name="ivr_journeys")
    op.drop_index("ix_ivr_journeys_flow_started_at", table_name="ivr_journeys")
    op.drop_table("ivr_journeys")
