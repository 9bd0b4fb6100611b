"""Add the session epoch of accounts

Disabling an account raises its epoch, which is part of the stamp every
session carries, so sessions signed before the account was disabled stay
ended when it is enabled again.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.drop_column("session_epoch")
