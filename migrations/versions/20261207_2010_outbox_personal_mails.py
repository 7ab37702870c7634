"""Outbox: what a mail is and whom it concerns (purpose, staff user), and personal mails whose
one-time link is kept encrypted while they wait and removed once they are sent

Mails already stored with a password reset or portal sign-in link in plain text lose it: a sent
one keeps no body, a waiting one is withdrawn (its link expires within the hour anyway; the
person asks for a new one).

Revision ID: outbox_personal_mails
Revises: 79610a4b3550
Create Date: 2026-12-07 20:10:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "outbox_personal_mails"
down_revision = "79610a4b3550"
branch_labels = None
depends_on = None

WITHDRAWN = "withdrawn: it held a one-time link in plain text; a new link must be asked for"


def upgrade():
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("personal", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_outbox_mails_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_mails_user_id_users"), "users", ["user_id"], ["id"]
        )
    mails = sa.table(
        "outbox_mails",
        sa.column("id", sa.Integer),
        sa.column("recipient", sa.String),
        sa.column("message", sa.LargeBinary),
        sa.column("purpose", sa.String),
        sa.column("user_id", sa.Integer),
        sa.column("personal", sa.Boolean),
        sa.column("sent_at", sa.DateTime),
        sa.column("job_id", sa.Integer),
    )
    jobs = sa.table(
        "jobs",
        sa.column("id", sa.Integer),
        sa.column("finished_at", sa.DateTime),
        sa.column("last_error", sa.Text),
    )
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(mails.c.id, mails.c.recipient, mails.c.message, mails.c.job_id)
    ).all()
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC (app/models/base.py)
    for row in rows:
        body = bytes(row.message or b"")
        if b"/password/reset/" in body:
            purpose = "password_reset"
        elif b"/portal/link/" in body:
            purpose = "portal_sign_in"
        else:
            continue
        user_id = connection.execute(
            sa.select(users.c.id).where(users.c.email == row.recipient)
        ).scalar()
        connection.execute(
            mails.update()
            .where(mails.c.id == row.id)
            .values(
                message=b"",
                personal=True,
                purpose=purpose,
                user_id=user_id if purpose == "password_reset" else None,
            )
        )
        connection.execute(
            jobs.update()
            .where(jobs.c.id == row.job_id, jobs.c.finished_at.is_(None))
            .values(finished_at=now, last_error=WITHDRAWN)
        )


def downgrade():
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_mails_user_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_mails_user_id"))
        batch_op.drop_column("personal")
        batch_op.drop_column("user_id")
        batch_op.drop_column("purpose")
