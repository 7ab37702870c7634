"""A national register number held by a record of another branch: the new record keeps the
number (encrypted, its last two digits) and its keyed hash in national_number_conflict_index,
apart from the unique national_number_index, until central support resolves it

Revision ID: authz01nrn
Revises: outbox_personal_mails
Create Date: 2026-12-07 20:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'authz01nrn'
down_revision = "outbox_personal_mails"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('national_number_conflict_index', sa.String(length=64), nullable=True)
        )
        batch_op.create_index(
            batch_op.f('ix_participants_national_number_conflict_index'),
            ['national_number_conflict_index'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participants_national_number_conflict_index'))
        batch_op.drop_column('national_number_conflict_index')
