"""The assessment pages (考核): a grid worker reads their own sheet of a month, with its
records linked; readers list the sheets in their scope and open them, never a sheet outside
it; the county and township start a month's run; every page refuses the roles it is not for."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.assessment import leave, review, run, sheets
from gridgov.core.assessment.models import AssessmentRun, AssessmentSheet, LineStatus
from gridgov.core.db import db_session, pinned_clock, set_tenant
from gridgov.core.registry import service as registry
from gridgov.core.tasks import reporting
from gridgov.core.tasks.models import Source
from gridgov.core.tenancy.county_time import CountyClock
from tests.portal.conftest import csrf_token, login, post_form

BASE = "/t/changshan/assessment"
# The month the pages show by default: the county's last one (the county keeps Beijing time).
MONTH = sheets.previous_month(CountyClock.of(None).today())
PAGES = ("/mine", "/sheets", "/scores", "/leave", "/runs", "/scheme")


def in_county(county):
    session = db_session()
    set_tenant(session, county.tenant.id)
    return session


def moment_of(month: str, day: int = 10) -> dt.datetime:
    year, number = (int(p) for p in month.split("-"))
    return dt.datetime(year, number, day, 2, 0, tzinfo=dt.UTC)


def score(app, county, month: str = MONTH) -> dict[int, int]:
    """Score ``month`` for the county; the sheet id of each worker."""
    with app.app_context():
        session = in_county(county)
        run.score_month(session, month)
        session.commit()
        return dict(
            session.execute(
                select(AssessmentSheet.user_id, AssessmentSheet.id).where(
                    AssessmentSheet.month == month
                )
            ).all()
        )


def resident_report(app, county, grid_index: int = 0) -> int:
    """A problem a resident reported in the worker's grid during the month (漏报: the sheet
    counts it against the worker and links it); the task's id."""
    with app.app_context():
        session = in_county(county)
        with pinned_clock(moment_of(MONTH)):
            task, _created = reporting.file_task(
                session,
                county.station_staff,
                county.grids[grid_index],
                reporting.Report(
                    category="民生事项", title="路灯不亮", source=Source.RESIDENT.value
                ),
            )
        session.commit()
        return task.id


@pytest.fixture
def sheet_ids(app, county):
    return score(app, county)


def as_user(client, county, user):
    assert login(client, county.tenant.slug, user.username).status_code == 302
    return client


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- 我的考核 ----------------------------------------------------------------------------------


def test_a_worker_reads_their_sheet_of_last_month_with_every_line_explained(app, client, county):
    task_id = resident_report(app, county)
    ids = score(app, county)
    as_user(client, county, county.workers[0])
    home = text_of(client.get("/t/changshan/"))
    assert f'href="{BASE}/mine" data-testid="my-assessment-card"' in home  # first on the phone
    assert f'href="{BASE}/mine" data-testid="my-assessment-link"' in home  # and in the menu
    response = client.get(f"{BASE}/mine")
    assert response.status_code == 200
    page = text_of(response)
    assert f'value="{MONTH}"' in page
    assert 'data-testid="sheet-total"' in page and "勤" in page and "绩" in page
    assert "一日双巡" in page and "待评分" in page and "不适用" in page
    assert "巡查 0 次" in page  # the figures in words
    assert "有效上报率" in page and "入户率" in page
    # The missed report is linked, and the link opens the task.
    assert f'<a href="/t/changshan/tasks/{task_id}">路灯不亮</a>' in page
    assert client.get(f"/t/changshan/tasks/{task_id}").status_code == 200
    assert client.get(f"{BASE}/sheets/{ids[county.workers[0].id]}").status_code == 200


def test_the_dwellings_and_visits_a_worker_recorded_link_to_the_dwellings_page(app, client, county):
    worker = county.workers[0]
    with app.app_context():
        session = in_county(county)
        with pinned_clock(moment_of(MONTH)):
            dwelling = registry.create_dwelling(
                session, county.tenant, worker, grid=county.grids[0], address="幸福路1号"
            )
            household = registry.create_household(session, worker, dwelling=dwelling)
            registry.record_visit(
                session, worker, household, notes="见到户主", visited_at=moment_of(MONTH)
            )
        session.commit()
        dwelling_id = dwelling.id
    score(app, county)
    as_user(client, county, worker)
    page = text_of(client.get(f"{BASE}/mine"))
    link = f'href="/t/changshan/dwellings/{dwelling_id}"'
    updates = page[page.index('data-code="core.data_updates"') :]
    visits = page[page.index('data-code="core.visits"') :]
    assert link in updates[: updates.index("</li>")]  # the dwelling and household recorded
    assert link in visits[: visits.index("</li>")]  # the visit, on its household's dwelling
    assert client.get(f"/t/changshan/dwellings/{dwelling_id}").status_code == 200


