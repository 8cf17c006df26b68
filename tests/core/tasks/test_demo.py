"""The demo county gets demo tasks once, made through the service."""

from __future__ import annotations

from sqlalchemy import func, select

from gridgov.core.db import set_tenant
from gridgov.core.tasks import counters
from gridgov.core.tasks.demo import add_demo_tasks
from gridgov.core.tasks.models import Task
from tests.factories import build_county


def test_the_demo_county_gets_tasks_in_several_states_once(session):
    county = build_county(session, "demo", townships=1, communities=1, grids=2)
    other = build_county(session, "river", townships=1, communities=1, grids=1)
    made = add_demo_tasks(session, [county.tenant, other.tenant])
    set_tenant(session, county.tenant.id)
    states = set(session.scalars(select(Task.state)))
    assert made > 100 and len(states) >= 4
    assert counters.stored(session) == counters.recount(session)
    assert add_demo_tasks(session, [county.tenant]) == 0
    assert session.scalar(select(func.count(Task.id))) == made
