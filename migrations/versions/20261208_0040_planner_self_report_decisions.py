"""Planners decide self-reports: a decision names its supervisor or the planner who made it

Revision ID: planner_self_report_decisions
Revises: refused_scans
Create Date: 2026-12-08 00:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "planner_self_report_decisions"
down_revision = "refused_scans"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("self_report_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.alter_column("supervisor_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_self_report_decisions_decided_by_id_users"),
            "users",
            ["decided_by_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_self_report_decisions_one_decider"), "(supervisor_id IS NULL) <> (decided_by_id IS NULL)"
        )


def downgrade():
    # A planner's decision has no supervisor to fall back on, and a decision is never deleted.
    held = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM self_report_decisions WHERE supervisor_id IS NULL")
    )
    if held:
        raise RuntimeError(f"{held} self-report decisions were made by planners: cannot downgrade")
    with op.batch_alter_table("self_report_decisions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_self_report_decisions_one_decider"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_self_report_decisions_decided_by_id_users"), type_="foreignkey"
        )
        batch_op.alter_column("supervisor_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("decided_by_id")
