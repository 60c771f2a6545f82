"""the answer library: library answers and their changes, apply jobs, open questions, the
buyer's "the provider answered" e-mails, and the result's state on the list

Submitted assessments get their state (core.verdict_state) in a column the list filters
on, the score range in their list summary, and a row per question still open for the
provider (with the fingerprint of its value space on the assessment's own bank, read with
core.library.value_space: the same function the app matches library answers with).

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-06 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'library_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.String(length=64), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('statement', sa.Text(), nullable=False),
        sa.Column('reference', sa.String(length=500), nullable=False),
        sa.Column('grade', sa.String(length=16), nullable=False),
        sa.Column('value_space', sa.String(length=16), nullable=False),
        sa.Column('bank_version', sa.String(length=64), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('author', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_library_answers')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_library_answers_question', 'library_answers', ['question_id', 'value_space'])
    op.create_table(
        'library_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=300), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['answer_id'], ['library_answers.id'], name=op.f('fk_library_changes_answer_id_library_answers'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_library_changes_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_library_changes')),
    )
    op.create_index('ix_library_changes_answer', 'library_changes', ['answer_id', 'id'])
    op.create_table(
        'library_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('answer_number', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('include_short', sa.Boolean(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=300), nullable=False),
        sa.Column('author', sa.String(length=200), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['answer_id'], ['library_answers.id'], name=op.f('fk_library_jobs_answer_id_library_answers'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_library_jobs_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_library_jobs')),
    )
    op.create_index('ix_library_jobs_state_heartbeat', 'library_jobs', ['state', 'heartbeat_at'])
    op.create_table(
        'library_job_items',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('before', sa.JSON(), nullable=False),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_library_job_items_assessment_id_assessments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['job_id'], ['library_jobs.id'], name=op.f('fk_library_job_items_job_id_library_jobs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id', 'assessment_id', name=op.f('pk_library_job_items')),
    )
    op.create_table(
        'open_questions',
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.String(length=64), nullable=False),
        sa.Column('value_space', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_open_questions_assessment_id_assessments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('assessment_id', 'question_id', name=op.f('pk_open_questions')),
    )
    op.create_index('ix_open_questions_question', 'open_questions', ['question_id', 'value_space'])
    op.create_table(
        'answer_notices',
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('pending', sa.JSON(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('last_sent_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_answer_notices_assessment_id_assessments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('assessment_id', name=op.f('pk_answer_notices')),
    )
    op.create_index('ix_answer_notices_due', 'answer_notices', ['due_at'])
    # The state column itself came with 0009 (the change feed); the list filters on it.
    op.create_index(op.f('ix_assessments_state'), 'assessments', ['state'])
    backfill()


def backfill():
    """State, score range and open questions of every submitted assessment, from the result
    in force (the submitted one, or its current revision) and its own bank snapshot."""
    from questionnaire.core.bank import BankInvalid, parse_bank
    from questionnaire.core.library import value_space
    from questionnaire.core.verdict_state import score_range_of, state_of
    from questionnaire.core.written import answerable

    assessments = sa.table(
        'assessments',
        sa.column('id', sa.Integer),
        sa.column('status', sa.String),
        sa.column('result', sa.JSON),
        sa.column('result_revision', sa.Integer),
        sa.column('bank_sha256', sa.String),
        sa.column('summary', sa.JSON),
        sa.column('state', sa.String),
    )
    revisions = sa.table(
        'result_revisions',
        sa.column('assessment_id', sa.Integer),
        sa.column('number', sa.Integer),
        sa.column('result', sa.JSON),
        sa.column('written', sa.JSON),
    )
    snapshots = sa.table('bank_snapshots', sa.column('sha256', sa.String), sa.column('source', sa.Text))
    open_questions = sa.table(
        'open_questions',
        sa.column('assessment_id', sa.Integer),
        sa.column('question_id', sa.String),
        sa.column('value_space', sa.String),
    )
    connection = op.get_bind()
    banks = {}

    def bank_of(sha256):
        if sha256 not in banks:
            source = connection.scalar(sa.select(snapshots.c.source).where(snapshots.c.sha256 == sha256))
            try:
                banks[sha256] = parse_bank(source.encode(), f'snapshot {sha256[:12]}', snapshot=True) if source else None
            except BankInvalid:
                banks[sha256] = None
        return banks[sha256]

    query = (
        sa.select(
            assessments.c.id, assessments.c.result, assessments.c.summary, assessments.c.bank_sha256,
            revisions.c.result, revisions.c.written,
        )
        .select_from(assessments.outerjoin(
            revisions,
            sa.and_(revisions.c.assessment_id == assessments.c.id, revisions.c.number == assessments.c.result_revision),
        ))
        .where(assessments.c.status == 'submitted')
    )
    rows = []
    for assessment_id, original, summary, sha256, revised, written in connection.execute(query).all():
        if not original:
            continue
        current = revised or original
        summary = dict(summary or {})
        summary['state'] = state_of(current)
        summary['score_range'] = score_range_of(current)
        summary['method'] = current.get('method')
        summary['open_points'] = current.get('open_points')
        connection.execute(
            assessments.update().where(assessments.c.id == assessment_id).values(state=summary['state'], summary=summary)
        )
        bank = bank_of(sha256)
        if bank is None:
            continue
        answered = {w['question'] for w in written or []}
        for qid in answerable(original):
            if qid not in answered and qid in bank.by_id:
                rows.append({'assessment_id': assessment_id, 'question_id': qid, 'value_space': value_space(bank.question(qid))})
    if rows:
        connection.execute(open_questions.insert(), rows)


def downgrade():
    op.drop_index(op.f('ix_assessments_state'), table_name='assessments')
    op.drop_index('ix_answer_notices_due', table_name='answer_notices')
    op.drop_table('answer_notices')
    op.drop_index('ix_open_questions_question', table_name='open_questions')
    op.drop_table('open_questions')
    op.drop_table('library_job_items')
    op.drop_index('ix_library_jobs_state_heartbeat', table_name='library_jobs')
    op.drop_table('library_jobs')
    op.drop_index('ix_library_changes_answer', table_name='library_changes')
    op.drop_table('library_changes')
    op.drop_index('ix_library_answers_question', table_name='library_answers')
    op.drop_table('library_answers')