def test_a_worker_never_opens_another_workers_sheet(client, county, sheet_ids):
    as_user(client, county, county.workers[0])
    other = sheet_ids[county.workers[1].id]
    assert client.get(f"{BASE}/sheets/{other}").status_code == 404
    assert client.get(f"{BASE}/sheets").status_code == 404
    assert county.workers[1].name not in text_of(client.get(f"{BASE}/mine"))


def test_a_month_not_scored_says_so(client, county):
    as_user(client, county, county.workers[0])
    page = text_of(client.get(f"{BASE}/mine?month=2026-01"))
    assert 'data-testid="no-sheet"' in page and "还没有计算" in page


def test_a_month_that_is_no_month_is_marked_on_the_picker(client, county):
    as_user(client, county, county.workers[0])
    response = client.get(f"{BASE}/mine?month=2026-13")
    assert response.status_code == 422
    assert "月份应写作 YYYY-MM" in text_of(response)


# --- 考核表 ------------------------------------------------------------------------------------


def test_a_supervisor_lists_and_opens_only_the_sheets_of_their_grids(client, county, sheet_ids):
    as_user(client, county, county.supervisor)
    page = text_of(client.get(f"{BASE}/sheets?month={MONTH}"))
    listed = re.findall(rf"{BASE}/sheets/(\d+)", page)
    assert sorted(int(i) for i in listed) == sorted(sheet_ids[w.id] for w in county.workers[:2])
    assert "项待评分" in page and county.grids[1].name in page
    opened = client.get(f"{BASE}/sheets/{sheet_ids[county.workers[0].id]}")
    assert opened.status_code == 200
    assert f'href="{BASE}/scores?month={MONTH}"' in text_of(opened)  # the supervisor's line waits
    assert client.get(f"{BASE}/sheets/{sheet_ids[county.workers[5].id]}").status_code == 404


def test_the_county_narrows_the_list_to_a_township(client, county, sheet_ids):
    as_user(client, county, county.admin)
    everyone = re.findall(rf"{BASE}/sheets/(\d+)", text_of(client.get(f"{BASE}/sheets")))
    assert len(everyone) == len(county.workers)
    town = county.townships[1]
    page = text_of(client.get(f"{BASE}/sheets?month={MONTH}&node={town.id}"))
    listed = {int(i) for i in re.findall(rf"{BASE}/sheets/(\d+)", page)}
    assert listed == {sheet_ids[w.id] for w in county.workers[4:]}


def test_a_node_outside_the_scope_is_404_on_the_list(client, county, sheet_ids):
    as_user(client, county, county.station_staff)
    assert client.get(f"{BASE}/sheets?node={county.townships[1].id}").status_code == 404


# --- who sees which page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("worker", {"/mine", "/leave"}),
        ("supervisor", {"/sheets", "/scores", "/leave"}),
        ("station_staff", {"/sheets", "/scores", "/leave"}),
        ("township_staff", {"/sheets", "/scores", "/leave", "/runs"}),
        ("admin", {"/sheets", "/scores", "/leave", "/runs", "/scheme"}),
        ("volunteer", set()),
        ("auditor", set()),
        ("security", set()),
    ],
)
def test_each_page_opens_for_its_roles_and_is_404_for_the_others(client, county, who, allowed):
    user = county.workers[0] if who == "worker" else getattr(county, who)
    as_user(client, county, user)
    for path in PAGES:
        status = client.get(BASE + path).status_code
        assert status == (200 if path in allowed else 404), (who, path, status)


# --- 计算 --------------------------------------------------------------------------------------


def count_runs(app, county) -> int:
    with app.app_context():
        return in_county(county).scalar(select(func.count()).select_from(AssessmentRun))


def test_the_county_runs_a_month_and_follows_it_to_its_sheets(app, client, county):
    as_user(client, county, county.admin)
    response = post_form(client, f"{BASE}/runs", f"{BASE}/runs", {"month": MONTH})
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert f"共 {len(county.workers)} 张考核表" in page  # inline: done at once
    listed = text_of(client.get(f"{BASE}/sheets?month={MONTH}"))
    assert len(re.findall(rf"{BASE}/sheets/\d+", listed)) == len(county.workers)
    assert MONTH in text_of(client.get(f"{BASE}/runs"))


