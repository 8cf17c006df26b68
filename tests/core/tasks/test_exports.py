"""The red- and yellow-card lists written to .xlsx by a background job."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from openpyxl import load_workbook

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files import runs
from gridgov.core.files import service as files
from gridgov.core.tasks import cards, exports
from gridgov.core.tasks.models import TaskExport
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, zone_named

COUNTY_ZONE = zone_named(DEFAULT_TIME_ZONE)  # the test counties' zone

MONDAY_9 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=COUNTY_ZONE)


@pytest.fixture
def carded(session, county, report):
    """Two tasks of township 0 and one of township 1 reported Monday 9:00, red by Tuesday."""
    with time_machine.travel(MONDAY_9, tick=False):
        report(title="井盖破损")
        report(title="路灯不亮", node=county.grids[1])
        report(by=county.workers[4], node=county.grids[4], title="别镇的事")
    cards.sweep_cards(session, now=MONDAY_9 + dt.timedelta(days=1))


def rows_of(session, export) -> list[tuple]:
    with files.open_file(runs.output_file(session, export)) as stream:
        book = load_workbook(io.BytesIO(stream.read()))
    return list(book.active.iter_rows(values_only=True))


def test_the_red_list_of_a_township_holds_its_red_tasks_only(session, county, carded):
    staff = county.township_staff
    town = county.townships[0]
    export = exports.start_export(session, staff, scope_of(session, staff), town, "red")
    assert (export.status, export.rows) == ("done", 2)  # no Redis: the job ran inline
    rows = rows_of(session, export)
    assert rows[0][:2] == ("查询码", "标题")
    assert sorted(row[1] for row in rows[1:]) == ["井盖破损", "路灯不亮"]
    assert {row[4] for row in rows[1:]} == {"已上报"}


def test_the_yellow_list_is_empty_when_every_task_is_red(session, county, carded):
    admin = county.admin
    export = exports.start_export(session, admin, scope_of(session, admin), county.top, "yellow")
    assert export.rows == 0
    assert len(rows_of(session, export)) == 1  # the headers


def test_a_node_outside_the_scope_cannot_be_exported(session, county):
    staff = county.township_staff
    with pytest.raises(NotFound):
        exports.start_export(session, staff, scope_of(session, staff), county.townships[1], "red")


def test_only_the_red_and_yellow_lists_can_be_exported(session, county):
    admin = county.admin
    with pytest.raises(DomainError) as refused:
        exports.start_export(session, admin, scope_of(session, admin), county.top, "none")
    assert refused.value.field == "card"


def test_an_export_is_its_authors_only(session, county):
    admin = county.admin
    export = exports.start_export(session, admin, scope_of(session, admin), county.top, "red")
    with pytest.raises(NotFound):
        runs.visible_run(session, TaskExport, county.township_staff, export.id)
    assert runs.visible_run(session, TaskExport, admin, export.id) is export


def test_the_file_is_not_found_until_it_is_written(session, county):
    export = TaskExport(node_id=county.top.id, card="red", created_by_id=county.admin.id)
    session.add(export)
    session.flush()  # queued: the job has not written it yet
    with pytest.raises(NotFound, match="尚未生成"):
        runs.output_file(session, export)


def test_a_card_list_is_deleted_after_its_keeping_period_and_the_export_says_so(
    session, county, carded
):
    staff = county.township_staff
    town = county.townships[0]
    old, recent = (
        exports.start_export(session, staff, scope_of(session, staff), town, "red")
        for _ in range(2)
    )
    path = files.file_path(runs.output_file(session, old))
    old.finished_at -= dt.timedelta(days=8)
    assert runs.expire_outputs(session, TaskExport, files.expiry_cutoff(recent.finished_at)) == 1
    assert not path.exists()
    assert (old.status, old.file_id) == ("expired", None)
    with pytest.raises(NotFound, match="超过保存期限"):
        runs.output_file(session, old)
    assert runs.output_file(session, recent) is not None  # 7 days are not over yet
