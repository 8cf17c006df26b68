"""Data-quality figures per grid and summed up the hierarchy."""

from __future__ import annotations

import datetime as dt

from gridgov.core.registry import quality
from gridgov.core.registry import service as registry
from gridgov.core.registry.service import PersonInput
from tests.core.registry.conftest import id_number


def test_rates_and_duplicates_are_counted_per_grid_and_summed_up(session, home):
    county = home.county
    tenant, admin = county.tenant, county.admin
    registry.create_person(
        session,
        tenant,
        admin,
        PersonInput(name="甲", id_number=id_number(1), phone="13812345678", relation="head"),
        household=home.household,
    )
    registry.create_person(session, tenant, admin, PersonInput(name="乙"), grid=county.grids[0])
    registry.create_person(
        session, tenant, admin, PersonInput(name="丙", id_number=id_number(2)), grid=county.grids[2]
    )
    registry.create_person(
        session,
        tenant,
        admin,
        PersonInput(name="丙", birth_date=dt.date(1950, 1, 1)),
        grid=county.grids[2],
    )
    figures = quality.quality(session, county.top)
    assert (figures.people, figures.duplicates) == (4, 1)
    assert figures.completeness == 0.25 and figures.id_number_rate == 0.5
    assert figures.match_rate == 0.25
    grid0 = quality.quality(session, county.communities[0]).children[0]
    assert (grid0.node.id, grid0.people, grid0.completeness) == (county.grids[0].id, 2, 0.5)
    town = {q.node.id: q.people for q in figures.children}
    assert town == {county.townships[0].id: 4}


def test_records_changed_since_a_time_are_counted_per_grid_and_summed_up(session, home):
    county = home.county
    since = registry.utcnow() - dt.timedelta(minutes=1)
    registry.create_person(
        session, county.tenant, county.admin, PersonInput(name="丁"), grid=county.grids[2]
    )
    figures = quality.quality(session, county.top, since=since)
    # the home fixture's dwelling and household in grid 0, the new person in grid 2
    assert figures.changed == 3
    community = quality.quality(session, county.communities[1], since=since)
    assert [(q.node.id, q.changed) for q in community.children] == [(county.grids[2].id, 1)]
    assert quality.quality(session, county.top).changed == 0


def test_the_map_colours_areas_by_the_same_completeness_in_per_cent(session, home):
    from gridgov.core.maps import service as maps

    county = home.county
    tenant, admin = county.tenant, county.admin
    registry.create_person(
        session,
        tenant,
        admin,
        PersonInput(name="甲", id_number=id_number(1), phone="13812345678", relation="head"),
        household=home.household,
    )
    for name in ("乙", "丙", "丁"):
        registry.create_person(session, tenant, admin, PersonInput(name=name), grid=county.grids[0])
    figure = maps.FIGURES["data_quality"]
    values = {a.node.id: a.value for a in maps.areas(session, county.top, figure, 12)}
    first, second = county.townships
    assert values == {first.id: 25.0, second.id: None}  # 1 complete of 4; nobody to count
    assert quality.quality(session, county.top).completeness == 0.25
    grid = {a.node.id: a.value for a in maps.areas(session, county.grids[0], figure, 12)}
    assert grid == {county.grids[0].id: 25.0}
