"""Residents' reports of hazards and violations (举报投诉) through the public channel, with the
module's own workflow: received (受理), investigated (查处), reward decided (奖励), reporter
answered (反馈), then rated with the tracking code; and a hazard found while investigating."""

from __future__ import annotations

import pytest

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import DomainError, Forbidden, NotFound
from gridgov.core.tasks import public, reading, reporting, transitions
from gridgov.core.tasks.models import Source
from gridgov_plugins.fire_safety import hazards
from tests.plugins.fire_safety.conftest import in_county


def resident_report(session, grid, category="火灾隐患举报", title="商铺后门被锁"):
    return public.report_as_resident(
        session,
        grid,
        reporting.Report(
            task_type="fire_safety.report",
            category=category,
            title=title,
            description="后门用铁链锁住",
            track="coordinate",
        ),
    )


def test_hook_task_types_let_residents_report_fire_hazards_publicly(session, county):
    public_types = {t.name for t in reading.usable_types(session, public=True)}
    assert "fire_safety.report" in public_types
    assert "fire_safety.hazard" not in public_types  # hazards are filed by staff
    report = resident_report(session, county.grids[0])
    assert (report.state, report.source, report.reporter_id) == (
        "received",
        Source.RESIDENT.value,
        None,
    )


def test_a_confirmed_report_gets_a_reward_then_the_reporter_is_answered_and_rates_it(
    session, county, officer, act
):
    report = resident_report(session, county.grids[0])
    for action, comment in (
        ("investigate", ""),
        ("confirm", "经查属实"),
        ("reward", "奖励 200 元"),
        ("answer", "已整改，奖励已发放"),
    ):
        report = act(officer, report, action, comment)
    assert (report.state, report.is_open) == ("closed", False)
    transitions.evaluate_as_resident(session, report, "satisfied", "处理及时")
    assert (report.state, report.rating) == ("evaluated", "satisfied")
    seen = public.tracking(session, report)  # the same marker as the default cycle's close
    assert (seen.answer, seen.rating, seen.may_rate) == ("已整改，奖励已发放", "满意", False)
    assert [e.action for e in reading.history(session, report)] == [
        "report",
        "investigate",
        "confirm",
        "reward",
        "answer",
        "evaluate",
    ]


def test_an_unfounded_report_is_answered_without_a_reward(session, county, act):
    report = resident_report(session, county.grids[0])
    act(county.station_staff, report, "investigate")
    report = act(county.station_staff, report, "dismiss", "现场未发现")
    assert report.state == "answering"
    report = act(county.station_staff, report, "answer", "已核查，未发现问题")
    assert report.state == "closed"


def test_only_the_brigade_or_the_county_decides_a_reward(session, county, officer, act):
    report = resident_report(session, county.grids[0])
    act(county.station_staff, report, "investigate")
    act(county.station_staff, report, "confirm", "属实")
    with pytest.raises(Forbidden):
        act(county.station_staff, report, "reward", "奖励")
    act(officer, report, "reward", "奖励 100 元")


def test_a_grid_worker_does_not_investigate_reports(session, county, act):
    with pytest.raises(Forbidden):
        act(county.workers[0], resident_report(session, county.grids[0]), "investigate")


def test_each_step_needs_its_comment(session, county, officer, act):
    report = act(officer, resident_report(session, county.grids[0]), "investigate")
    with pytest.raises(DomainError) as refused:
        act(officer, report, "confirm", "")
    assert refused.value.field == "comment"


def test_a_hazard_found_investigating_a_report_is_linked_to_it(session, county, officer, record):
    report = resident_report(session, county.grids[0])
    hazard = record(by=officer, report_task_id=report.id, item="exits")
    assert hazard.report_task_id == report.id
    with pytest.raises(DomainError) as refused:
        record(by=officer, report_task_id=hazards.task_of(session, hazard).id)
    assert refused.value.field == "report_task_id"


def test_a_report_out_of_the_finders_scope_cannot_be_linked(session, county, record):
    report = resident_report(session, county.grids[1])
    with pytest.raises(NotFound):
        record(report_task_id=report.id)


def test_the_reporter_reads_the_answer_with_the_tracking_code_and_nothing_internal(
    app, client, live
):
    def handle(session):
        report = resident_report(session, live.grids[0])
        staff = live.admin
        for action, comment in (
            ("investigate", ""),
            ("confirm", "商户王某某承认锁门"),
            ("no_reward", "举报人匿名"),
            ("answer", "经查属实，已责令当场整改"),
        ):
            report = transitions.transition(
                session,
                staff,
                scope_of(session, staff),
                report,
                action,
                transitions.Move(comment=comment),
            )
        return report.code

    page = client.get(f"/t/changshan/public/track/{in_county(app, live, handle)}")
    html = page.get_data(as_text=True)
    assert "已反馈" in html and "经查属实，已责令当场整改" in html
    assert "王某某" not in html  # the investigation's notes stay internal
    assert 'name="rating"' in html  # and the reporter can rate the answer


def test_the_public_report_page_offers_fire_reports_once_admitted(app, client, live):
    page = client.get(f"/t/changshan/public/grids/{live.grids[0].code}/report")
    html = page.get_data(as_text=True)
    assert "消防举报投诉" in html
    assert 'value="fire_safety.report::火灾隐患举报"' in html
