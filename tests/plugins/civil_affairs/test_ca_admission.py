"""The module does nothing where the county has not admitted it (准入制); as a pilot (试点先行)
it serves only the pilot townships; suspended, its records stay readable, nothing new is
recorded (409) and the station is not alerted."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission import service as admission
from gridgov.core.admission.activation import hooks_for
from gridgov.core.errors import Conflict, NotFound
from gridgov.core.tasks.models import Notification
from gridgov_plugins.civil_affairs import service
from tests.factories import build_county
from tests.plugins.civil_affairs.conftest import admit, cared_person, errand, visit

NOON = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOON, tick=False):
        yield


def test_before_admission_the_modules_hooks_are_not_called_and_nothing_is_filed(session):
    county = build_county(session)
    person = cared_person(session, county)
    assert "civil_affairs" not in {m.name for m in hooks_for().modules()}
    with pytest.raises(NotFound):
        visit(session, county.workers[0], person, TODAY)
    with pytest.raises(NotFound):
        errand(session, county.workers[0], person)


def test_a_pilot_serves_only_its_township(session):
    county = build_county(session)
    admit(session, county, pilot=(county.townships[0],))
    inside = cared_person(session, county, grid=0, name="示例甲")
    outside = cared_person(session, county, grid=5, name="示例乙")  # township 1
    admin = county.admin
    scope = scope_of(session, admin)
    assert [e.person.id for e in service.due_list(session, admin, scope, today=TODAY)] == [
        inside.id
    ]
    listed = session.scalars(service.care_people(session, admin, scope)).all()
    assert [p.id for p in listed] == [inside.id]
    with pytest.raises(NotFound):
        visit(session, county.workers[5], outside, TODAY)
    assert service.alert_overdue(session, county.tenant.id) == 1


def test_suspended_the_records_read_but_nothing_new_is_recorded_nor_alerted(session):
    county = build_county(session)
    approved, _officer = admit(session, county)
    person = cared_person(session, county)
    visit(session, county.workers[0], person, TODAY - dt.timedelta(days=60))
    admission.suspend_admission(session, county.admin, approved, reason="整顿")
    worker = county.workers[0]
    assert service.visible_person(session, worker, scope_of(session, worker), person.id) == person
    with pytest.raises(Conflict):
        visit(session, worker, person, TODAY)
    with pytest.raises(Conflict):
        errand(session, worker, person)
    assert service.alert_overdue(session, county.tenant.id) == 0
    assert (
        session.scalars(select(Notification).where(Notification.kind == service.ALERT_KIND)).all()
        == []
    )
