"""On a 360×740 phone: a grid worker raises an objection (复核) on a line of their sheet, and
the station records a morning meeting (晨会) — neither page grows wider than the screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gridgov.core.assessment import run
from gridgov.core.tenancy.county_time import CountyClock
from tests.factories import build_county
from tests.portal.live import LiveServer, serve
from tests.portal.test_assessment import MONTH
from tests.portal.test_assessment_browser import fits, log_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A served county whose last month is scored."""

    def build(session):
        county = build_county(session, "changshan")
        run.score_month(session, MONTH)
        return county

    with serve(tmp_path_factory.mktemp("scored"), build) as server:
        yield server


def test_a_worker_raises_an_objection_on_a_phone(scored: LiveServer, phone, tmp_path: Path):
    log_in(phone, scored, scored.county.workers[0].username)
    phone.goto(f"{scored.url}/t/changshan/assessment/mine?month={MONTH}")
    line = phone.locator('[data-testid="sheet-line"][data-code="core.patrols"]')
    line.locator("summary", has_text="提出复核").click()
    assert fits(phone)
    line.locator("textarea").fill("本月我每天都巡查了两次，签到漏记")
    line.get_by_role("button", name="提出复核").click()
    phone.wait_for_url("**/assessment/sheets/*")
    assert "已提出复核" in phone.content()
    objection = phone.locator('[data-code="core.patrols"] [data-testid="objection"]')
    assert "待答复" in objection.inner_text() and "签到漏记" in objection.inner_text()
    assert fits(phone)
    phone.screenshot(path=str(tmp_path / "objection.png"), full_page=True)


def test_the_station_records_a_morning_meeting_on_a_phone(scored: LiveServer, phone):
    county = scored.county
    log_in(phone, scored, county.station_staff.username)
    phone.goto(f"{scored.url}/t/changshan/assessment/meetings")
    assert fits(phone)
    phone.fill('[name="day"]', CountyClock.of(None).today().isoformat())
    phone.get_by_label(county.workers[0].name).check()
    phone.get_by_role("button", name="保存晨会").click()
    phone.wait_for_url("**/assessment/meetings**")
    meeting = phone.get_by_test_id("meeting").first
    assert "出席 1 / 2" in meeting.inner_text()
    assert county.workers[1].name in meeting.inner_text()  # absent
    assert fits(phone)


@pytest.mark.parametrize(
    ("who", "paths"),
    [
        (
            "station_staff",
            [
                "/assessment/objections",
                f"/assessment/ranking?month={MONTH}&level=2",
                "/assessment/spot-checks",
                "/assessment/workers/{worker}/month",
            ],
        ),
        ("admin", ["/assessment/payouts", f"/assessment/sheets?month={MONTH}"]),
    ],
)
def test_the_review_pages_fit_a_phone(
    scored: LiveServer, phone, tmp_path: Path, who: str, paths: list[str]
):
    county = scored.county
    log_in(phone, scored, getattr(county, who).username)
    for n, path in enumerate(paths):
        phone.goto(f"{scored.url}/t/changshan" + path.format(worker=county.workers[0].id))
        assert fits(phone), path
        phone.screenshot(path=str(tmp_path / f"{who}-{n}.png"), full_page=True)


def test_a_supervisor_opens_the_adjustment_of_a_line_on_a_phone(scored: LiveServer, phone):
    county = scored.county
    log_in(phone, scored, county.supervisor.username)
    phone.goto(f"{scored.url}/t/changshan/assessment/sheets?month={MONTH}")
    phone.get_by_role("link", name=county.workers[0].name).click()
    line = phone.locator('[data-testid="sheet-line"][data-code="core.logs"]')
    line.locator("summary", has_text="调整这一项").click()
    assert line.get_by_label("调整后分数").is_visible()
    assert fits(phone)
