"""These registers are the most sensitive in the system (health, disability, hardship): another
county, another grid, another community, another department's officer and the audit
administrator reach none of them — the records, the errands, the assistance, the due lists."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import set_tenant
from gridgov.core.departments import service as departments
from gridgov.core.errors import Forbidden, NotFound
from gridgov_plugins.civil_affairs import service
from tests.factories import UserFactory, build_county
from tests.plugins.civil_affairs.conftest import admit, cared_person, errand

TODAY = dt.date(2026, 11, 20)


def give(session, user, person):
    return service.record_assistance(
        session,
        user,
        scope_of(session, user),
        person,
        service.AssistanceInput("goods", "大米", TODAY - dt.timedelta(days=1), "民政局"),
    )


@pytest.fixture
def other_officer(session, county):
    office = departments.create_department(
        session, None, code="SFS", name="司法所", node=county.top
    )
    user = UserFactory(
        username="changshan-sifa", role=Role.DEPARTMENT_OFFICER.value, nodes=[county.top]
    )
    departments.add_officer(session, None, office, user)
    return user


def test_another_countys_person_and_errand_are_not_found(session, county):
    person = cared_person(session, county)
    made = errand(session, county.workers[0], person)
    other = build_county(session, "other")
    admit(session, other)
    admin = other.admin
    with pytest.raises(NotFound):
        service.visible_person(session, admin, scope_of(session, admin), person.id)
    with pytest.raises(NotFound):
        service.visible_errand(session, admin, scope_of(session, admin), made.id)
    assert (
        session.scalars(service.visible_errands(session, admin, scope_of(session, admin))).all()
        == []
    )
    set_tenant(session, county.tenant.id)


def test_another_grid_worker_and_another_communitys_station_reach_nothing_of_grid_0(
    session, county
):
    person = cared_person(session, county, grid=0)
    made = errand(session, county.workers[0], person)
    give(session, county.workers[0], person)
    other_station = UserFactory(
        username="changshan-station-2", role=Role.STATION_STAFF.value, nodes=[county.communities[1]]
    )
    for user in (county.workers[1], other_station):
        scope = scope_of(session, user)
        with pytest.raises(NotFound):
            service.visible_person(session, user, scope, person.id)
        with pytest.raises(NotFound):
            service.visible_errand(session, user, scope, made.id)
        assert session.execute(service.visible_assistance(session, user, scope)).all() == []
        assert session.scalars(service.care_people(session, user, scope)).all() == []
        assert service.due_list(session, user, scope, today=TODAY) == []


def test_another_departments_officer_and_the_auditor_are_refused_every_read(
    session, county, other_officer
):
    person = cared_person(session, county)
    made = errand(session, county.workers[0], person)
    for user in (other_officer, county.auditor, county.volunteer):
        scope = scope_of(session, user)
        assert service.may_read(session, user) is False
        reads = (
            (service.visible_person, (person.id,), {}),
            (service.visible_errand, (made.id,), {}),
            (service.care_people, (), {}),
            (service.due_list, (), {"today": TODAY}),
            (service.visible_assistance, (), {}),
            (service.visible_errands, (), {}),
        )
        for read, args, keywords in reads:
            with pytest.raises(Forbidden):
                read(session, user, scope, *args, **keywords)
        with pytest.raises(Forbidden):
            give(session, user, person)


def test_the_bureaus_officer_reads_every_grid_and_the_station_its_own(session, county, officer):
    first = cared_person(session, county, grid=0, name="示例甲")
    far = cared_person(session, county, grid=7, name="示例乙")
    scope = scope_of(session, officer)
    assert {p.id for p in session.scalars(service.care_people(session, officer, scope))} == {
        first.id,
        far.id,
    }
    station = county.station_staff
    seen = session.scalars(service.care_people(session, station, scope_of(session, station)))
    assert [p.id for p in seen] == [first.id]
