"""Scope: who sees which part of the hierarchy."""

from __future__ import annotations

from sqlalchemy import select

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.scope import scope_of
from gridgov.core.hierarchy.models import Node
from tests.factories import build_county


def visible_codes(session, user):
    scope = scope_of(session, user)
    return set(session.scalars(select(Node.code).where(scope.node_filter())))


def test_county_admin_and_auditor_see_the_whole_county(session):
    county = build_county(session)
    everything = set(session.scalars(select(Node.code)))
    assert visible_codes(session, county.admin) == everything
    assert visible_codes(session, county.auditor) == everything


def test_grid_worker_sees_only_their_grid(session):
    county = build_county(session)
    assert visible_codes(session, county.workers[3]) == {county.grids[3].code}
    scope = scope_of(session, county.workers[3])
    assert not scope.contains(county.grids[4])
    assert not scope.contains(county.communities[1])


def test_township_staff_see_their_township_subtree(session):
    county = build_county(session)
    seen = visible_codes(session, county.township_staff)
    assert county.townships[0].code in seen
    assert len(seen) == 7
    assert county.townships[1].code not in seen


def test_supervisor_sees_the_grids_they_cover(session):
    county = build_county(session)
    assert visible_codes(session, county.supervisor) == {g.code for g in county.grids[:2]}


def test_deactivated_user_sees_nothing(session):
    county = build_county(session)
    accounts.update_user(session, None, county.township_staff, is_active=False)
    assert visible_codes(session, county.township_staff) == set()


def test_scope_follows_a_grid_moved_out_of_the_township(session):
    from gridgov.core.hierarchy import service as hierarchy

    county = build_county(session)
    grid = county.grids[0]
    hierarchy.move_node(session, None, grid, county.communities[3])
    session.flush()
    session.expire_all()
    assert grid.code not in visible_codes(session, county.township_staff)
