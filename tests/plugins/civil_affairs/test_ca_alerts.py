"""The alert to the station (社区工作站) when a person in care has not been visited on schedule:
the periodic job tells the station staff of the person's community once per overdue person,
not on every run; a visit ends the spell and the next overdue spell is told again."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from gridgov.core.accounts.models import Role
from gridgov.core.admission.activation import hooks_for
from gridgov.core.tasks.models import Notification
from gridgov_plugins.civil_affairs import service
from tests.factories import UserFactory
from tests.plugins.civil_affairs.conftest import cared_person, visit

NOON = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def alerts(session, user=None):
    query = select(Notification).where(Notification.kind == service.ALERT_KIND)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    return list(session.scalars(query))


def test_the_station_of_the_persons_community_is_told_once_per_overdue_person(session, county):
    person = cared_person(session, county, name="示例老人甲")
    visit(session, county.workers[0], person, TODAY - dt.timedelta(days=40))
    cared_person(session, county, grid=1, name="示例老人乙", tag="disabled")  # never visited

    assert service.alert_overdue(session, county.tenant.id) == 2
    told = alerts(session, county.station_staff)
    assert len(told) == 2
    assert any("示例老人甲" in n.message and "2026-11-10" in n.message for n in told)
    assert any("示例老人乙" in n.message and "从未走访" in n.message for n in told)
    assert all(n.task_id is None for n in told)

    assert service.alert_overdue(session, county.tenant.id) == 0
    assert len(alerts(session)) == 2


def test_only_station_staff_of_that_community_hear_of_it(session, county):
    other_station = UserFactory(
        username="changshan-station-2",
        role=Role.STATION_STAFF.value,
        nodes=[county.communities[1]],
    )
    cared_person(session, county, grid=0)
    service.alert_overdue(session, county.tenant.id)
    assert len(alerts(session, county.station_staff)) == 1
    assert alerts(session, other_station) == []
    assert alerts(session, county.workers[0]) == []
    assert alerts(session, county.township_staff) == []


def test_a_visit_ends_the_spell_and_the_next_overdue_spell_is_told_again(session, county, _frozen):
    person = cared_person(session, county)
    service.alert_overdue(session, county.tenant.id)
    visit(session, county.workers[0], person, TODAY)
    assert service.alert_overdue(session, county.tenant.id) == 0

    _frozen.move_to(NOON + dt.timedelta(days=31))
    assert service.alert_overdue(session, county.tenant.id) == 1
    assert len(alerts(session, county.station_staff)) == 2


def test_nobody_is_told_about_a_person_visited_on_schedule(session, county):
    person = cared_person(session, county)
    visit(session, county.workers[0], person, TODAY - dt.timedelta(days=10))
    assert service.alert_overdue(session, county.tenant.id) == 0


def test_the_job_is_declared_and_runs_through_the_plugin_host(session, county):
    cared_person(session, county)
    job = next(j for j in hooks_for().periodic_jobs() if j.code == "civil_affairs.overdue_alerts")
    job.run(session, county.tenant.id)
    assert len(alerts(session, county.station_staff)) == 1
