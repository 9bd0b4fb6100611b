"""Paging of the review list: every page, read from the front or from the end,
is the matching slice of the whole sorted list."""

from __future__ import annotations

import sqlalchemy as sa

from app import demo, demo_applications
from app.extensions import db
from app.models import Account
from app.review_queries import SORTS, ReviewQuery, fetch_page


def page_ids(user, sort: str, descending: bool, page: int, size: int) -> list[int]:
    query = ReviewQuery(tab="all", sort=sort, descending=descending, page=page, page_size=size)
    return [row.id for row in fetch_page(user, query).rows]


def test_pages_slice_the_sorted_list(app):
    with app.app_context():
        demo_applications.create_demo_applications(demo.DEMO_EMPLOYEE_ID)
        user = db.session.scalar(sa.select(Account).where(Account.username == "talent_admin"))
        for sort in sorted(SORTS):
            for descending in (True, False):
                whole = page_ids(user, sort, descending, 1, 1000)
                assert len(whole) >= 40, "the demo applications fill several pages"
                for size in (3, 7):
                    case = f"sort={sort} descending={descending} size={size}"
                    pages = [
                        page_ids(user, sort, descending, number, size)
                        for number in range(1, (len(whole) + size - 1) // size + 1)
                    ]
                    assert [row for ids in pages for row in ids] == whole, case
                    assert all(len(ids) == size for ids in pages[:-1]), case
