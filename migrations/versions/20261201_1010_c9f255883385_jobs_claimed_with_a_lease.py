"""Jobs claimed with a lease, worker heartbeats; the outbox's delivery state moves to its job.

Every existing mail gets a "mail" job with the same id that carries its attempts, last error,
next attempt (as the job's due time) and sent time (as the job's finish), so nothing waiting
is lost and nothing sent is sent again.

Revision ID: c9f255883385
Revises: 42c15081fa68
Create Date: 2026-12-01 10:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9f255883385'
down_revision = '42c15081fa68'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_due_unfinished', ['due_at'], unique=False, postgresql_where=sa.text('finished_at IS NULL'), sqlite_where=sa.text('finished_at IS NULL'))

    op.create_table('worker_heartbeats',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('kinds', sa.String(length=300), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('beat_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_heartbeats'))
    )
    with op.batch_alter_table('worker_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_heartbeats_beat_at'), ['beat_at'], unique=False)

    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))

    # The mails' delivery state moves to their jobs (one job per mail, with the mail's id).
    op.execute(
        "INSERT INTO jobs (id, kind, payload, created_at, due_at, attempts, last_error, finished_at) "
        "SELECT id, 'mail', '{}', created_at, next_attempt_at, attempts, last_error, sent_at "
        "FROM outbox_mails"
    )
    op.execute("UPDATE outbox_mails SET job_id = id")
    if op.get_bind().dialect.name == 'postgresql':
        # The ids were given explicitly: the next job must not reuse one.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('jobs', 'id'), "
            "COALESCE((SELECT MAX(id) FROM jobs), 0) + 1, false)"
        )

    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.alter_column('job_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f('ix_outbox_mails_next_attempt_at'))
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_mails_job_id'), ['job_id'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_mails_job_id_jobs'), 'jobs', ['job_id'], ['id'])
        batch_op.drop_column('attempts')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('last_error')


def downgrade():
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=True))

    op.execute(
        "UPDATE outbox_mails SET "
        "attempts = (SELECT attempts FROM jobs WHERE jobs.id = outbox_mails.job_id), "
        "last_error = (SELECT last_error FROM jobs WHERE jobs.id = outbox_mails.job_id), "
        "next_attempt_at = (SELECT due_at FROM jobs WHERE jobs.id = outbox_mails.job_id)"
    )

    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.alter_column('attempts', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('next_attempt_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_outbox_mails_job_id_jobs'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_outbox_mails_job_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_outbox_mails_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.drop_column('job_id')

    with op.batch_alter_table('worker_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_heartbeats_beat_at'))

    op.drop_table('worker_heartbeats')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_due_unfinished', postgresql_where=sa.text('finished_at IS NULL'), sqlite_where=sa.text('finished_at IS NULL'))

    op.drop_table('jobs')
