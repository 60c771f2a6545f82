"""sales follow-up: written answers as result revisions, owner/stage/notes, API tokens, outbox

The list indexes gain owner_id and stage (new list filters), so a filtered count still
reads the index only. Submitted assessments get their CRM figures (summary,
open_follow_ups) from their stored result, as store.results.apply_result writes them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 22:00:00

"""
import sqlalchemy as sa
from alembic import op



revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OLD = ['search_text', 'rating', 'deal_breakers', 'bank_version']
NEW = [*OLD, 'owner_id', 'stage']


def indexes(listed):
    return {
        'ix_assessments_status_submitted': ['status', 'submitted_at', 'id', *listed, 'score'],
        'ix_assessments_status_score': ['status', 'score', 'id', *listed, 'submitted_at'],
        'ix_assessments_status_updated': ['status', 'updated_at', 'id', *listed],
    }


def upgrade():
    op.create_table(
        'result_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('written', sa.JSON(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('author', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_result_revisions_assessment_id_assessments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_result_revisions_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_result_revisions')),
        sa.UniqueConstraint('assessment_id', 'number', name=op.f('uq_result_revisions_assessment_id')),
    )
    op.create_table(
        'internal_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('author', sa.String(length=300), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_internal_notes_assessment_id_assessments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_internal_notes_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_internal_notes')),
    )
    op.create_index('ix_internal_notes_assessment_at', 'internal_notes', ['assessment_id', 'created_at'])
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('name', name=op.f('uq_api_tokens_name')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    )
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('event', sa.String(length=64), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    )
    op.create_index('ix_outbox_state_due', 'outbox', ['state', 'next_attempt_at'])

    for name in indexes(OLD):
        op.drop_index(name, table_name='assessments')
    with op.batch_alter_table('assessments') as batch:
        batch.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('stage', sa.String(length=16), server_default='new', nullable=False))
        batch.add_column(sa.Column('result_revision', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('open_follow_ups', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('summary', sa.JSON(), nullable=True))
        batch.create_foreign_key(op.f('fk_assessments_owner_id_users'), 'users', ['owner_id'], ['id'], ondelete='SET NULL')
    for name, columns in indexes(NEW).items():
        op.create_index(name, 'assessments', columns)
    backfill()


def backfill():
    """CRM figures of assessments submitted before this revision, from their stored result
    (a frozen copy of store.followup.summary_of as it is at this revision)."""
    table = sa.table(
        'assessments',
        sa.column('id', sa.Integer),
        sa.column('status', sa.String),
        sa.column('result', sa.JSON),
        sa.column('open_follow_ups', sa.Integer),
        sa.column('summary', sa.JSON),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, table.c.result).where(table.c.status == 'submitted'))
    for assessment_id, result in rows.all():
        if not result:
            continue
        follow_ups = [f for f in result.get('follow_ups', []) if f.get('status') in ('ask_provider', 'not_met', 'partly_met')]
        summary = {
            'deal_breakers': list(result.get('deal_breakers', [])),
            'unresolved_must_haves': len(result.get('unresolved_must_haves') or []) if 'unresolved_must_haves' in result else None,
            'coverage': (result.get('coverage') or {}).get('percent'),
            'provisional': result.get('provisional'),
            'sections': [{'title': s['title'], 'score': s['score']} for s in result.get('sections', [])],
        }
        connection.execute(
            table.update().where(table.c.id == assessment_id).values(summary=summary, open_follow_ups=len(follow_ups))
        )


def downgrade():
    for name in indexes(NEW):
        op.drop_index(name, table_name='assessments')
    with op.batch_alter_table('assessments') as batch:
        batch.drop_constraint(op.f('fk_assessments_owner_id_users'), type_='foreignkey')
        for column in ('summary', 'open_follow_ups', 'result_revision', 'stage', 'owner_id'):
            batch.drop_column(column)
    for name, columns in indexes(OLD).items():
        op.create_index(name, 'assessments', columns)
    op.drop_index('ix_outbox_state_due', table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('api_tokens')
    op.drop_index('ix_internal_notes_assessment_at', table_name='internal_notes')
    op.drop_table('internal_notes')
    op.drop_table('result_revisions')
