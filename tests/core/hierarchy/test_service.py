"""Hierarchy use cases: building, re-gridding with history, subtree queries, counts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridgov.core.accounts import service as accounts
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import set_tenant, utcnow
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.service import Part
from tests.factories import TenantFactory, build_county

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[111.6, 40.8], [111.61, 40.8], [111.61, 40.81], [111.6, 40.81], [111.6, 40.8]]
    ],
}


def codes(nodes):
    return [n.code for n in nodes]


def test_subtree_is_the_node_and_everything_under_it(session):
    county = build_county(session)
    town = county.townships[0]
    found = codes(session.scalars(hierarchy.subtree_query(town)))
    assert found[0] == town.code
    assert len(found) == 1 + 2 + 4  # the township, its 2 communities, their 4 grids
    assert all(code.startswith(town.code) for code in found)


def test_subtree_of_node_10_does_not_include_node_100(session):
    # Paths end with a slash so /1/10/ is not a prefix of /1/100/.
    tenant = TenantFactory(level_names=["县", "网格"])
    set_tenant(session, tenant.id)
    top = hierarchy.create_node(session, tenant, None, parent=None, code="TOP", name="县")
    grids = [
        hierarchy.create_node(session, tenant, None, parent=top, code=f"G{i}", name=f"网格{i}")
        for i in range(12)
    ]
    ten = grids[0]
    others = [g for g in grids if g.path.startswith(ten.path) and g is not ten]
    assert others == []
    assert codes(session.scalars(hierarchy.subtree_query(ten))) == [ten.code]


def test_counts_below_count_grids_children_and_staff(session):
    county = build_county(session)
    counts = hierarchy.counts_below(
        session, [county.top, *county.townships], county.tenant.grid_level
    )
    assert counts[county.top.id].children == 2
    assert counts[county.top.id].grids == 8
    assert counts[county.townships[0].id].grids == 4
    # township 0 has: its staff member, station staff and volunteer of community 0, the
    # supervisor, and 4 grid workers
    assert counts[county.townships[0].id].staff == 8
    assert counts[county.townships[1].id].staff == 4


def test_node_below_the_grid_level_is_refused(session):
    county = build_county(session)
    with pytest.raises(DomainError) as err:
        hierarchy.create_node(
            session, county.tenant, None, parent=county.grids[0], code="X", name="太深"
        )
    assert err.value.field == "parent_id"


def test_duplicate_code_is_a_conflict_on_the_code_field(session):
    county = build_county(session)
    with pytest.raises(Conflict) as err:
        hierarchy.create_node(
            session,
            county.tenant,
            None,
            parent=county.top,
            code=county.townships[0].code,
            name="重复",
        )
    assert err.value.field == "code"


def test_same_code_in_another_county_is_allowed(session):
    a = build_county(session, "county-a")
    b = build_county(session, "county-b")
    node = hierarchy.create_node(session, b.tenant, None, parent=b.top, code="SHARED", name="乙")
    set_tenant(session, a.tenant.id)
    other = hierarchy.create_node(session, a.tenant, None, parent=a.top, code="SHARED", name="甲")
    assert node.code == other.code and node.tenant_id != other.tenant_id


def test_rename_keeps_the_old_name_at_the_old_date(session):
    county = build_county(session)
    grid = county.grids[0]
    before = utcnow()
    old_name = grid.name
    hierarchy.update_node(session, None, grid, name="新名字网格")
    assert hierarchy.version_at(session, grid, before).name == old_name
    assert hierarchy.version_at(session, grid, utcnow()).name == "新名字网格"


def test_move_rewrites_the_paths_of_the_whole_subtree(session):
    county = build_county(session)
    community = county.communities[0]
    target = county.townships[1]
    old_parent = community.parent_id
    before = utcnow()
    hierarchy.move_node(session, None, community, target)
    session.flush()
    grids = session.scalars(hierarchy.subtree_query(community)).all()
    assert all(n.path.startswith(target.path) for n in grids)
    assert len(grids) == 3
    under_target = codes(session.scalars(hierarchy.subtree_query(target)))
    assert community.code in under_target
    assert hierarchy.version_at(session, community, before).parent_id == old_parent
    assert hierarchy.version_at(session, community, utcnow()).parent_id == target.id


def test_move_under_a_node_of_the_wrong_level_is_refused(session):
    county = build_county(session)
    with pytest.raises(DomainError):
        hierarchy.move_node(session, None, county.grids[0], county.townships[1])


def test_move_under_its_own_descendant_is_refused(session):
    county = build_county(session)
    with pytest.raises(DomainError):
        hierarchy.move_node(session, None, county.townships[0], county.communities[0])


def test_split_hands_children_to_the_parts_and_retires_the_old_node(session):
    county = build_county(session)
    community = county.communities[0]
    grid_a, grid_b = county.grids[0], county.grids[1]
    made = hierarchy.split_node(
        session,
        county.tenant,
        None,
        community,
        [
            Part(code="NEW-A", name="东社区", children=[grid_a.code]),
            Part(code="NEW-B", name="西社区", children=[grid_b.code], boundary=SQUARE),
        ],
    )
    session.flush()
    assert community.is_retired
    assert codes(hierarchy.children(session, made[0])) == [grid_a.code]
    assert codes(hierarchy.children(session, made[1])) == [grid_b.code]
    assert made[1].boundary["type"] == "Polygon"
    assert codes(hierarchy.successors(session, community)) == ["NEW-A", "NEW-B"]
    # the old community is still there for what was filed under it
    assert hierarchy.get_node(session, community.id).name == community.name


def test_split_must_hand_out_every_child(session):
    county = build_county(session)
    community = county.communities[0]
    with pytest.raises(DomainError) as err:
        hierarchy.split_node(
            session,
            county.tenant,
            None,
            community,
            [
                Part(code="A", name="甲", children=[county.grids[0].code]),
                Part(code="B", name="乙"),
            ],
        )
    assert county.grids[1].code in str(err.value.message)
    assert not community.is_retired


def test_merge_makes_one_node_holding_all_children(session):
    county = build_county(session)
    first, second = county.communities[0], county.communities[1]
    merged = hierarchy.merge_nodes(
        session, county.tenant, None, [first, second], code="MERGED", name="合并社区"
    )
    session.flush()
    assert first.is_retired and second.is_retired
    assert len(hierarchy.children(session, merged)) == 4
    assert hierarchy.successors(session, first) == [merged]


def test_merge_of_nodes_under_different_parents_is_refused(session):
    county = build_county(session)
    with pytest.raises(DomainError):
        hierarchy.merge_nodes(
            session,
            county.tenant,
            None,
            [county.communities[0], county.communities[2]],
            code="M",
            name="合并",
        )


def test_retiring_a_grid_ends_its_workers_assignment(session):
    county = build_county(session)
    grid = county.grids[0]
    hierarchy.retire_node(session, None, grid)
    session.flush()
    assert accounts.responsible_worker(session, grid) is None
    assert grid not in session.scalars(hierarchy.subtree_query(county.top)).all()
    assert grid in session.scalars(hierarchy.subtree_query(county.top, include_retired=True)).all()


def test_retiring_a_node_with_children_is_refused(session):
    county = build_county(session)
    with pytest.raises(DomainError):
        hierarchy.retire_node(session, None, county.communities[0])


def test_retired_node_cannot_be_renamed(session):
    county = build_county(session)
    hierarchy.retire_node(session, None, county.grids[0])
    with pytest.raises(DomainError):
        hierarchy.update_node(session, None, county.grids[0], name="改名")


def test_every_change_is_in_the_audit_log(session):
    county = build_county(session)
    hierarchy.update_node(session, None, county.grids[0], name="改了")
    session.flush()
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_id == str(county.grids[0].id), AuditEvent.object_type == "node"
        )
    ).all()
    assert actions == ["node.create", "node.update"]


def test_bad_boundary_is_refused_with_a_field_error(session):
    county = build_county(session)
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    for bad in (
        bowtie,
        {"type": "Point", "coordinates": [1, 2]},
        "x",
        {"type": "Polygon", "coordinates": [[[500, 0], [501, 0], [501, 1], [500, 0]]]},
    ):
        with pytest.raises(DomainError) as err:
            hierarchy.update_node(session, None, county.grids[0], boundary=bad)
        assert err.value.field == "boundary"
    assert county.grids[0].boundary is None


def test_boundary_given_as_a_feature_is_stored_as_its_geometry(session):
    county = build_county(session)
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": SQUARE}
    hierarchy.update_node(session, None, county.grids[0], boundary=feature)
    assert county.grids[0].boundary == SQUARE


def test_each_boundary_change_is_a_version_and_the_history_keeps_the_old_one(session):
    county = build_county(session)
    grid = county.grids[0]
    hierarchy.update_node(session, None, grid, boundary=SQUARE)
    moved = {"type": "Polygon", "coordinates": [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]]}
    hierarchy.update_node(session, None, grid, boundary=moved)
    hierarchy.update_node(session, None, grid, boundary=moved)  # unchanged: no new version
    versions = hierarchy.history(session, grid)
    assert [(v.change, v.boundary) for v in versions] == [
        ("create", None),
        ("boundary", SQUARE),
        ("boundary", moved),
    ]
    assert [v.valid_to is None for v in versions] == [False, False, True]


def test_node_of_another_county_is_not_found(session):
    a = build_county(session, "county-a")
    build_county(session, "county-b")  # leaves the session in county-b
    with pytest.raises(NotFound):
        hierarchy.get_node(session, a.grids[0].id)


def test_ancestors_are_the_breadcrumb_top_first(session):
    county = build_county(session)
    grid = county.grids[5]
    names = codes(hierarchy.ancestors(session, grid))
    assert names == [county.top.code, county.townships[1].code, county.communities[2].code]


def test_history_lists_every_version_in_order(session):
    county = build_county(session)
    grid = county.grids[0]
    hierarchy.update_node(session, None, grid, name="一")
    hierarchy.move_node(session, None, grid, county.communities[1])
    changes = [v.change for v in hierarchy.history(session, grid)]
    assert changes == ["create", "rename", "move"]
    assert [v.valid_to is None for v in hierarchy.history(session, grid)] == [False, False, True]


def test_version_at_before_creation_is_none(session):
    county = build_county(session)
    assert hierarchy.version_at(session, county.top, utcnow() - dt.timedelta(days=1)) is None


def test_level_names_must_number_two_to_five(session):
    for names in (["县"], ["一", "二", "三", "四", "五", "六"], ["县", "县"], ["县", " "]):
        with pytest.raises(DomainError):
            TenantFactory(level_names=names)


def test_nodes_query_without_tenant_raises(session):
    from gridgov.core.db import MissingTenant

    build_county(session)
    set_tenant(session, None)
    with pytest.raises(MissingTenant):
        session.scalars(select(Node)).all()
