"""What the portal's assessment pages read from the core: the default month, the scheme in
force without storing one, the workers and manual lines a scorer fills in, the dwellings behind
a line's households and visits, a line's name in the reader's language, and leave by state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.assessment import leave, sheets
from gridgov.core.assessment.models import (
    AssessmentLine,
    AssessmentScheme,
    AssessmentSheet,
    LeaveState,
)
from gridgov.core.assessment.run import score_month
from gridgov.core.db import pinned_clock
from gridgov.core.i18n import force_locale
from gridgov.core.registry import service as registry
from tests.core.assessment.conftest import MONTH, local


def test_the_default_month_is_the_one_before_today():
    assert sheets.previous_month(dt.date(2026, 12, 2)) == "2026-11"
    assert sheets.previous_month(dt.date(2026, 1, 31)) == "2025-12"


def test_reading_the_scheme_in_force_stores_no_version(session, county):
    scheme = sheets.scheme_in_force(session, MONTH)
    assert scheme.line("manual.supervisor") is not None
    assert session.scalar(select(func.count()).select_from(AssessmentScheme)) == 0


def test_a_supervisor_scores_the_supervisors_line_for_the_workers_of_their_grids(session, county):
    scheme = sheets.scheme_in_force(session, MONTH)
    supervisor, station = county.supervisor, county.station_staff
    assert [line.code for line in sheets.lines_scored_by(scheme, supervisor)] == [
        "manual.supervisor"
    ]
    assert {line.code for line in sheets.lines_scored_by(scheme, station)} == {
        "manual.representatives",
        "manual.community",
    }
    found = session.execute(sheets.workers_in_scope(scope_of(session, supervisor))).all()
    assert [user.id for user, _path in found] == [w.id for w in county.workers[:2]]


def test_scores_of_gives_each_workers_scores_on_a_line(session, county):
    station, worker = county.station_staff, county.workers[0]
    scope = scope_of(session, station)
    for name, points in (("王大妈", 4), ("李大爷", 5)):
        sheets.record_score(
            session, station, scope, worker, MONTH, "manual.representatives", points, scorer=name
        )
    found = sheets.scores_of(session, MONTH, [worker.id], ["manual.representatives"])
    assert [s.scorer for s in found[(worker.id, "manual.representatives")]] == ["王大妈", "李大爷"]


def test_a_lines_visits_and_households_lead_to_their_dwellings(session, county):
    worker, grid = county.workers[0], county.grids[0]
    dwelling = registry.create_dwelling(
        session, county.tenant, county.admin, grid=grid, address="幸福路1号"
    )
    household = registry.create_household(session, county.admin, dwelling=dwelling)
    with pinned_clock(local(28)):
        visit = registry.record_visit(
            session, worker, household, notes="见到户主", visited_at=local(5)
        )
    found = sheets.evidence_dwellings(
        session, {"visit": [visit.id], "household": [household.id], "task": [1]}
    )
    assert found == {"visit": {visit.id: dwelling.id}, "household": {household.id: dwelling.id}}


def test_a_lines_tasks_are_named_by_their_titles(session, county, report):
    task = report(local(3))
    assert sheets.task_titles(session, {"task": [task.id], "patrol": [7]}) == {task.id: "路灯不亮"}
    assert sheets.task_titles(session, {"patrol": [7]}) == {}


def test_a_lists_sheets_are_named_by_their_workers_grids(session, county):
    score_month(session, MONTH)
    found = session.scalars(select(AssessmentSheet)).all()
    names = sheets.grid_names(session, found)
    assert names[county.grids[0].id] == county.grids[0].name and len(names) == len(county.grids)


def test_a_default_lines_name_follows_the_reader_and_a_countys_own_does_not(session, county):
    score_month(session, MONTH)
    lines = session.scalars(select(AssessmentLine)).all()
    supervisor = next(line for line in lines if line.code == "manual.supervisor")
    patrols = next(line for line in lines if line.code == "core.patrols")
    assert sheets.line_label(supervisor) == "督导员评分"
    with force_locale("en"):
        assert sheets.line_label(patrols) != "一日双巡"
    supervisor.label = "督导员打分"
    assert sheets.line_label(supervisor) == "督导员打分"


def test_leave_is_listed_by_state(session, county):
    worker, station = county.workers[0], county.station_staff
    asked = leave.request_leave(session, worker, dt.date(2026, 12, 7), dt.date(2026, 12, 8), "看病")
    leave.request_leave(session, worker, dt.date(2026, 12, 14), dt.date(2026, 12, 14), "家事")
    scope = scope_of(session, station)
    leave.decide(session, station, scope, asked, approve=True)
    waiting = session.scalars(
        leave.list_leave(session, station, scope, state=LeaveState.REQUESTED.value)
    ).all()
    assert [r.reason for r in waiting] == ["家事"]
    assert leave.names_of(session, waiting) == {worker.id: worker.name}
