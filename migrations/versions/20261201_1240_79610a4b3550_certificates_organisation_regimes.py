"""Certificates: the organisation (name, address, enterprise number, signatory, stamp) and
each branch's address; the second sitting's end dates per training and who takes part in it with
their exam dates; the paid-leave regime (betaald educatief verlof or Vlaams opleidingsverlof) per
training enrolment

Revision ID: 79610a4b3550
Revises: 7e58d0dab65f
Create Date: 2026-12-01 12:40:20.767413

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '79610a4b3550'
down_revision = "7e58d0dab65f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('enterprise_number', sa.String(length=20), nullable=False),
    sa.Column('signatory_name', sa.String(length=200), nullable=False),
    sa.Column('signatory_function', sa.String(length=200), nullable=False),
    sa.Column('stamp', sa.LargeBinary(), nullable=True),
    sa.Column('stamp_type', sa.String(length=20), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations'))
    )
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('training_enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leave_regime', sa.Enum('bev', 'vov', name='leaveregime', native_enum=False, length=20), server_default='bev', nullable=False))
        batch_op.add_column(sa.Column('second_sitting', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('second_sitting_exams', sa.JSON(), server_default='[]', nullable=False))

    with op.batch_alter_table('trainings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_sitting_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('second_sitting_end', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('trainings', schema=None) as batch_op:
        batch_op.drop_column('second_sitting_end')
        batch_op.drop_column('first_sitting_end')

    with op.batch_alter_table('training_enrolments', schema=None) as batch_op:
        batch_op.drop_column('second_sitting_exams')
        batch_op.drop_column('second_sitting')
        batch_op.drop_column('leave_regime')

    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.drop_column('address')

    op.drop_table('organisations')
