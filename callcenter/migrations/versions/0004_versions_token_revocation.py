"""Optimistic concurrency and token revocation: a version on tickets and follow-ups, users.tokens_revoked_at

``tickets.version`` and ``follow_up_tasks.version`` count the changes of a row; an update names the
version it read and matches no row when another change came first (409, never a lost update).
``users.tokens_revoked_at``: tokens issued before it are refused (set when a user is deactivated,
reactivated or changes role), so a token from before a deactivation stays dead after reactivation.

Revision ID: 0004_versions_token_revocation
Revises: 0003_ticket_assignee_status
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_versions_token_revocation"
down_revision: str | Sequence[str] | None = "0003_ticket_assignee_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("tickets", "follow_up_tasks"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("tokens_revoked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("tokens_revoked_at")
    for table in ("follow_up_tasks", "tickets"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
