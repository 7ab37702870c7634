"""Refused scans: when, by whom and why the server refused a scan

Revision ID: refused_scans
Revises: api_idempotency_keys
Create Date: 2026-12-08 00:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "refused_scans"
down_revision = "api_idempotency_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "refused_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_refused_scans_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_refused_scans_session_id_sessions")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_refused_scans_token_id_api_tokens")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_refused_scans_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refused_scans")),
    )
    with op.batch_alter_table("refused_scans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refused_scans_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(
            "ix_refused_scans_session_received", ["session_id", "received_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("refused_scans", schema=None) as batch_op:
        batch_op.drop_index("ix_refused_scans_session_received")
        batch_op.drop_index(batch_op.f("ix_refused_scans_received_at"))
    op.drop_table("refused_scans")
