"""drop assessments.report_key: written by nothing since reports are cached by content hash

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 21:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessments') as batch:
        batch.drop_column('report_key')


def downgrade():
    with op.batch_alter_table('assessments') as batch:
        batch.add_column(sa.Column('report_key', sa.String(length=64), nullable=True))
