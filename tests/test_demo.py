"""The demo county after ``gridgov demo``: every list a new user opens has rows — cards,
supervision, each level's waiting list, revisits with ratings, the modules' overdue ledgers —
read through the services the pages use, and on the pages themselves."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from gridgov.app import create_app
from gridgov.cli import DEMO_PASSWORD
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import db_session, set_tenant
from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import dashboard as dashboards
from gridgov.core.tasks import reading, supervision
from gridgov.core.tasks.models import Card, Rating, Task, TaskCard, TaskTransition
from gridgov.core.tenancy import service as tenancy
from gridgov.extensions import limiter
from gridgov_plugins.disputes import service as disputes
from gridgov_plugins.fire_safety import hazards
from tests.portal.conftest import login

TENANTS_DIR = Path(__file__).resolve().parent.parent / "tenants"
# Monday 08:00 in the county, before its working day starts and after a weekend: the hardest
# moment for a demo that wants yellow cards (no working time has passed for two nights).
MONDAY_BEFORE_WORK = dt.datetime(2026, 11, 23, 0, 0, tzinfo=dt.UTC)
ADMIN, STATION, TOWNSHIP, WORKER = "cs.admin", "sq0101", "jd01", "wg010101"
FIRE_OFFICER, JUSTICE_OFFICER = "bm.xiaofang", "bm.sifa"


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a fresh database of its own, after ``gridgov demo`` ran on that Monday."""
    folder = tmp_path_factory.mktemp("demo")
    with time_machine.travel(MONDAY_BEFORE_WORK, tick=True), pytest.MonkeyPatch.context() as mp:
        mp.setattr(limiter, "enabled", False)
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
                "INSTANCE_PATH": str(folder / "instance"),
                "GRIDGOV_FILES_DIR": str(folder / "files"),
                "SECRET_KEY": "test-secret-key",
                "GRIDGOV_ADMIN_SECOND_FACTOR": "optional",  # as `gridgov demo` serves it
            }
        )
        result = app.test_cli_runner().invoke(
            args=["demo", "--no-serve", "--tenants-dir", str(TENANTS_DIR)]
        )
        assert result.exit_code == 0, result.output
        app.config["demo_output"] = result.output
        yield app
        app.extensions["gridgov.engine"].dispose()


def in_demo(app: Flask, read: Any) -> Any:
    """``read(session, user_of)`` in the demo county, in an app context closed afterwards."""
    with app.app_context():
        session = db_session()
        set_tenant(session, tenancy.get_by_slug(session, "demo").id)

        def user_of(username: str) -> User:
            user = accounts.get_user_by_username(session, username)
            assert user is not None, username
            return user

        return read(session, user_of)


def first_ids(session: Any, query: Any, limit: int = 1) -> list[int]:
    return [task.id for task in session.scalars(query.limit(limit))]


def test_the_demo_has_open_tasks_with_yellow_and_red_cards_from_the_sweep_over_past_weeks(
    demo_app,
):
    def read(session, user_of):
        top = session.scalar(select(Node).where(Node.parent_id.is_(None)))
        admin = user_of(ADMIN)
        readable = reading.visible_filter(session, admin, scope_of(session, admin))
        red = session.scalars(dashboards.overdue_tasks(top, readable)).all()
        yellow = session.scalars(
            dashboards.overdue_tasks(top, readable, card=Card.YELLOW.value)
        ).all()
        first_report = session.scalar(select(func.min(Task.reported_at)))
        first_card = session.scalar(select(func.min(TaskCard.at)))
        return len(red), len(yellow), first_report, first_card

    red, yellow, first_report, first_card = in_demo(demo_app, read)
    assert red >= 10 and yellow >= 3
    # the history lies in the county's past weeks, and cards were given along the way
    assert first_report < MONDAY_BEFORE_WORK - dt.timedelta(days=14)
    assert first_card < MONDAY_BEFORE_WORK - dt.timedelta(days=3)
    assert "with a yellow card" in demo_app.config["demo_output"]


def test_the_demo_log_runs_forward_in_time_for_every_task(demo_app):
    def read(session, user_of):
        rows = session.execute(
            select(TaskTransition.task_id, TaskTransition.at).order_by(
                TaskTransition.task_id, TaskTransition.id
            )
        ).all()
        stages = session.execute(
            select(Task.id, Task.reported_at, Task.stage_started_at, Task.due_at, Task.deadline)
        ).all()
        return rows, stages

    rows, stages = in_demo(demo_app, read)
    last: dict[int, dt.datetime] = {}
    for task_id, at in rows:
        assert at >= last.get(task_id, at), task_id
        assert at <= MONDAY_BEFORE_WORK + dt.timedelta(hours=1)
        last[task_id] = at
    for task_id, reported_at, stage_started_at, due_at, deadline in stages:
        assert reported_at <= stage_started_at == last[task_id]
        if deadline is not None and deadline <= stage_started_at:
            # Past its deadline (a late entry, or a stage begun after it): due by the deadline,
            # or no clock at all once the stage has none (closed).
            assert due_at in (None, deadline), task_id
        else:
            assert due_at is None or due_at > stage_started_at, task_id


