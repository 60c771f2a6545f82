"""e-mails to buyers counted per address: an index on (kind, created_at)

store.mails limits the e-mails sent to one address in an hour, whatever assessments name
it; this index finds the last hour's e-mails of a kind without reading the table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00

"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_sent_mails_kind_at', 'sent_mails', ['kind', 'created_at'])


def downgrade():
    op.drop_index('ix_sent_mails_kind_at', table_name='sent_mails')
