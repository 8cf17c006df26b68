"""The tenant filter applied once in gridgov.core.db, for every ORM statement; the clock the
services read (``utcnow``, pinned only while the demo loads)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased

from gridgov.core.accounts.models import User
from gridgov.core.db import MissingTenant, pinned_clock, set_tenant, tenant_scope, utcnow
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.tenancy.county_time import CountyClock
from tests.factories import build_county


@pytest.fixture
def two_counties(session):
    a = build_county(session, "county-a")
    b = build_county(session, "county-b")
    session.flush()
    return a, b


def test_select_sees_only_the_current_tenant(session, two_counties):
    a, _b = two_counties
    set_tenant(session, a.tenant.id)
    tenants = set(session.scalars(select(Node.tenant_id)))
    assert tenants == {a.tenant.id}


def test_the_same_statement_in_turn_for_each_county_sees_each_countys_rows(session, two_counties):
    """One filter option per county is made once and kept (with its compiled SQL): running the
    same statement for one county, the other and the first again never lends one's rows to
    the other."""
    query = select(Node.tenant_id, func.count()).group_by(Node.tenant_id)
    for county in (*two_counties, *two_counties):
        set_tenant(session, county.tenant.id)
        assert session.execute(query).all() == [(county.tenant.id, len(county.grids) + 7)]


def test_aliases_and_joins_are_filtered_too(session, two_counties):
    a, _b = two_counties
    set_tenant(session, a.tenant.id)
    parent = aliased(Node)
    rows = session.execute(
        select(Node.tenant_id, parent.tenant_id).join(parent, Node.parent_id == parent.id)
    ).all()
    assert rows and {r for row in rows for r in row} == {a.tenant.id}
    users = session.scalars(select(User).join(Assignment)).all()
    assert {u.tenant_id for u in users} == {a.tenant.id}


def test_count_of_another_tenant_is_not_reachable(session, two_counties):
    a, b = two_counties
    set_tenant(session, b.tenant.id)
    assert session.scalar(select(func.count()).select_from(Node).where(Node.id == a.top.id)) == 0


def test_bulk_update_touches_only_the_current_tenant(session, two_counties):
    a, b = two_counties
    set_tenant(session, a.tenant.id)
    session.execute(update(Node).values(name="改名"))
    set_tenant(session, b.tenant.id)
    session.expire_all()
    assert "改名" not in set(session.scalars(select(Node.name)))


def test_bulk_delete_touches_only_the_current_tenant(session, two_counties):
    a, b = two_counties
    set_tenant(session, a.tenant.id)
    session.execute(delete(Assignment))
    set_tenant(session, b.tenant.id)
    assert session.scalar(select(func.count()).select_from(Assignment)) > 0


def test_writing_a_row_of_another_tenant_is_refused(session, two_counties):
    a, b = two_counties
    set_tenant(session, a.tenant.id)
    session.add(Node(tenant_id=b.tenant.id, code="X", name="越界", level=1, path="/x/"))
    with pytest.raises(MissingTenant):
        session.flush()


def test_new_rows_take_the_current_tenant(session, two_counties):
    a, _b = two_counties
    set_tenant(session, a.tenant.id)
    node = Node(code="NEW", name="新", level=1, parent_id=a.top.id, path="/new/")
    session.add(node)
    session.flush()
    assert node.tenant_id == a.tenant.id


def test_tenant_scope_restores_the_previous_tenant(session, two_counties):
    a, b = two_counties
    set_tenant(session, a.tenant.id)
    with tenant_scope(session, b.tenant.id):
        assert set(session.scalars(select(Node.tenant_id))) == {b.tenant.id}
    assert set(session.scalars(select(Node.tenant_id))) == {a.tenant.id}


def test_timestamps_come_back_timezone_aware(session, two_counties):
    a, _b = two_counties
    # Reloading a's row needs a's tenant: on PostgreSQL, RLS hides it from county-b's scope.
    set_tenant(session, a.tenant.id)
    session.expire(a.top)
    assert a.top.created_at.tzinfo is not None


def test_core_select_of_a_tenant_table_without_tenant_raises(session, two_counties):
    set_tenant(session, None)
    with pytest.raises(MissingTenant):
        session.execute(select(func.count()).select_from(Node))


def test_a_pinned_clock_answers_its_moment_inside_the_block_and_the_real_time_after():
    moment = dt.datetime(2026, 11, 2, 1, 30, tzinfo=dt.UTC)
    with pinned_clock(moment.astimezone(dt.timezone(dt.timedelta(hours=8)))):
        assert utcnow() == moment and utcnow().tzinfo == dt.UTC
        # the county's clock reads the same one: its today is the pinned day in Beijing
        assert CountyClock.of(None).today() == dt.date(2026, 11, 2)
    assert utcnow() > moment + dt.timedelta(days=1)
    with pytest.raises(ValueError), pinned_clock(dt.datetime(2026, 11, 2)):
        pass


def test_a_tenant_table_mapped_after_the_first_statement_is_guarded_too():
    # The names of the tenant tables are worked out once; a module's models mapped later (a
    # plugin imported after the first request) must still be refused with no tenant set. In a
    # process of its own: a model mapped here would stay in the suite's metadata.
    script = textwrap.dedent(
        """
        from sqlalchemy import create_engine, func, select
        from sqlalchemy.orm import Mapped, Session, mapped_column
        from gridgov.core.db import Base, MissingTenant, TenantScoped
        from gridgov.core.tenancy.models import Tenant

        session = Session(create_engine("sqlite://"))
        Base.metadata.create_all(session.get_bind(), tables=[Tenant.__table__])
        session.execute(select(Tenant))  # the names worked out here

        class LateRecord(TenantScoped, Base):
            __tablename__ = "late_records"
            id: Mapped[int] = mapped_column(primary_key=True)

        try:
            session.execute(select(func.count()).select_from(LateRecord))
        except MissingTenant:
            print("refused")
        """
    )
    done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.stdout.strip() == "refused", done.stderr
