"""Daily work: cancelled sessions, partner organisations and their work relations, ended and
merged participants, unique project numbers, roll call marks.

Revision ID: 42c15081fa68
Revises: ef3e781ea0a2
Create Date: 2026-12-01 09:36:35.956204

"""

import sqlalchemy as sa
from alembic import op

revision = "42c15081fa68"
down_revision = "ef3e781ea0a2"
branch_labels = None
depends_on = None


def _number_duplicates() -> None:
    """Before project numbers become unique: a second project with the same number gets its
    id appended ("ESF-1 (#7)"), so the upgrade never fails on existing data."""
    bind = op.get_bind()
    projects = sa.table("projects", sa.column("id", sa.Integer), sa.column("number", sa.String))
    seen: set[str] = set()
    rows = bind.execute(sa.select(projects.c.id, projects.c.number).order_by(projects.c.id))
    for project_id, number in rows.all():
        if number in seen:
            bind.execute(
                projects.update()
                .where(projects.c.id == project_id)
                .values(number=f"{number[:50]} (#{project_id})")
            )
        seen.add(number)


def upgrade():
    op.create_table(
        "roll_call_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("remark", sa.String(length=500), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["marked_by_id"], ["users.id"], name=op.f("fk_roll_call_marks_marked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_roll_call_marks_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_roll_call_marks_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roll_call_marks")),
    )
    with op.batch_alter_table("roll_call_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roll_call_marks_session_id"), ["session_id"], unique=False
        )
    op.create_table(
        "partner_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_partner_organisations_name")),
    )
    op.create_table(
        "partner_branches",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_partner_branches_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner_organisations.id"],
            name=op.f("fk_partner_branches_partner_id_partner_organisations"),
        ),
        sa.PrimaryKeyConstraint("partner_id", "branch_id", name=op.f("pk_partner_branches")),
    )
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_participants_merged_into_id_participants"),
            "participants",
            ["merged_into_id"],
            ["id"],
        )
    _number_duplicates()
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_projects_number"), ["number"])
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_users_partner_id_partner_organisations"),
            "partner_organisations",
            ["partner_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_users_partner_id_partner_organisations"), type_="foreignkey"
        )
        batch_op.drop_column("partner_id")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_at")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_projects_number"), type_="unique")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_participants_merged_into_id_participants"), type_="foreignkey"
        )
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("ended_at")
    op.drop_table("partner_branches")
    op.drop_table("partner_organisations")
    op.drop_table("roll_call_marks")
