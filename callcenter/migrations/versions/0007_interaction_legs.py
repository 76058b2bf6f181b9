"""Interactions keep their call legs (who talked to whom, when) and the call a consultation merged into

Revision ID: 0007_interaction_legs
Revises: 0006_routing
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_interaction_legs"
down_revision: str | Sequence[str] | None = "0006_routing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("legs", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True))
        batch.add_column(sa.Column("merged_into", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("merged_into")
        batch.drop_column("legs")
