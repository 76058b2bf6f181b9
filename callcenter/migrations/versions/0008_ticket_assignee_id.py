"""Tickets: index (assignee, id) for an agent's ticket list, newest first

``GET /api/tickets?assignee=me&limit=20`` is ``assignee = ? ORDER BY id DESC LIMIT 20``: with
this index PostgreSQL reads the newest 20 of the agent's tickets directly (an index scan backward)
instead of fetching and sorting all of them or walking the primary key past other agents' tickets.

Revision ID: 0008_ticket_assignee_id
Revises: 0007_interaction_legs
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008_ticket_assignee_id"
down_revision: str | Sequence[str] | None = "0007_interaction_legs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tickets_assignee_id", "tickets", ["assignee", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tickets_assignee_id", table_name="tickets")
