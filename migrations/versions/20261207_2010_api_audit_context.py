"""Audit records readable: each names the participant, session, training and branch its object
belongs to (filled in for the records already kept), with indexes on (object, time), on time
and on each of those, so a history or a branch's page is one indexed look-up

Revision ID: api_audit_context
Revises: authz01nrn
Create Date: 2026-12-07 20:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "api_audit_context"
down_revision = "authz01nrn"
branch_labels = None
depends_on = None

CONTEXT = ("branch_id", "participant_id", "session_id", "training_id")
# The object's own id is the context of that kind.
SELF = {"participants": "participant_id", "sessions": "session_id", "trainings": "training_id"}
BATCH = 2000


def upgrade():
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        for name in CONTEXT:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch_op.drop_index("ix_audit_records_object")
        batch_op.create_index(
            "ix_audit_records_object_at", ["object_type", "object_id", "at"], unique=False
        )
        batch_op.create_index("ix_audit_records_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_records_branch_at", ["branch_id", "at"], unique=False)
        batch_op.create_index(
            "ix_audit_records_participant_at", ["participant_id", "at"], unique=False
        )
        batch_op.create_index("ix_audit_records_session_at", ["session_id", "at"], unique=False)
        batch_op.create_index("ix_audit_records_training_at", ["training_id", "at"], unique=False)
        batch_op.create_index("ix_audit_records_user_at", ["user_id", "at"], unique=False)
        batch_op.create_index("ix_audit_records_action_at", ["action", "at"], unique=False)
    _backfill()


def _backfill():
    """The records kept so far: the ids their before/after name (an enrolment's snapshot
    holds its session and participant, also once the enrolment is deleted), then the training
    of a session and the branch of a training's project, or of a participant."""
    bind = op.get_bind()
    records = sa.table(
        "audit_records",
        sa.column("id", sa.Integer),
        sa.column("object_type", sa.String),
        sa.column("object_id", sa.Integer),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
        *(sa.column(name, sa.Integer) for name in CONTEXT),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                records.c.id, records.c.object_type, records.c.object_id,
                records.c.before, records.c.after,
            )
            .where(records.c.id > last)
            .order_by(records.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        updates = []
        for row in rows:
            found = {}
            for snapshot in (row.before, row.after):
                if isinstance(snapshot, dict):
                    for name in ("participant_id", "session_id", "training_id"):
                        value = snapshot.get(name)
                        if isinstance(value, int) and not isinstance(value, bool):
                            found.setdefault(name, value)
            if row.object_type in SELF and row.object_id is not None:
                found[SELF[row.object_type]] = row.object_id
            if found:
                updates.append({"rid": row.id, **{n: found.get(n) for n in CONTEXT[1:]}})
        if updates:
            bind.execute(
                records.update()
                .where(records.c.id == sa.bindparam("rid"))
                .values({n: sa.bindparam(n) for n in CONTEXT[1:]}),
                updates,
            )
    statements = [
        # Objects whose rows name what they belong to (the snapshots may be partial).
        *(
            f"UPDATE audit_records SET {column} = (SELECT t.{column} FROM {table} t "
            f"WHERE t.id = audit_records.object_id) "
            f"WHERE object_type = '{table}' AND {column} IS NULL"
            for table, columns in {
                "enrolments": ("session_id", "participant_id"),
                "training_enrolments": ("training_id", "participant_id"),
                "exemptions": ("training_id", "participant_id", "session_id"),
                "certificates": ("training_id", "participant_id"),
                "roll_call_marks": ("session_id", "participant_id"),
                "registrations": ("session_id", "participant_id"),
                "self_reports": ("training_id", "participant_id"),
                "justifications": ("participant_id",),
                "justification_requests": ("participant_id",),
                "outbox_mails": ("participant_id",),
                "exchange_events": ("participant_id", "session_id"),
            }.items()
            for column in columns
        ),
        "UPDATE audit_records SET training_id = (SELECT s.training_id FROM sessions s "
        "WHERE s.id = audit_records.session_id) "
        "WHERE training_id IS NULL AND session_id IS NOT NULL",
        "UPDATE audit_records SET branch_id = (SELECT p.branch_id FROM trainings t "
        "JOIN projects p ON p.id = t.project_id WHERE t.id = audit_records.training_id) "
        "WHERE branch_id IS NULL AND training_id IS NOT NULL",
        "UPDATE audit_records SET branch_id = (SELECT p.branch_id FROM participants p "
        "WHERE p.id = audit_records.participant_id) "
        "WHERE branch_id IS NULL AND participant_id IS NOT NULL",
        *(
            f"UPDATE audit_records SET branch_id = (SELECT t.branch_id FROM {table} t "
            f"WHERE t.id = audit_records.object_id) "
            f"WHERE object_type = '{table}' AND branch_id IS NULL"
            for table in ("projects", "supervisors", "exchange_connections")
        ),
    ]
    for statement in statements:
        bind.execute(sa.text(statement))


def downgrade():
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        for name in (
            "ix_audit_records_action_at", "ix_audit_records_user_at",
            "ix_audit_records_training_at",
            "ix_audit_records_session_at", "ix_audit_records_participant_at",
            "ix_audit_records_branch_at", "ix_audit_records_at", "ix_audit_records_object_at",
        ):
            batch_op.drop_index(name)
        batch_op.create_index(
            "ix_audit_records_object", ["object_type", "object_id"], unique=False
        )
        for name in reversed(CONTEXT):
            batch_op.drop_column(name)
