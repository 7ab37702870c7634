"""Users: a session generation, raised to end every login session of the user.

Revision ID: ef3e781ea0a2
Revises: e1e353b23f63
Create Date: 2026-12-01 09:05:12.918922

"""

import sqlalchemy as sa
from alembic import op

revision = "ef3e781ea0a2"
down_revision = "e1e353b23f63"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