@pytest.mark.parametrize(
    ("month", "message"),
    [("2099-01", "还没有开始"), ("11/2026", "月份应写作 YYYY-MM"), ("", "请选择月份")],
)
def test_a_month_that_cannot_be_run_is_marked_and_nothing_runs(app, client, county, month, message):
    as_user(client, county, county.township_staff)
    response = post_form(client, f"{BASE}/runs", f"{BASE}/runs", {"month": month})
    assert response.status_code == 422
    assert message in text_of(response)
    assert count_runs(app, county) == 0


def lock(app, county, month: str = MONTH) -> None:
    """Lock the month as the county does, its manual lines scored by the county first."""
    with app.app_context():
        session = in_county(county)
        admin = session.get(User, county.admin.id)
        scope = scope_of(session, admin)
        for sheet in session.scalars(select(AssessmentSheet).where(AssessmentSheet.month == month)):
            for line in sheet.lines:
                if line.status == LineStatus.PENDING:
                    review.adjust(session, admin, scope, sheet, line.code, 1, "县级代评")
        review.lock_month(session, admin, month)
        session.commit()


def test_a_locked_month_is_not_run_again(app, client, county, sheet_ids):
    lock(app, county)
    as_user(client, county, county.admin)
    response = post_form(client, f"{BASE}/runs", f"{BASE}/runs", {"month": MONTH})
    assert response.status_code == 422
    assert f"{MONTH} 的考核已锁定" in text_of(response)
    assert count_runs(app, county) == 0
    assert "已锁定" in text_of(client.get(f"{BASE}/sheets/{sheet_ids[county.workers[0].id]}"))


def test_a_run_still_queued_shows_its_progress_and_asks_again(app, client, county):
    with app.app_context():
        session = in_county(county)
        version = run.scheme_version(session, MONTH)
        queued = AssessmentRun(month=MONTH, scheme_id=version.id, created_by_id=county.admin.id)
        session.add(queued)
        session.commit()
        run_id = queued.id
    as_user(client, county, county.admin)
    page = text_of(client.get(f"{BASE}/runs/{run_id}"))
    assert "正在计算" in page and "<progress" in page
    assert f'hx-get="{BASE}/runs/{run_id}"' in page


def test_a_run_of_another_reader_is_404_for_the_township(app, client, county):
    with app.app_context():
        session = in_county(county)
        started = run.start_run(session, county.admin, MONTH)
        session.commit()
        run_id = started.id
    as_user(client, county, county.township_staff)
    assert client.get(f"{BASE}/runs/{run_id}").status_code == 404


# --- English -----------------------------------------------------------------------------------

# What the county typed (names of people, places, a task) stays as typed; the locale switch
# names its own language.
DATA = re.compile(r"职员\d+|changshan\S*|第\d镇\S*|路灯不亮|家中有事|中文")
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def chinese_left(html: str) -> list[str]:
    body = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", body)
    return CHINESE.findall(DATA.sub("", text))


def in_english(client, county, user):
    as_user(client, county, user)
    page = text_of(client.get("/t/changshan/"))
    client.post("/t/changshan/locale", data={"csrf_token": csrf_token(page), "locale": "en"})


def test_the_english_pages_show_no_chinese_of_their_own(app, client, county):
    resident_report(app, county)
    with app.app_context():
        session = in_county(county)
        start = CountyClock.of(None).today() + dt.timedelta(days=3)
        leave.request_leave(session, county.workers[0], start, start, "家中有事")
        started = run.start_run(session, county.admin, MONTH)  # inline: scores the month
        session.commit()
        run_id = started.id
        ids = dict(session.execute(select(AssessmentSheet.user_id, AssessmentSheet.id)).all())
    pages = {
        county.workers[0]: ["/mine", f"/sheets/{ids[county.workers[0].id]}", "/leave"],
        county.station_staff: ["/sheets", "/scores", "/leave"],
        county.admin: ["/runs", f"/runs/{run_id}", "/scheme", "/scheme/versions/1"],
    }
    for user, paths in pages.items():
        client = app.test_client()
        in_english(client, county, user)
        for path in paths:
            response = client.get(BASE + path)
            assert response.status_code == 200, path
            html = text_of(response)
            assert '<html lang="en">' in html
            assert chinese_left(html) == [], path