def test_the_demo_has_a_supervision_list_and_every_levels_waiting_list(demo_app):
    def read(session, user_of):
        top = session.scalar(select(Node).where(Node.parent_id.is_(None)))
        admin = user_of(ADMIN)
        listed = supervision.supervision_list(session, admin, scope_of(session, admin), top)
        found = {"supervision": len(session.scalars(listed).all())}
        for name in (STATION, TOWNSHIP, FIRE_OFFICER, JUSTICE_OFFICER, WORKER):
            user = user_of(name)
            found[name] = len(
                first_ids(session, reading.waiting_on(session, user, scope_of(session, user)), 100)
            )
        return found

    found = in_demo(demo_app, read)
    assert found["supervision"] >= 3
    for name in (STATION, TOWNSHIP, FIRE_OFFICER, JUSTICE_OFFICER, WORKER):
        assert found[name] >= 1, name


def test_the_demo_has_closed_tasks_revisited_with_each_rating(demo_app):
    def read(session, user_of):
        admin = user_of(ADMIN)
        scope = scope_of(session, admin)
        rated = session.scalars(
            reading.visible_tasks(session, admin, scope, reading.TaskFilter(state="evaluated"))
        ).all()
        revisited = session.scalars(
            reading.visible_tasks(session, admin, scope, reading.TaskFilter(state="revisited"))
        ).all()
        top = session.scalar(select(Node).where(Node.parent_id.is_(None)))
        board = dashboards.dashboard(
            session, tenancy.get_by_slug(session, "demo"), reading.registry(), top
        )
        return {t.rating for t in rated}, all(not t.is_open for t in rated), len(revisited), board

    ratings, all_closed, revisited, board = in_demo(demo_app, read)
    assert ratings == {r.value for r in Rating} and all_closed
    assert revisited >= 1
    assert board.rated >= 5 and board.satisfaction_rate is not None


def test_each_demo_module_has_overdue_items(demo_app):
    def read(session, user_of):
        tenant = tenancy.get_by_slug(session, "demo")
        fire = user_of(FIRE_OFFICER)
        overdue_hazards = session.execute(
            hazards.ledger(
                scope_of(session, fire), hazards.LedgerFilter(overdue=True), tenant.clock.today()
            )
        ).all()
        justice = user_of(JUSTICE_OFFICER)
        due = session.execute(
            disputes.follow_ups_due(session, justice, scope_of(session, justice))
        ).all()
        late_cases = session.scalar(
            select(func.count(Task.id)).where(
                Task.task_type == "disputes.case",
                Task.is_open.is_(True),
                Task.card == Card.RED.value,
            )
        )
        return len(overdue_hazards), len(due), late_cases

    overdue_hazards, follow_ups_due, late_cases = in_demo(demo_app, read)
    assert overdue_hazards >= 1
    assert follow_ups_due >= 1
    assert late_cases >= 1


def page_of(app: Flask, username: str, url: str) -> str:
    client = app.test_client()
    assert login(client, "demo", username, DEMO_PASSWORD).status_code == 302
    response = client.get(f"/t/demo{url}")
    assert response.status_code == 200, (username, url)
    return response.get_data(as_text=True)


