"""Access rules shared by the API and the portal."""

from __future__ import annotations

import pytest

from gridgov.core.accounts import access
from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.service import Part
from tests.factories import build_county


def test_township_staff_change_nodes_below_their_township_but_not_the_township(session):
    county = build_county(session)
    staff = county.township_staff
    scope = scope_of(session, staff)
    assert access.may_change(staff, scope, county.communities[0])
    assert not access.may_change(staff, scope, county.townships[0])
    assert not access.may_change(staff, scope, county.communities[2])
    with pytest.raises(NotFound):
        access.changeable_node(session, staff, scope, county.communities[2].id)


def test_grid_worker_sees_their_grid_but_may_not_change_it(session):
    county = build_county(session)
    worker = county.workers[0]
    scope = scope_of(session, worker)
    assert access.visible_node(session, scope, county.grids[0].id) == county.grids[0]
    with pytest.raises(Forbidden):
        access.changeable_node(session, worker, scope, county.grids[0].id)
    with pytest.raises(NotFound):
        access.visible_node(session, scope, county.grids[1].id)


def test_retired_community_is_visible_to_those_who_see_what_it_became(session):
    county = build_county(session)
    old = county.communities[0]
    hierarchy.split_node(
        session,
        county.tenant,
        None,
        old,
        [
            Part(code="N1", name="新一", children=[county.grids[0].code]),
            Part(code="N2", name="新二", children=[county.grids[1].code]),
        ],
    )
    staff_scope = scope_of(session, county.township_staff)
    assert access.visible_node(session, staff_scope, old.id) == old
    other = scope_of(session, county.workers[7])
    with pytest.raises(NotFound):
        access.visible_node(session, other, old.id)


def test_station_staff_list_only_people_working_in_their_community(session):
    county = build_county(session)
    staff = county.station_staff
    query = access.visible_users(staff, scope_of(session, staff))
    names = {user.username for user in session.scalars(query)}
    assert county.workers[0].username in names
    assert county.workers[2].username not in names
    assert county.admin.username not in names
    assert staff.username in names


def test_only_the_audit_admin_reads_the_audit_log_and_the_security_admin_manages_users(session):
    county = build_county(session)
    assert access.may_read_audit(county.auditor)
    for other in (county.admin, county.security, county.township_staff):
        with pytest.raises(Forbidden):
            access.check_may_read_audit(other)
    assert access.may_manage_users(county.security)
    for other in (county.admin, county.auditor, county.station_staff):
        with pytest.raises(Forbidden):
            access.check_may_manage_users(other)


@pytest.mark.parametrize("target", ["admin", "security", "auditor"])
def test_no_administrator_manages_an_administrators_account(session, target):
    county = build_county(session)
    account = getattr(county, target)
    with pytest.raises(Forbidden):
        access.check_may_manage_account(county.security, account)
    access.check_may_unlock(county.security)  # lifting a lockout grants nothing
    for role in ("county_admin", "security_admin", "audit_admin"):
        with pytest.raises(Forbidden) as refused:
            access.check_may_grant(county.security, role)
        assert refused.value.field == "role"
    access.check_may_manage_account(county.security, county.workers[0])
    access.check_may_grant(county.security, "grid_worker")
