"""Fire hazards: filed through the task engine with their grade and deadline, re-checked
(复查) until eliminated, a major one sent up to the county and listed for supervision
(挂牌督办), then published (向社会公告); who may do what, and what stays out of reach."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import scope_of
from gridgov.core.departments import service as departments
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind
from gridgov.core.tasks import notifications, reading, reporting
from gridgov.core.tasks.models import Supervision
from gridgov.core.tenancy.county_time import CountyClock
from gridgov_plugins.fire_safety import hazards
from gridgov_plugins.fire_safety.models import Hazard
from tests.factories import UserFactory
from tests.plugins.fire_safety.conftest import PNG

TODAY = CountyClock.of(None).today()


def test_a_hazard_is_filed_as_a_task_waiting_in_its_grid_with_the_default_deadline(
    session, county, record
):
    hazard = record(place="鼓楼农贸市场", item="exits", description="后门锁闭")
    task = hazards.task_of(session, hazard)
    assert (task.task_type, task.category, task.state) == (
        "fire_safety.hazard",
        "一般火灾隐患",
        "rectifying",
    )
    assert task.current_node_id == county.grids[0].id
    assert task.title == "安全出口堵塞或锁闭：鼓楼农贸市场"
    assert (hazard.found_on, hazard.deadline) == (TODAY, TODAY + dt.timedelta(days=7))
    assert hazard.found_by_id == county.workers[0].id


def test_the_county_sets_its_own_default_deadlines(session, county, record):
    county.tenant.settings = {"fire_safety": {"deadline_days": {"general": 3}}}
    assert record().deadline == TODAY + dt.timedelta(days=3)
    assert record(grade="major").deadline == TODAY + dt.timedelta(days=30)


def test_a_major_hazard_goes_up_level_by_level_to_the_county(session, county, record):
    hazard = record(grade="major", item="facilities")
    task = hazards.task_of(session, hazard)
    assert task.current_node_id == county.top.id
    assert task.priority == 1
    steps = [(e.action, e.node_id) for e in reading.history(session, task)]
    assert steps == [
        ("report", county.grids[0].id),
        ("report_up", county.communities[0].id),
        ("report_up", county.townships[0].id),
        ("report_up", county.top.id),
    ]
    # every level on the way heard of it
    admin_news = list(session.scalars(notifications.notifications(session, county.admin)))
    assert any(n.task_id == task.id for n in admin_news)


def test_by_default_a_major_hazard_is_listed_the_moment_it_is_filed(session, county, record):
    county.tenant.settings = {}  # the county keeps the module's standing rule (auto_list_major)
    hazard = record(grade="major", deadline=TODAY + dt.timedelta(days=20))
    supervision = session.scalars(select(Supervision)).one()
    assert (supervision.is_listed, supervision.node_id) == (True, county.top.id)
    assert supervision.created_by_id is None
    assert CountyClock.of(None).day_of(supervision.due_at) == TODAY + dt.timedelta(days=20)
    assert hazards.is_listed(session, hazard)
    record(grade="general")
    assert session.scalars(select(Supervision)).all() == [supervision]


def test_the_county_lists_a_major_hazard_and_it_is_supervised_until_its_deadline(
    session, county, record, act
):
    hazard = record(grade="major", deadline=TODAY + dt.timedelta(days=20))
    act(county.admin, hazard, "list", "区政府挂牌督办")
    supervision = session.scalars(select(Supervision)).one()
    assert supervision.is_listed and supervision.node_id == county.top.id
    assert CountyClock.of(None).day_of(supervision.due_at) == TODAY + dt.timedelta(days=20)
    assert hazards.task_of(session, hazard).is_supervised
    assert hazards.is_listed(session, hazard)


def test_a_general_hazard_cannot_be_listed(session, county, record, act):
    with pytest.raises(Conflict):
        act(county.admin, record(), "list", "挂牌")


def test_only_a_listed_major_hazard_is_published_by_the_county(session, county, record, act):
    major = record(grade="major")
    admin_scope = scope_of(session, county.admin)
    with pytest.raises(DomainError, match="挂牌督办"):
        hazards.publish_hazard(session, county.admin, admin_scope, major)
    act(county.admin, major, "list", "挂牌督办")
    with pytest.raises(Forbidden):
        hazards.publish_hazard(session, county.township_staff, admin_scope, major)
    hazards.publish_hazard(session, county.admin, admin_scope, major)
    assert major.published_at is not None
    with pytest.raises(Conflict):
        hazards.publish_hazard(session, county.admin, admin_scope, major)
    with pytest.raises(DomainError, match="重大"):
        hazards.publish_hazard(session, county.admin, admin_scope, record())


def test_rectified_then_rechecked_the_hazard_is_eliminated_on_time(session, county, record, act):
    hazard = record()
    act(county.workers[0], hazard, "rectify", "纸箱已清走")
    assert hazards.task_of(session, hazard).state == "rechecking"
    act(county.station_staff, hazard, "pass", "复查合格")
    task = hazards.task_of(session, hazard)
    assert (task.state, task.is_open) == ("closed", False)
    assert hazard.rectified_on == TODAY and hazards.is_on_time(hazard)


def test_a_failed_recheck_sends_it_back_to_rectification(session, county, record, act):
    hazard = record()
    act(county.workers[0], hazard, "rectify", "已整改")
    act(county.workers[0], hazard, "fail", "仍有杂物")
    assert hazards.task_of(session, hazard).state == "rectifying"
    assert hazard.rectified_on is None


def test_a_hazard_eliminated_after_its_deadline_is_late(session, county, record, act):
    found = TODAY - dt.timedelta(days=20)
    hazard = record(found_on=found, deadline=found + dt.timedelta(days=5))
    assert hazards.is_overdue(hazard, hazards.task_of(session, hazard), TODAY)
    act(county.workers[0], hazard, "rectify", "已整改")
    act(county.station_staff, hazard, "pass", "合格")
    assert not hazards.is_on_time(hazard)


def test_only_the_brigade_or_the_county_rechecks_a_major_hazard(session, county, record, act):
    hazard = record(grade="major")
    act(county.workers[0], hazard, "rectify", "已整改")
    with pytest.raises(Forbidden):
        act(county.workers[0], hazard, "pass", "合格")
    with pytest.raises(Forbidden):
        act(county.station_staff, hazard, "pass", "合格")
    act(county.admin, hazard, "pass", "合格")
    assert hazards.task_of(session, hazard).state == "closed"


def test_the_brigade_officer_rechecks_a_major_hazard(session, county, officer, record, act):
    hazard = record(grade="major", by=officer)
    act(officer, hazard, "rectify", "喷淋已恢复")
    act(officer, hazard, "pass", "复查合格")
    assert hazard.rectified_on == TODAY


def test_a_hazard_filed_through_the_core_task_form_gets_a_ledger_entry(session, county):
    task, _created = reporting.report_task(
        session,
        county.workers[1],
        scope_of(session, county.workers[1]),
        county.grids[1],
        reporting.Report(
            task_type="fire_safety.hazard",
            category="重大火灾隐患",
            title="加油站旁堆放柴草",
            location_text="城西加油站",
        ),
    )
    hazard = hazards.hazard_of_task(session, task)
    assert (hazard.grade, hazard.item, hazard.place) == ("major", "other", "城西加油站")
    assert task.current_node_id == county.top.id  # major: it went up as well


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"place": " "}, "place"),
        ({"item": "dragon"}, "item"),
        ({"grade": "minor"}, "grade"),
        ({"site_type": "castle"}, "site_type"),
        ({"found_on": TODAY + dt.timedelta(days=1)}, "found_on"),
        ({"found_on": TODAY - dt.timedelta(days=91)}, "found_on"),
        ({"deadline": TODAY - dt.timedelta(days=1)}, "deadline"),
        ({"deadline": TODAY + dt.timedelta(days=400)}, "deadline"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field_and_nothing_is_filed(
    session, county, record, fields, field
):
    with pytest.raises(DomainError) as refused:
        record(**fields)
    assert refused.value.field == field
    assert session.scalars(select(Hazard)).all() == []


def test_a_worker_cannot_file_a_hazard_outside_their_grid(session, county, record):
    with pytest.raises(NotFound):
        record(node=county.grids[1])


def test_a_volunteer_files_no_hazard(session, county, record):
    with pytest.raises(Forbidden):
        record(by=county.volunteer, node=county.grids[0])


def test_a_site_of_another_grid_is_refused(session, county, record):
    from gridgov.core.registry import service as registry

    site = registry.create_site(
        session, county.tenant, None, grid=county.grids[1], name="别处商铺", kind="shop"
    )
    with pytest.raises(DomainError) as refused:
        record(by=county.admin, site_id=site.id)
    assert refused.value.field == "site_id"


def test_a_photo_of_someone_else_is_refused(session, county, record):
    stored = files.store_file(
        session,
        county.workers[1],
        name="a.png",
        data=PNG,
        kinds={FileKind.IMAGE},
        purpose="task_attachment",
    )
    with pytest.raises(DomainError) as refused:
        record(photo_ids=(stored.id,))
    assert refused.value.field == "photo_ids"


def test_the_finders_photo_goes_onto_the_hazards_task(session, county, record):
    stored = files.store_file(
        session,
        county.workers[0],
        name="a.png",
        data=PNG,
        kinds={FileKind.IMAGE},
        purpose="task_attachment",
    )
    hazard = record(photo_ids=(stored.id,))
    assert [f.id for f in reading.attachments(session, hazards.task_of(session, hazard))] == [
        stored.id
    ]


def test_a_hazard_is_seen_in_its_grids_subtree_only(session, county, record):
    hazard = record()
    staff = county.township_staff
    assert hazards.visible_hazard(session, staff, scope_of(session, staff), hazard.id) is hazard
    other_worker = county.workers[1]
    with pytest.raises(NotFound):
        hazards.visible_hazard(session, other_worker, scope_of(session, other_worker), hazard.id)
    with pytest.raises(Forbidden):
        hazards.visible_hazard(
            session, county.volunteer, scope_of(session, county.volunteer), hazard.id
        )


def test_the_ledger_keeps_open_ones_first_and_filters_by_grade_site_and_overdue(
    session, county, record, act
):
    closed = record(place="甲")
    act(county.workers[0], closed, "rectify", "已整改")
    act(county.station_staff, closed, "pass", "合格")
    late = record(
        place="乙", found_on=TODAY - dt.timedelta(days=10), deadline=TODAY - dt.timedelta(days=1)
    )
    major = record(place="丙", grade="major")
    scope = scope_of(session, county.admin)

    def places(**filters):
        query = hazards.ledger(scope, hazards.LedgerFilter(**filters), TODAY)
        return [h.place for h, _t in session.execute(query)]

    assert places() == ["乙", "丙", "甲"]
    assert places(grade="major") == ["丙"]
    assert places(overdue=True) == ["乙"]
    assert places(state="closed") == ["甲"]
    assert places(node=county.townships[1]) == []
    assert late.id and major.id


def test_a_major_hazard_an_information_volunteer_files_on_the_task_form_goes_up_too(
    session, county
):
    task, _created = reporting.report_task(
        session,
        county.volunteer,
        scope_of(session, county.volunteer),
        county.grids[0],
        reporting.Report(
            task_type="fire_safety.hazard", category="重大火灾隐患", title="地下室住人"
        ),
    )
    assert task.current_node_id == county.top.id
    assert hazards.hazard_of_task(session, task).found_by_id == county.volunteer.id


def test_another_departments_officer_neither_reads_nor_files_fire_hazards(session, county, record):
    hazard = record()
    justice = departments.create_department(
        session, None, code="SFS", name="司法所", node=county.top
    )
    mediator = UserFactory(username="sifa", role=Role.DEPARTMENT_OFFICER.value, nodes=[county.top])
    departments.add_officer(session, None, justice, mediator)
    scope = scope_of(session, mediator)
    with pytest.raises(Forbidden):
        hazards.visible_hazard(session, mediator, scope, hazard.id)
    with pytest.raises(Forbidden):
        record(by=mediator)


def test_a_hazards_task_is_read_by_the_brigade_and_staff_not_another_department_or_the_auditor(
    session, county, record, officer
):
    task = hazards.task_of(session, record())
    justice = departments.create_department(
        session, None, code="SFS", name="司法所", node=county.top
    )
    mediator = UserFactory(username="sifa", role=Role.DEPARTMENT_OFFICER.value, nodes=[county.top])
    departments.add_officer(session, None, justice, mediator)
    readers = set()
    for user in (officer, mediator, county.auditor, county.volunteer, county.workers[0]):
        try:
            reading.visible_task(session, user, scope_of(session, user), task.id)
        except NotFound:
            continue
        readers.add(user.username)
    assert readers == {officer.username, county.workers[0].username}