def test_the_demo_lists_show_rows_on_the_portal_for_the_admin_station_and_departments(demo_app):
    def read(session, user_of):
        top = session.scalar(select(Node).where(Node.parent_id.is_(None)))
        waiting = {}
        for name in (STATION, TOWNSHIP, FIRE_OFFICER, JUSTICE_OFFICER):
            user = user_of(name)
            waiting[name] = first_ids(
                session, reading.waiting_on(session, user, scope_of(session, user))
            )[0]
        admin, admin_scope = user_of(ADMIN), scope_of(session, user_of(ADMIN))
        readable = reading.visible_filter(session, admin, admin_scope)
        red = first_ids(session, dashboards.overdue_tasks(top, readable))[0]
        yellow_query = reading.visible_tasks(
            session,
            user_of(ADMIN),
            scope_of(session, user_of(ADMIN)),
            reading.TaskFilter(card=Card.YELLOW.value, is_open=True),
        )
        yellow = first_ids(session, yellow_query)[0]
        supervised = (
            session.scalars(supervision.supervision_list(session, admin, admin_scope, top))
            .first()
            .task_id
        )
        fire = user_of(FIRE_OFFICER)
        hazard = (
            session.execute(
                hazards.ledger(
                    scope_of(session, fire),
                    hazards.LedgerFilter(overdue=True),
                    tenancy.get_by_slug(session, "demo").clock.today(),
                )
            )
            .first()[0]
            .id
        )
        justice = user_of(JUSTICE_OFFICER)
        case = (
            session.execute(disputes.follow_ups_due(session, justice, scope_of(session, justice)))
            .first()[0]
            .id
        )
        return waiting, red, yellow, supervised, hazard, case

    waiting, red, yellow, supervised, hazard, case = in_demo(demo_app, read)
    for name, task_id in waiting.items():
        assert f'/t/demo/tasks/{task_id}"' in page_of(demo_app, name, "/tasks?list=waiting"), name
    assert f'/t/demo/tasks/{red}"' in page_of(demo_app, ADMIN, "/tasks/dashboard")
    assert f'/t/demo/tasks/{red}"' in page_of(demo_app, ADMIN, "/tasks?list=all&card=red")
    assert f'/t/demo/tasks/{yellow}"' in page_of(demo_app, ADMIN, "/tasks?list=all&card=yellow")
    assert f'/t/demo/tasks/{supervised}"' in page_of(demo_app, ADMIN, "/tasks/supervision")
    # the dashboard's 满意率 is a figure, not "—"
    assert re.search(
        r'figure">\d+%</span><span class="caption">满意率',
        page_of(demo_app, ADMIN, "/tasks/dashboard"),
    )
    ledger = page_of(demo_app, FIRE_OFFICER, "/m/fire_safety/ledger?overdue=1")
    assert f'/hazards/{hazard}"' in ledger
    assert f'/cases/{case}"' in page_of(demo_app, JUSTICE_OFFICER, "/m/disputes/")


def test_the_demo_has_last_months_sheets_explained_for_every_grid_worker(demo_app):
    from gridgov.core.assessment.models import AssessmentSheet, LineStatus

    def read(session, user_of):
        sheets = session.scalars(select(AssessmentSheet)).all()
        workers = [u for u in session.scalars(select(User)) if u.role == "grid_worker"]
        assert {s.month for s in sheets} == {"2026-10"}  # the demo ran on 23 November
        assert len(sheets) == len(workers)
        mine = next(s for s in sheets if s.user_id == user_of(WORKER).id)
        scored = [line for line in mine.lines if line.status == LineStatus.SCORED]
        assert mine.pending_lines == 0 and len(scored) >= 15
        assert all(line.detail for line in scored if line.source == "core")
        assert mine.floating_amount is not None  # the demo scheme gives a salary
        assert len({s.band for s in sheets}) > 1

    in_demo(demo_app, read)
    assert "考核: 2026-10 scored" in demo_app.config["demo_output"]


class _VisibleText(HTMLParser):
    """The text a reader sees on a page (not scripts, styles or code samples) and its links."""

    HIDDEN = frozenset({"script", "style", "code"})

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in self.HIDDEN
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href.split("#")[0])

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in self.HIDDEN

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.lines.append(data.strip())


# An internal code on a page: a snake_case identifier (report_up, empty_nest_elderly,
# current_node_id), a dotted one (user.login, fire_safety.patrol), or Python's None/True/False.
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b[a-z_]+\.[a-z_]+\b|\b(?:None|True|False)\b")
# Words that look like codes: the demo's usernames, the manifest's file name, English "e.g.".
DEMO_WORDS = re.compile(r"\b[a-z]{2}\.[a-z]+\b|\b\w+\.yaml\b|\be\.g\.")
ROLES_SEEN = (ADMIN, STATION, TOWNSHIP, WORKER, FIRE_OFFICER, JUSTICE_OFFICER, "dd0101a")
ROLES_SEEN += ("xx0101", "cs.audit", "cs.security", "bm.jisheng", "bm.minzheng")
PAGE_KINDS_PER_ROLE = 80


