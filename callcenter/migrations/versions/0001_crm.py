"""CRM tables: customers, contact points, assets, interactions, tickets, follow-ups, notifications

Revision ID: 0001_crm
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001_crm'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=True),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('value_score', sa.Float(), nullable=False),
    sa.Column('segment', sa.String(length=64), nullable=True),
    sa.Column('preferred_language', sa.String(length=16), nullable=False),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('merged_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['customers.id'], name=op.f('fk_customers_merged_into_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    op.create_index(op.f('ix_customers_merged_into_id'), 'customers', ['merged_into_id'], unique=False)
    op.create_index(op.f('ix_customers_tier'), 'customers', ['tier'], unique=False)

    op.create_table('assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('serial_number', sa.String(length=128), nullable=True),
    sa.Column('purchase_date', sa.Date(), nullable=True),
    sa.Column('purchase_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_assets_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets'))
    )
    op.create_index(op.f('ix_assets_customer_id'), 'assets', ['customer_id'], unique=False)
    op.create_index(op.f('ix_assets_serial_number'), 'assets', ['serial_number'], unique=False)

    op.create_table('contact_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=320), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_contact_points_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_points')),
    sa.UniqueConstraint('customer_id', 'kind', 'value', name=op.f('uq_contact_points_customer_id_kind_value'))
    )
    op.create_index('ix_contact_points_kind_value', 'contact_points', ['kind', 'value'], unique=False)

    op.create_table('interactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=True),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('queue', sa.String(length=64), nullable=True),
    sa.Column('agent', sa.String(length=64), nullable=True),
    sa.Column('ivr_path', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('wait_seconds', sa.Integer(), nullable=True),
    sa.Column('talk_seconds', sa.Integer(), nullable=True),
    sa.Column('hold_seconds', sa.Integer(), nullable=True),
    sa.Column('wrapup_seconds', sa.Integer(), nullable=True),
    sa.Column('disposition', sa.String(length=64), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('survey_score', sa.SmallInteger(), nullable=True),
    sa.Column('recording_ref', sa.String(length=500), nullable=True),
    sa.Column('hangup_cause', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_interactions_customer_id_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interactions')),
    sa.UniqueConstraint('external_id', name=op.f('uq_interactions_external_id'))
    )
    op.create_index(op.f('ix_interactions_address'), 'interactions', ['address'], unique=False)
    op.create_index(op.f('ix_interactions_agent'), 'interactions', ['agent'], unique=False)
    op.create_index('ix_interactions_customer_id_started_at', 'interactions', ['customer_id', 'started_at'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('assignee', sa.String(length=64), nullable=True),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('sla_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_breached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopened_count', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('fault', sa.Text(), nullable=True),
    sa.Column('appointment_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('appointment_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('technician', sa.String(length=128), nullable=True),
    sa.Column('parts_used', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('compensation', sa.Text(), nullable=True),
    sa.Column('compensation_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_tickets_asset_id_assets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_tickets_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    op.create_index(op.f('ix_tickets_asset_id'), 'tickets', ['asset_id'], unique=False)
    op.create_index(op.f('ix_tickets_assignee'), 'tickets', ['assignee'], unique=False)
    op.create_index('ix_tickets_customer_id_status', 'tickets', ['customer_id', 'status'], unique=False)
    op.create_index('ix_tickets_status_sla_due_at', 'tickets', ['status', 'sla_due_at'], unique=False)
    op.create_index(op.f('ix_tickets_team'), 'tickets', ['team'], unique=False)

    op.create_table('follow_up_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assignee', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('satisfaction', sa.SmallInteger(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_follow_up_tasks_customer_id_customers')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_follow_up_tasks_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_tasks'))
    )
    op.create_index(op.f('ix_follow_up_tasks_assignee'), 'follow_up_tasks', ['assignee'], unique=False)
    op.create_index('ix_follow_up_tasks_customer_id_status', 'follow_up_tasks', ['customer_id', 'status'], unique=False)
    op.create_index('ix_follow_up_tasks_status_due_at', 'follow_up_tasks', ['status', 'due_at'], unique=False)
    op.create_index(op.f('ix_follow_up_tasks_ticket_id'), 'follow_up_tasks', ['ticket_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_notifications_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    op.create_index('ix_notifications_recipient_read_at', 'notifications', ['recipient', 'read_at'], unique=False)
    op.create_index(op.f('ix_notifications_ticket_id'), 'notifications', ['ticket_id'], unique=False)

    op.create_table('ticket_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_changes_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_changes'))
    )
    op.create_index(op.f('ix_ticket_changes_ticket_id'), 'ticket_changes', ['ticket_id'], unique=False)

    op.create_table('ticket_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_comments_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_comments'))
    )
    op.create_index(op.f('ix_ticket_comments_ticket_id'), 'ticket_comments', ['ticket_id'], unique=False)

    op.create_table('ticket_interactions',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_ticket_interactions_interaction_id_interactions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_interactions_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'interaction_id', name=op.f('pk_ticket_interactions'))
    )
    op.create_index('ix_ticket_interactions_interaction_id', 'ticket_interactions', ['interaction_id'], unique=False)



def downgrade() -> None:
    op.drop_index('ix_ticket_interactions_interaction_id', table_name='ticket_interactions')

    op.drop_table('ticket_interactions')
    op.drop_index(op.f('ix_ticket_comments_ticket_id'), table_name='ticket_comments')

    op.drop_table('ticket_comments')
    op.drop_index(op.f('ix_ticket_changes_ticket_id'), table_name='ticket_changes')

    op.drop_table('ticket_changes')
    op.drop_index(op.f('ix_notifications_ticket_id'), table_name='notifications')
    op.drop_index('ix_notifications_recipient_read_at', table_name='notifications')

    op.drop_table('notifications')
    op.drop_index(op.f('ix_follow_up_tasks_ticket_id'), table_name='follow_up_tasks')
    op.drop_index('ix_follow_up_tasks_status_due_at', table_name='follow_up_tasks')
    op.drop_index('ix_follow_up_tasks_customer_id_status', table_name='follow_up_tasks')
    op.drop_index(op.f('ix_follow_up_tasks_assignee'), table_name='follow_up_tasks')

    op.drop_table('follow_up_tasks')
    op.drop_index(op.f('ix_tickets_team'), table_name='tickets')
    op.drop_index('ix_tickets_status_sla_due_at', table_name='tickets')
    op.drop_index('ix_tickets_customer_id_status', table_name='tickets')
    op.drop_index(op.f('ix_tickets_assignee'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_asset_id'), table_name='tickets')

    op.drop_table('tickets')
    op.drop_index('ix_interactions_customer_id_started_at', table_name='interactions')
    op.drop_index(op.f('ix_interactions_agent'), table_name='interactions')
    op.drop_index(op.f('ix_interactions_address'), table_name='interactions')

    op.drop_table('interactions')
    op.drop_index('ix_contact_points_kind_value', table_name='contact_points')

    op.drop_table('contact_points')
    op.drop_index(op.f('ix_assets_serial_number'), table_name='assets')
    op.drop_index(op.f('ix_assets_customer_id'), table_name='assets')

    op.drop_table('assets')
    op.drop_index(op.f('ix_customers_tier'), table_name='customers')
    op.drop_index(op.f('ix_customers_merged_into_id'), table_name='customers')

    op.drop_table('customers')
