"""CRM integration: versions and deletion records for the change feed, result state and
score range columns, API token scopes and expiry, rate counts, idempotency keys

Every assessment gets a version (existing ones 1..N in id order, the clock set to N); the
state of existing results is derived as core.verdict_state derives it for fit/1 and
fit/2 (they store no range).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'change_clock',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('purged_before', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_clock')),
    )
    op.create_table(
        'tombstones',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('deleted_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tombstones')),
    )
    op.create_index('ix_tombstones_version', 'tombstones', ['version'])
    op.create_index(op.f('ix_tombstones_deleted_at'), 'tombstones', ['deleted_at'])
    with op.batch_alter_table('assessments') as batch:
        batch.add_column(sa.Column('state', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('score_low', sa.Float(), nullable=True))
        batch.add_column(sa.Column('score_high', sa.Float(), nullable=True))
        batch.add_column(sa.Column('version', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('result_revisions') as batch:
        batch.add_column(
            sa.Column('cause', sa.String(length=32), server_default='written_answer', nullable=False)
        )
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(
            sa.Column('scopes', sa.String(length=32), server_default='read write', nullable=False)
        )
        batch.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
    # SQLite copies the table to add a foreign key: it keeps AUTOINCREMENT (see 0006).
    with op.batch_alter_table('access_events', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.add_column(sa.Column('api_token_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f('fk_access_events_api_token_id_api_tokens'),
            'api_tokens', ['api_token_id'], ['id'], ondelete='SET NULL',
        )
    op.create_table(
        'api_request_counts',
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('minute', sa.DateTime(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_request_counts_token_id_api_tokens'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_id', 'minute', name=op.f('pk_api_request_counts')),
    )
    op.create_table(
        'idempotency_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('request_sha256', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_idempotency_keys_token_id_api_tokens'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
        sa.UniqueConstraint('token_id', 'key', name=op.f('uq_idempotency_keys_token_id')),
    )
    op.create_index(op.f('ix_idempotency_keys_created_at'), 'idempotency_keys', ['created_at'])

    connection = op.get_bind()
    assessments = sa.table(
        'assessments',
        sa.column('id', sa.Integer()),
        sa.column('status', sa.String()),
        sa.column('score', sa.Float()),
        sa.column('rating', sa.String()),
        sa.column('summary', sa.JSON()),
        sa.column('state', sa.String()),
        sa.column('version', sa.BigInteger()),
    )
    rows = connection.execute(
        sa.select(assessments.c.id, assessments.c.status, assessments.c.score,
                  assessments.c.rating, assessments.c.summary).order_by(assessments.c.id)
    ).all()
    for number, (row_id, status, score, rating, summary) in enumerate(rows, start=1):
        state = None
        if status == 'submitted':
            if score is None and rating is None:
                state = 'not_rated'
            elif (summary or {}).get('provisional'):
                state = 'provisional'
            else:
                state = 'rated'
        connection.execute(
            assessments.update().where(assessments.c.id == row_id).values(state=state, version=number)
        )
    op.bulk_insert(
        sa.table('change_clock', sa.column('id', sa.Integer()), sa.column('version', sa.BigInteger())),
        [{'id': 1, 'version': len(rows)}],
    )
    op.create_index('ix_assessments_version', 'assessments', ['version'])


def downgrade():
    op.drop_index('ix_assessments_version', table_name='assessments')
    op.drop_index(op.f('ix_idempotency_keys_created_at'), table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
    op.drop_table('api_request_counts')
    with op.batch_alter_table('access_events', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.drop_constraint(batch.f('fk_access_events_api_token_id_api_tokens'), type_='foreignkey')
        batch.drop_column('api_token_id')
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('expires_at')
        batch.drop_column('scopes')
    with op.batch_alter_table('result_revisions') as batch:
        batch.drop_column('cause')
    with op.batch_alter_table('assessments') as batch:
        batch.drop_column('version')
        batch.drop_column('score_high')
        batch.drop_column('score_low')
        batch.drop_column('state')
    op.drop_index(op.f('ix_tombstones_deleted_at'), table_name='tombstones')
    op.drop_index('ix_tombstones_version', table_name='tombstones')
    op.drop_table('tombstones')
    op.drop_table('change_clock')
