"""One pager for every portal list (gridgov.portal.paging)."""

from __future__ import annotations

from sqlalchemy import select

from gridgov.core.accounts.models import User
from gridgov.core.db import set_tenant
from gridgov.portal.paging import paginate
from tests.factories import build_county


def test_a_counted_list_knows_its_pages_and_keeps_the_other_arguments(app, session):
    county = build_county(session)
    set_tenant(session, county.tenant.id)
    users = select(User).order_by(User.id)
    total = len(session.scalars(users).all())
    with app.test_request_context("/?page=2&role=grid_worker&q=王"):
        page = paginate(session, users, size=3)
    assert (page.number, page.total, page.pages) == (2, total, -(-total // 3))
    assert [u.id for u in page.items] == [u.id for u in session.scalars(users).all()[3:6]]
    assert page.has_more == (total > 6)
    assert page.args == {"role": "grid_worker", "q": "王"}  # the pager's links keep the filter


def test_an_uncounted_list_only_knows_whether_there_is_more(app, session):
    county = build_county(session)
    set_tenant(session, county.tenant.id)
    users = select(User).order_by(User.id)
    total = len(session.scalars(users).all())
    with app.test_request_context(f"/?page={total}"):  # the last page of one row each
        last = paginate(session, users, size=1, counted=False)
    with app.test_request_context("/?page=junk"):
        first = paginate(session, users, size=1, counted=False)
    assert (last.total, last.pages, last.has_more, len(last.items)) == (None, None, False, 1)
    assert (first.number, first.has_more) == (1, True)
