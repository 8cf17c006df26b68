"""The dispute grid as the module's workflow: unit → group → area → justice office, with the
module's rules on each step (only the office takes a referral, no closing without an outcome,
no follow-up step without a visit on record)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission import service as admission
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.tasks import transitions
from gridgov.core.tasks.models import Task
from gridgov.core.tenancy.county_time import CountyClock
from gridgov_plugins.disputes import service
from gridgov_plugins.disputes.models import Case, FoundBy
from tests.factories import build_county
from tests.plugins.disputes.factories import (
    admit_disputes,
    close,
    officer_of,
    refer,
    report,
    step,
)

TODAY = CountyClock.of(None).today()  # the test counties' today (Asia/Shanghai)


@pytest.fixture
def county(app, session):
    county = build_county(session)
    admit_disputes(session, county)
    return county


def test_a_dispute_cannot_be_reported_where_the_county_has_not_admitted_the_module(app, session):
    county = build_county(session)
    with pytest.raises(NotFound):
        report(session, county)
    assert session.scalars(select(Case)).all() == []


def test_a_volunteers_report_waits_for_the_group_leader_and_names_who_found_it(session, county):
    case = report(session, county, by=county.volunteer, finder_name="楼栋长 钱秀英")
    task = service.task_of(session, case)
    assert (task.state, task.category, task.current_node_id) == (
        "reported",
        "矛盾纠纷",
        county.grids[0].id,
    )
    assert (case.found_by, case.finder_name) == (FoundBy.VOLUNTEER, "楼栋长 钱秀英")


def test_the_dispute_climbs_unit_group_area_office_and_the_office_closes_it(session, county):
    case = report(session, county)
    step(session, county.station_staff, case, "confirm")
    assert service.task_of(session, case).current_node_id == county.communities[0].id
    step(session, county.station_staff, case, "escalate", "社区调解不了")
    task = service.task_of(session, case)
    assert (task.state, task.current_node_id) == ("analysing", county.townships[0].id)
    refer(session, county.township_staff, case, risk="high")
    task = service.task_of(session, case)
    office = service.office(session)
    assert (task.state, task.department_id, case.risk_level) == ("mediating", office.id, "high")
    assert task.priority == 1
    close(session, officer_of(session, county), case)
    assert (task.state, case.outcome, case.closed_level) == ("closed", "resolved", "office")


def test_a_grid_worker_settles_a_small_dispute_on_the_spot_at_unit_level(session, county):
    case = report(session, county)
    close(session, county.workers[0], case)
    assert (service.task_of(session, case).state, case.closed_level) == ("closed", "unit")


def test_the_group_leader_may_dismiss_a_report_that_is_no_dispute(session, county):
    case = report(session, county)
    step(session, county.station_staff, case, "dismiss", "误传")
    assert service.task_of(session, case).state == "dismissed"


def test_a_grid_worker_cannot_confirm_in_the_group_leaders_place(session, county):
    case = report(session, county)
    with pytest.raises(Forbidden):
        step(session, county.workers[0], case, "confirm")


def test_the_area_cannot_hand_a_dispute_to_another_department(session, county):
    case = report(session, county)
    step(session, county.station_staff, case, "confirm")
    step(session, county.station_staff, case, "escalate")
    staff = county.township_staff
    with pytest.raises(DomainError, match="司法所"), session.begin_nested():
        transitions.transition(
            session,
            staff,
            scope_of(session, staff),
            service.task_of(session, case),
            "dispatch",
            transitions.Move(comment="交消防", department_id=county.department.id),
        )
    assert service.task_of(session, case).state == "analysing"


def test_the_office_may_send_a_dispute_back_to_the_area(session, county):
    case = report(session, county)
    step(session, county.station_staff, case, "confirm")
    step(session, county.station_staff, case, "escalate")
    refer(session, county.township_staff, case)
    step(session, officer_of(session, county), case, "return", "请补充当事人材料")
    task = service.task_of(session, case)
    assert (task.state, task.department_id) == ("analysing", None)


def test_closing_through_the_task_engine_without_an_outcome_is_refused(session, county):
    case = report(session, county)
    worker = county.workers[0]
    with pytest.raises(DomainError, match="调解结果"):
        transitions.transition(
            session, worker, scope_of(session, worker), service.task_of(session, case), "close"
        )


def test_a_failed_mediation_must_say_where_it_was_referred(session, county):
    case = report(session, county)
    with pytest.raises(DomainError) as refused:
        close(session, county.workers[0], case, outcome="failed")
    assert refused.value.field == "referral"
    close(session, county.workers[0], case, outcome="failed", referral="court")
    assert (case.outcome, case.referral) == ("failed", "court")


def test_a_follow_up_visit_marks_the_closed_dispute_followed_up(session, county):
    case = report(session, county)
    worker = county.workers[0]
    close(session, worker, case)
    service.record_follow_up(
        session,
        worker,
        scope_of(session, worker),
        case,
        visited_on=TODAY,
        is_kept=True,
        note="已履行",
    )
    assert service.task_of(session, case).state == "visited"
    assert [v.is_kept for v in service.follow_ups(session, case)] == [True]


def test_an_open_dispute_cannot_be_followed_up(session, county):
    case = report(session, county)
    worker = county.workers[0]
    with pytest.raises(Conflict):
        service.record_follow_up(
            session,
            worker,
            scope_of(session, worker),
            case,
            visited_on=TODAY,
            is_kept=True,
            note="x",
        )


def test_sessions_and_the_agreement_are_kept_with_the_dispute(session, county):
    case = report(session, county)
    staff = county.station_staff
    service.record_session(
        session,
        staff,
        case,
        service.SessionInput(held_on=TODAY, mediator="李调解", notes="双方同意赔偿"),
    )
    service.record_agreement(session, staff, case, text="赔偿 800 元", signed_on=TODAY)
    assert [s.mediator for s in service.sessions(session, case)] == ["李调解"]
    with pytest.raises(Conflict):
        service.record_agreement(session, staff, case, text="再签", signed_on=TODAY)


def test_a_session_cannot_be_dated_in_the_future(session, county):
    case = report(session, county)
    with pytest.raises(DomainError) as refused:
        service.record_session(
            session,
            county.station_staff,
            case,
            service.SessionInput(held_on=TODAY + dt.timedelta(days=3), mediator="李", notes="x"),
        )
    assert refused.value.field == "held_on"


def test_an_outsiders_phone_is_stored_encrypted_and_shown_masked(session, county):
    case = report(
        session,
        county,
        parties=(service.PartyInput(role="applicant", name="林晓燕", phone="13800001201"),),
    )
    party = service.parties(session, case)[0]
    assert b"13800001201" not in party.phone_cipher
    assert service.masked_phone(party) == "138********"


def test_a_party_from_the_registry_must_be_one_the_reporter_may_see(session, county):
    from gridgov.core.registry import service as registry

    person = registry.create_person(
        session,
        county.tenant,
        None,
        registry.PersonInput(name="王五", residence_type="registered"),
        grid=county.grids[3],
    )
    case = report(session, county)
    with pytest.raises(DomainError) as refused:
        service.add_party(
            session,
            county.workers[0],
            scope_of(session, county.workers[0]),
            case,
            service.PartyInput(role="respondent", person_id=person.id),
        )
    assert refused.value.field == "person_id"


def test_a_suspended_module_keeps_its_disputes_but_takes_no_new_records(session, county):
    case = report(session, county)
    admission.suspend_admission(
        session, county.admin, admission.latest_admission(session, "disputes"), reason="整顿"
    )
    with pytest.raises(Conflict):
        report(session, county)
    with pytest.raises(Conflict):
        service.record_session(
            session,
            county.station_staff,
            case,
            service.SessionInput(held_on=TODAY, mediator="李", notes="x"),
        )
    assert session.get(Task, case.task_id).state == "reported"


def test_a_pilot_takes_disputes_only_in_its_township(app, session):
    county = build_county(session)
    admit_disputes(session, county, pilot=True)
    assert report(session, county, grid=0).id
    with pytest.raises(NotFound):
        report(session, county, grid=4)
