"""ids never reused on SQLite (AUTOINCREMENT), and start_attempts for the start limit

On SQLite a deleted row's id went to the next row, so a link exported to a CRM
(/sales/assessments/<id>) could open another company, and a report file could not
tell that its assessment was gone. PostgreSQL's sequences never go back: nothing to do
there but add the table.

SQLite cannot add AUTOINCREMENT to a table, so each table is copied into a new one
(Alembic's batch mode); env.py switches foreign keys off meanwhile, or dropping the old
assessments table would cascade into access_events.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

NEVER_REUSED = ['assessments', 'users', 'access_events']


def recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in NEVER_REUSED:
        with op.batch_alter_table(
            table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
        ):
            pass


def upgrade():
    recreate(True)
    op.create_table(
        'start_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_start_attempts')),
    )
    op.create_index(
        'ix_start_attempts_address_at', 'start_attempts', ['address', 'created_at'], unique=False
    )


def downgrade():
    op.drop_index('ix_start_attempts_address_at', table_name='start_attempts')
    op.drop_table('start_attempts')
    recreate(False)
