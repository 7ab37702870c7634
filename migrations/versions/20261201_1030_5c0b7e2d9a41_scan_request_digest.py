"""A scan's request digest on registrations and scan receipts (a nonce belongs to its request)

Revision ID: 5c0b7e2d9a41
Revises: c9f255883385
Create Date: 2026-12-01 09:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "5c0b7e2d9a41"
down_revision = "c9f255883385"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("scan_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("scan_receipts", schema=None) as batch_op:
        batch_op.drop_column("request_digest")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("request_digest")
