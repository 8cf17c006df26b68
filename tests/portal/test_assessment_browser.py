"""On a 360×740 phone: a grid worker finds their month from the home page and reads it line
by line; the station enters scores and the county edits its scheme without the page growing
wider than the screen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridgov.core.assessment import leave, run
from gridgov.core.db import pinned_clock
from gridgov.core.tasks import reporting
from gridgov.core.tasks.models import Source
from gridgov.core.tenancy.county_time import CountyClock
from tests.factories import PASSWORD, build_county
from tests.portal.live import PHONE, LiveServer, serve
from tests.portal.test_assessment import MONTH, moment_of

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A served county whose last month is scored, with a resident's report in grid 0 and a
    leave request of worker 0."""

    def build(session):
        county = build_county(session, "changshan")
        with pinned_clock(moment_of(MONTH)):
            reporting.file_task(
                session,
                county.station_staff,
                county.grids[0],
                reporting.Report(category="民生事项", title="路灯不亮", source=Source.RESIDENT),
            )
        start = CountyClock.of(None).today() + dt.timedelta(days=3)
        leave.request_leave(session, county.workers[0], start, start, "家中有事")
        run.score_month(session, MONTH)
        return county

    with serve(tmp_path_factory.mktemp("assessed"), build) as server:
        yield server


def log_in(phone, server: LiveServer, username: str) -> None:
    phone.goto(f"{server.url}/t/changshan/login")
    phone.fill("#username", username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")


def fits(phone) -> bool:
    return phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_worker_opens_their_month_from_the_home_page_on_a_phone(
    assessed: LiveServer, phone, tmp_path: Path
) -> None:
    log_in(phone, assessed, assessed.county.workers[0].username)
    phone.get_by_test_id("my-assessment-card").click()
    phone.wait_for_url("**/assessment/mine")
    assert phone.get_by_test_id("sheet-total").is_visible()
    assert phone.get_by_test_id("sheet-line").count() > 10
    assert fits(phone)
    phone.screenshot(path=str(tmp_path / "mine.png"), full_page=True)
    phone.get_by_role("link", name="路灯不亮").click()  # the missed report counted
    phone.wait_for_url("**/t/changshan/tasks/*")
    assert "路灯不亮" in phone.content()


def test_the_station_scores_and_decides_leave_on_a_phone(assessed: LiveServer, phone) -> None:
    county = assessed.county
    log_in(phone, assessed, county.station_staff.username)
    phone.goto(f"{assessed.url}/t/changshan/assessment/scores?month={MONTH}")
    worker = county.workers[0]
    phone.fill(f'[name="n-{worker.id}-manual.representatives"]', "王秀英")
    phone.fill(f'[name="s-{worker.id}-manual.representatives"]', "4")
    assert fits(phone)
    phone.get_by_role("button", name="保存分数").click()
    phone.wait_for_url("**/assessment/scores**")
    assert "已保存 1 个分数" in phone.content()
    phone.goto(f"{assessed.url}/t/changshan/assessment/leave")
    assert fits(phone)
    phone.get_by_role("button", name="准假", exact=True).click()
    phone.wait_for_url("**/assessment/leave")
    assert "已准假" in phone.content()


def test_the_scheme_form_folds_its_lines_and_shows_a_manual_lines_fields_only(
    assessed: LiveServer, phone
) -> None:
    log_in(phone, assessed, assessed.county.admin.username)
    phone.goto(f"{assessed.url}/t/changshan/assessment/scheme")
    assert fits(phone)
    lines = phone.get_by_test_id("scheme-line")
    supervisor = lines.nth(0)  # the supervisor's line comes first, folded to one line
    assert supervisor.locator(".manual-fields").is_hidden()
    supervisor.locator("summary").click()
    assert supervisor.locator(".manual-fields").is_visible()
    patrols = lines.filter(has=phone.locator('option[value="core.patrols"][selected]'))
    patrols.locator("summary").click()
    assert patrols.locator('[name$="-points"]').is_visible()
    assert patrols.locator(".manual-fields").is_hidden()
    assert fits(phone)
