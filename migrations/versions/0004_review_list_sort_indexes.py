"""Add indexes in the review list's sort orders

The talent centre's list matches tens of thousands of applications, and its
page of 20 had to sort all of them. An index in each sort order (hours,
submission time, pinyin name, each with the id that breaks ties) lets the
database read the rows in order and stop after the page. On PostgreSQL the
indexes also carry the list's filter columns, so the scan checks the filters
without reading the table; SQLite has no INCLUDE and gets the plain indexes.

Revision ID: 0004
Revises: 0003
"""
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SORT_INDEXES = {
    "ix_application_sort_hours": "total_hours",
    "ix_application_sort_submitted": "submitted_on",
    "ix_application_sort_name": "applicant_name_pinyin",
}
FILTER_COLUMNS = ["year", "status", "compliant", "is_exception", "review_unit_id", "unit_id"]


def upgrade():
    for name, column in SORT_INDEXES.items():
        op.create_index(
            name, "application", [column, "id"], postgresql_include=FILTER_COLUMNS
        )


def downgrade():
    for name in SORT_INDEXES:
        op.drop_index(name, table_name="application")