def test_no_page_any_role_reaches_shows_an_internal_code(demo_app):
    """Every page kind each demo role reaches from its home (one page per address pattern), in
    both languages: a code shown to a person has its words. English has a word None."""
    shown: dict[tuple[str, str], str] = {}
    for locale in ("zh_CN", "en"):
        for username in ROLES_SEEN:
            client = demo_app.test_client()
            assert login(client, "demo", username, DEMO_PASSWORD).status_code == 302, username
            with client.session_transaction() as state:
                state["locale"] = locale
            queue, kinds = ["/t/demo/"], set()
            while queue and len(kinds) < PAGE_KINDS_PER_ROLE:
                url = queue.pop(0)
                kind = re.sub(r"\d+", "N", url)
                if kind in kinds or re.search(r"logout|export|download|/files/|\.xlsx", url):
                    continue
                kinds.add(kind)
                response = client.get(url)
                assert response.status_code < 500, url
                if response.status_code != 200 or "html" not in response.content_type:
                    continue
                page = _VisibleText()
                page.feed(response.get_data(as_text=True))
                queue.extend(h for h in page.links if h.startswith("/t/demo/") and "?" not in h)
                for line in page.lines:
                    for code in RAW_CODE.findall(DEMO_WORDS.sub("", line)):
                        if not (locale == "en" and code == "None"):
                            shown.setdefault((code, f"{username} {locale} {kind}"), line[:80])
            assert len(kinds) > 3, username  # the role's home led somewhere
    assert shown == {}


def test_the_demo_family_planning_pilot_has_targets_births_due_lists_and_every_entitlement_state(
    demo_app,
):
    from gridgov_plugins.family_planning import entitlements as fp_entitlements
    from gridgov_plugins.family_planning import targets as fp_targets
    from gridgov_plugins.family_planning.models import Birth, Entitlement, FollowUp, Target

    def read(session, user_of):
        officer = user_of("bm.jisheng")
        scope = scope_of(session, officer)
        township = session.scalar(select(Node).where(Node.code == "CS-01"))
        paths = {t.filed_path for t in session.scalars(select(Target))}
        due = fp_targets.due_follow_ups(session, officer, scope)
        owed = fp_entitlements.due_entitlements(session, officer, scope)
        states = set(session.scalars(select(Entitlement.state)))
        kinds = set(session.scalars(select(Target.kind)))
        return (
            township.path,
            paths,
            due,
            owed,
            states,
            kinds,
            session.scalar(select(func.count(Birth.id))),
            session.scalar(select(func.count(FollowUp.id))),
        )

    township, paths, due, owed, states, kinds, born, visited = in_demo(demo_app, read)
    assert paths and all(path.startswith(township) for path in paths)  # the pilot only
    assert kinds == {"woman", "newborn", "special"}
    assert born >= 1 and visited >= 3
    assert any(line.is_overdue for line in due) and due
    assert any(d.is_overdue for d in owed) and any(d.entitlement is None for d in owed)
    assert states == {"applied", "checked", "approved", "paid", "refused"}
    page = page_of(demo_app, "bm.jisheng", "/m/family_planning/")
    assert "待随访" in page and "计生对象" in page
    assert "计划生育: " in demo_app.config["demo_output"]

    def again(session, user_of):
        from gridgov.core.admission.activation import hooks_for

        tenant = tenancy.get_by_slug(session, "demo")
        return " ".join(hooks_for().demo_data(session=session, tenant=tenant))

    assert "计划生育: already loaded" in in_demo(demo_app, again)


def test_the_demo_has_care_records_visits_assistance_and_errands_in_each_state(demo_app):
    from gridgov_plugins.civil_affairs import service as care
    from gridgov_plugins.civil_affairs.models import Assistance, CareRecord, CareVisit, Errand

    def read(session, user_of):
        officer = user_of("bm.minzheng")
        scope = scope_of(session, officer)
        today = tenancy.get_by_slug(session, "demo").clock.today()
        due = care.due_list(session, officer, scope, today=today)
        states = set(session.scalars(select(Task.state).join(Errand, Errand.task_id == Task.id)))
        person_id = session.scalar(select(CareVisit.person_id).order_by(CareVisit.id))
        return (
            session.scalar(select(func.count(CareRecord.id))),
            session.scalar(select(func.count(CareVisit.id))),
            session.scalar(select(func.count(Assistance.id))),
            states,
            sum(1 for e in due if e.is_overdue),
            person_id,
        )

    records, visits, given, states, overdue, person_id = in_demo(demo_app, read)
    assert records >= 20 and visits >= 10 and given >= 3
    assert states == {"requested", "accepted", "done", "confirmed", "cancelled"}
    assert overdue >= 5
    overview = page_of(demo_app, "bm.minzheng", "/m/civil_affairs/")
    assert 'data-testid="overdue"' in overview and "逾期未走访" in overview
    assert 'data-testid="reviews"' in overview  # allowance reviews falling due
    assert "走访记录" in page_of(demo_app, "bm.minzheng", f"/m/civil_affairs/people/{person_id}")
    assert "民政特殊人群关爱" in demo_app.config["demo_output"]
