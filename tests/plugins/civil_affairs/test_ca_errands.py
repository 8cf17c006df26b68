"""Errands run on a resident's behalf (居民事务代办) on the core's engine: requested under the
person's grid, accepted, done with the answer the resident reads on the public tracking page,
confirmed by the resident there (the core's rating) or by the worker who heard it."""

from __future__ import annotations

import pytest

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import Conflict, DomainError, Forbidden
from gridgov.core.tasks import public, transitions
from gridgov_plugins.civil_affairs import service
from tests.plugins.civil_affairs.conftest import cared_person, errand, step


def test_an_errand_is_requested_accepted_done_and_confirmed_by_the_resident(session, county):
    worker = county.workers[0]
    person = cared_person(session, county)
    found = errand(session, worker, person)
    task = service.task_of(session, found)
    assert (task.state, task.node_id, found.person_id) == (
        "requested",
        county.grids[0].id,
        person.id,
    )

    step(session, worker, found, "accept")
    step(session, worker, found, "done", "养老金认证已办好，回执已送到家")
    assert found.done_by_id == worker.id and found.done_at is not None
    tracked = public.tracking(session, task)
    assert tracked.answer == "养老金认证已办好，回执已送到家"
    assert tracked.may_rate is True

    transitions.evaluate_as_resident(session, task, "satisfied", "谢谢网格员")
    assert (task.state, task.rating) == ("confirmed", "satisfied")
    assert public.tracking(session, task).may_rate is False


def test_the_worker_records_the_confirmation_heard_at_a_return_visit(session, county):
    worker = county.workers[0]
    found = errand(session, worker, cared_person(session, county))
    step(session, worker, found, "accept")
    step(session, worker, found, "done")
    with pytest.raises(DomainError) as refused:
        step(session, worker, found, "confirm", "居民说办好了")
    assert refused.value.field == "rating"
    step(session, worker, found, "confirm", "居民说办好了", rating="basic")
    assert service.task_of(session, found).rating == "basic"


def test_done_needs_the_answer_and_an_errand_cannot_be_confirmed_before_it_is_done(session, county):
    worker = county.workers[0]
    found = errand(session, worker, cared_person(session, county))
    step(session, worker, found, "accept")
    with pytest.raises(DomainError):
        step(session, worker, found, "done", "")
    with pytest.raises(Conflict):
        transitions.evaluate_as_resident(session, service.task_of(session, found), "satisfied", "")


def test_the_station_runs_an_errand_of_its_grids_but_another_grid_worker_cannot(session, county):
    found = errand(session, county.workers[0], cared_person(session, county))
    with pytest.raises((Forbidden, DomainError)):
        step(session, county.workers[1], found, "accept")
    step(session, county.station_staff, found, "accept")
    assert service.task_of(session, found).state == "accepted"


def test_a_cancelled_errand_is_not_counted_as_done(session, county):
    worker = county.workers[0]
    found = errand(session, worker, cared_person(session, county))
    step(session, worker, found, "cancel", "家属已自行办理")
    assert service.task_of(session, found).state == "cancelled"
    assert service.figures(session, scope_of(session, county.admin)).errands_done == 0


def test_a_resend_with_the_same_key_files_one_errand(session, county):
    worker = county.workers[0]
    person = cared_person(session, county)
    data = service.ErrandInput("pension", "养老金认证", idempotency_key="draft-1")
    first = service.request_errand(session, worker, scope_of(session, worker), person, data)
    again = service.request_errand(session, worker, scope_of(session, worker), person, data)
    assert first.id == again.id


def test_volunteers_and_officers_do_not_file_errands(session, county, officer):
    person = cared_person(session, county)
    for user in (county.volunteer, officer):
        with pytest.raises(Forbidden):
            errand(session, user, person)
