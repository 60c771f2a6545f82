"""sales list indexes: wide (covering) indexes for the list, no single-column filter indexes

With 100,000 assessments, a search or a filter on rating/bank version read the
whole table (each row carries the answers and result JSON): 150-650 ms a page.
Indexes holding every column the list filters and sorts on answer the same pages
in under 30 ms. The single-column indexes on rating, deal_breakers and
bank_version led SQLite to plans that read the table, so they go.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00

"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

LISTED = ['search_text', 'rating', 'deal_breakers', 'bank_version']
WIDE = {
    'ix_assessments_status_submitted': ['status', 'submitted_at', 'id', *LISTED, 'score'],
    'ix_assessments_status_score': ['status', 'score', 'id', *LISTED, 'submitted_at'],
    'ix_assessments_status_updated': ['status', 'updated_at', 'id', *LISTED],
}
NARROW = {
    'ix_assessments_status_submitted': ['status', 'submitted_at'],
    'ix_assessments_status_score': ['status', 'score'],
    'ix_assessments_status_updated': ['status', 'updated_at'],
}
SINGLE = {
    'ix_assessments_bank_version': ['bank_version'],
    'ix_assessments_deal_breakers': ['deal_breakers'],
    'ix_assessments_rating': ['rating'],
}


def upgrade():
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        for name in [*NARROW, *SINGLE]:
            batch_op.drop_index(name)
        for name, columns in WIDE.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        for name in WIDE:
            batch_op.drop_index(name)
        for name, columns in {**NARROW, **SINGLE}.items():
            batch_op.create_index(name, columns, unique=False)
