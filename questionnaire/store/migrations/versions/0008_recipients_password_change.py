"""e-mails counted per address beyond deletions; admin-made passwords changed at sign-in

mail_recipients: one row per e-mail sent, a keyed hash of the normalised address and the
time, for the hourly limits per address (store.mails). It names no assessment, so
deleting assessments no longer resets the count.

users.must_change_password: a password an admin made in the browser (and so has seen)
must be replaced at the person's next sign-in.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mail_recipients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_recipients')),
    )
    op.create_index(
        'ix_mail_recipients_key_purpose_at',
        'mail_recipients',
        ['key', 'purpose', 'created_at'],
        unique=False,
    )
    op.add_column(
        'users',
        sa.Column('must_change_password', sa.Boolean(), server_default='0', nullable=False),
    )


def downgrade():
    op.drop_column('users', 'must_change_password')
    op.drop_index('ix_mail_recipients_key_purpose_at', table_name='mail_recipients')
    op.drop_table('mail_recipients')
