"""What a module reads of the grid and the registry comes as read models: frozen, with what a
list shows and nothing it must not (docs/sdk.md, "Records and read models")."""

from __future__ import annotations

import dataclasses

import pytest

from gridgov.core.db import set_tenant
from gridgov.core.registry import service as core_registry
from gridgov.sdk import registry
from gridgov.sdk.caller import scope_of
from tests.factories import build_county


@pytest.fixture
def county(session):
    county = build_county(session)
    set_tenant(session, county.tenant.id)
    return county


def test_a_level_a_breadcrumb_and_children_are_node_views(session, county):
    worker = county.workers[0]
    grids = registry.nodes_at_level(session, scope_of(session, worker), county.tenant.grid_level)
    assert [g.id for g in grids] == [county.grids[0].id]
    grid = grids[0]
    assert isinstance(grid, registry.NodeView)
    assert (grid.code, grid.path, grid.level) == (
        county.grids[0].code,
        county.grids[0].path,
        county.tenant.grid_level,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        grid.name = "改名"  # type: ignore[misc]  # a read model cannot rename the grid
    assert [n.id for n in registry.ancestors(session, grid)] == [
        n.id for n in (county.top, county.townships[0], county.communities[0])
    ]
    assert [n.id for n in registry.children(session, county.communities[0])] == [
        g.id for g in county.grids if g.parent_id == county.communities[0].id
    ]
    # The node itself, for a use case, is one look-up away.
    assert registry.get_node(session, grid.id) is county.grids[0]


def test_a_grids_sites_come_without_their_contact_phone(session, county):
    core_registry.create_site(
        session,
        county.tenant,
        county.admin,
        grid=county.grids[0],
        name="示例小学",
        kind="school",
        contact_phone="13812345678",
        is_key=True,
    )
    (site,) = registry.sites_at(session, [county.grids[0].id])
    assert (site.name, site.kind, site.is_key) == ("示例小学", "school", True)
    assert not any("phone" in f.name for f in dataclasses.fields(site))
