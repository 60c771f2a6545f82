"""revisions, read-only links and a record of e-mails sent (issue 16)

assessments.revision_of_id links a revision to the submitted assessment it was
started from; read_only_links holds the hash of each buyer's read-only link;
sent_mails records each e-mail (not its text) and limits resume-link e-mails.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00

"""
import sqlalchemy as sa
from alembic import op



revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessments') as batch:
        batch.add_column(sa.Column('revision_of_id', sa.Integer(), nullable=True))
        batch.create_index('ix_assessments_revision_of_id', ['revision_of_id'], unique=False)
        batch.create_foreign_key(
            'fk_assessments_revision_of_id', 'assessments', ['revision_of_id'], ['id'],
            ondelete='SET NULL',
        )
    op.create_table(
        'read_only_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('assessment_id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_table(
        'sent_mails',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('error', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_sent_mails_assessment_kind_at', 'sent_mails',
        ['assessment_id', 'kind', 'created_at'], unique=False,
    )


def downgrade():
    op.drop_index('ix_sent_mails_assessment_kind_at', table_name='sent_mails')
    op.drop_table('sent_mails')
    op.drop_table('read_only_links')
    with op.batch_alter_table('assessments') as batch:
        batch.drop_constraint('fk_assessments_revision_of_id', type_='foreignkey')
        batch.drop_index('ix_assessments_revision_of_id')
        batch.drop_column('revision_of_id')
