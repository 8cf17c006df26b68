"""The demo registry: invented but valid residents in every grid, loaded once."""

from __future__ import annotations

from sqlalchemy import func, select

from gridgov.core import personal_data
from gridgov.core.accounts.scope import scope_of
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import service as registry
from gridgov.core.registry.demo import load_demo_registry
from gridgov.core.registry.models import Person, Site


def test_the_demo_fills_every_grid_with_valid_fictional_residents_once(session, county):
    made = load_demo_registry(session, county.tenant)
    assert made == len(county.grids) * 12
    people = session.scalars(select(Person)).all()
    assert {p.node_id for p in people} == {g.id for g in county.grids}
    for person in people[:20]:
        assert "示例" in person.name
        number = registry.plain_value(person, PersonalField.ID_NUMBER)
        assert personal_data.clean_id_number(number) == number
    assert session.scalar(select(func.count()).select_from(Site)) == len(county.grids)
    due = registry.due_visits(
        session, county.tenant, scope_of(session, county.admin), today=county.tenant.clock.today()
    )
    assert due
    assert load_demo_registry(session, county.tenant) == 0
