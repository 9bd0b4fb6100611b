"""Add covering indexes for the review lists

The review lists count and page the applications waiting at one unit (a
reviewer's 待审核) or in one set of states (the talent centre's), with equality
filters on year, unit, type and compliance and a sort by hours or submission
time. These indexes hold every one of those columns, so the count and the page
of ids come from the index alone; the wider index on review_unit_id replaces
the one on (review_unit_id, status), which is its prefix.

Revision ID: 0002
Revises: 0001
"""
from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIST_COLUMNS = ["year", "unit_id", "is_exception", "compliant", "total_hours", "submitted_on"]


def upgrade():
    op.drop_index("ix_application_review_unit_status", table_name="application")
    op.create_index(
        "ix_application_review_list",
        "application",
        ["review_unit_id", "status", *LIST_COLUMNS],
    )
    op.create_index("ix_application_status_list", "application", ["status", *LIST_COLUMNS])


def downgrade():
    op.drop_index("ix_application_status_list", table_name="application")
    op.drop_index("ix_application_review_list", table_name="application")
    op.create_index(
        "ix_application_review_unit_status", "application", ["review_unit_id", "status"]
    )
