"""A task's links to the registry: people, dwellings and sites the reporter may see."""

from __future__ import annotations

import pytest

from gridgov.core.db import set_tenant
from gridgov.core.errors import DomainError
from gridgov.core.registry import service as registry
from gridgov.core.tasks import reading
from tests.factories import build_county


@pytest.fixture
def dwellings(session, county):
    """A dwelling in grid 0 (worker 0's) and one in the last grid (another township's)."""
    near = registry.create_dwelling(
        session, county.tenant, county.admin, grid=county.grids[0], address="幸福路 1 号 101"
    )
    far = registry.create_dwelling(
        session, county.tenant, county.admin, grid=county.grids[-1], address="河口路 9 号 202"
    )
    return near, far


def test_a_worker_links_a_dwelling_of_their_grid(session, report, dwellings):
    near, _far = dwellings
    task = report(links=[("dwelling", near.id)])
    assert [(link.kind, link.ref_id) for link in reading.links(session, task)] == [
        ("dwelling", near.id)
    ]


def test_a_dwelling_outside_the_workers_grid_cannot_be_linked(report, dwellings):
    _near, far = dwellings
    with pytest.raises(DomainError) as refused:
        report(links=[("dwelling", far.id)])
    assert refused.value.field == "links"


def test_a_record_that_does_not_exist_cannot_be_linked(report):
    with pytest.raises(DomainError) as refused:
        report(links=[("person", 999_999)])
    assert refused.value.field == "links"


def test_another_countys_dwelling_cannot_be_linked(session, county, report):
    other = build_county(session, "baishui")
    theirs = registry.create_dwelling(
        session, other.tenant, other.admin, grid=other.grids[0], address="白水路 1 号"
    )
    set_tenant(session, county.tenant.id)
    with pytest.raises(DomainError) as refused:
        report(by=county.admin, links=[("dwelling", theirs.id)])
    assert refused.value.field == "links"
