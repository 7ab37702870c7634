"""How a training counts hours present: "registered" (the registered time, the default) or
"lessons" (a lesson counted present gives its full planned hours)

Revision ID: 6035295851b0
Revises: 5e916a19bc6e
Create Date: 2026-12-01 12:40:28.909809

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6035295851b0'
down_revision = '5e916a19bc6e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('trainings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'hours_method', sa.String(length=20), server_default='registered', nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table('trainings', schema=None) as batch_op:
        batch_op.drop_column('hours_method')
