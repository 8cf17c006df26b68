"""The admitted modules' dashboard figures on the home page: only the modules a county
admitted, and a module whose figures fail is left out instead of breaking the page."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core import runtime
from gridgov.core.admission import service as admission
from gridgov.core.db import db_session, tenant_scope
from gridgov.core.plugins.hookspecs import DashboardFigure, ModuleInfo, hookimpl
from gridgov.core.plugins.manager import get_plugin_host
from tests.core.admission.factories import ITEMS, add_department
from tests.portal.conftest import csrf_token, login


class Counter:
    """A module counting what is open in the user's scope (here: a constant per county)."""

    def __init__(self, name: str, broken: bool = False) -> None:
        self.name, self.broken = name, broken

    @hookimpl
    def gridgov_module_info(self):
        return ModuleInfo(name=self.name, title=self.name, department="测试", version="0")

    @hookimpl
    def gridgov_dashboard_figures(self, tenant):
        if self.broken:
            raise RuntimeError("figures table missing")
        return [
            DashboardFigure(f"{self.name}.open", "未整改隐患", "Open hazards", 367, "处"),
            DashboardFigure(f"{self.name}.on_time", "按期整改率", "Rectified on time", 92, "%"),
        ]


@pytest.fixture
def modules(use_plugins):
    return use_plugins(
        get_plugin_host(
            load_entrypoints=False, plugins=(Counter("hazards"), Counter("broken", broken=True))
        )
    )


def admit(app, county, module):
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            department, officer = add_department(session, county, code=module.upper())
            a = admission.apply_for_module(
                session,
                officer,
                runtime.current().plugins,
                department=department,
                module=module,
                items=ITEMS,
            )
            admission.approve_admission(
                session, county.admin, a, meeting_date=dt.date(2026, 5, 8), minutes="同意"
            )
        session.commit()


def test_home_shows_the_figures_of_admitted_modules_only(app, client, county, modules):
    login(client, "changshan", county.workers[0].username)
    assert 'data-testid="module-figures"' not in client.get("/t/changshan/").get_data(as_text=True)
    admit(app, county, "hazards")
    admit(app, county, "broken")
    page = client.get("/t/changshan/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-code="hazards.open">367 处' in html
    assert "broken." not in html


def test_an_english_home_shows_a_figure_without_its_chinese_measure_word(
    app, client, county, modules
):
    login(client, "changshan", county.workers[0].username)
    admit(app, county, "hazards")
    page = client.get("/t/changshan/").get_data(as_text=True)
    assert 'data-code="hazards.open">367 处' in page
    client.post("/t/changshan/locale", data={"csrf_token": csrf_token(page), "locale": "en"})
    english = client.get("/t/changshan/").get_data(as_text=True)
    assert "Open hazards" in english
    assert 'data-code="hazards.open">367</dd>' in english  # no 处: English has no measure words
    assert 'data-code="hazards.on_time">92 %</dd>' in english  # a symbol stays
