"""Activation end to end: a spy module admitted in one county is called for that county only,
and for a pilot only where the user's scope reaches the pilot township."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core import runtime
from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission import activation
from gridgov.core.admission import service as admission
from gridgov.core.db import set_tenant
from gridgov.core.errors import Conflict, NotFound
from gridgov.core.plugins.hookspecs import DashboardFigure, ModuleInfo, hookimpl
from gridgov.core.plugins.manager import get_plugin_host
from gridgov.core.registry.tags import TagDefinition
from tests.core.admission.factories import ITEMS, add_department
from tests.factories import build_county


class Spy:
    """A module noting for which county each of its hooks is called."""

    def __init__(self) -> None:
        self.counties: list[str] = []

    @hookimpl
    def gridgov_module_info(self):
        return ModuleInfo(name="spy", title="探针", department="测试", version="0")

    @hookimpl
    def gridgov_dashboard_figures(self, tenant):
        self.counties.append(tenant.slug)
        return [DashboardFigure("spy.calls", "调用", "Calls", value=len(self.counties))]

    @hookimpl
    def gridgov_tags(self):
        return [TagDefinition("spy.watched", "重点关注", "Watched", visit_interval_days=7)]


@pytest.fixture
def spy(session, use_plugins):
    spy = Spy()
    use_plugins(get_plugin_host(load_entrypoints=False, plugins=(spy,)))
    return spy


def admit_spy(session, county, pilot=()):
    department, officer = add_department(session, county)
    a = admission.apply_for_module(
        session,
        officer,
        runtime.current().plugins,
        department=department,
        module="spy",
        items=ITEMS,
    )
    admission.approve_admission(
        session,
        county.admin,
        a,
        meeting_date=dt.date(2026, 5, 8),
        minutes="同意",
        pilot_nodes=pilot,
    )


def figures_for(session, county, user):
    set_tenant(session, county.tenant.id)
    scope = scope_of(session, user)
    return activation.hooks_for(scope).dashboard_figures(
        session=session, tenant=county.tenant, scope=scope
    )


def test_the_spy_is_called_for_the_admitting_county_only(app, session, spy):
    other = build_county(session, "baishui")
    county = build_county(session, "changshan")
    with app.test_request_context():
        admit_spy(session, county)
        assert [f.code for f in figures_for(session, county, county.admin)] == ["spy.calls"]
        assert figures_for(session, other, other.admin) == []
    assert spy.counties == ["changshan"]


def test_a_pilot_reaches_only_users_whose_scope_touches_it(app, session, spy):
    county = build_county(session, "changshan")
    with app.test_request_context():
        admit_spy(session, county, pilot=(county.townships[1],))
        assert figures_for(session, county, county.workers[0]) == []  # township 0
        assert len(figures_for(session, county, county.workers[-1])) == 1  # township 1
        with pytest.raises(NotFound):  # its API answers outside the pilot as if absent
            activation.check_request("spy", scope_of(session, county.workers[0]), "GET")
    assert spy.counties == ["changshan"]


def test_a_suspended_module_is_not_called_any_more(app, session, spy):
    county = build_county(session, "changshan")
    with app.test_request_context():
        admit_spy(session, county)
        figures_for(session, county, county.admin)
        admission.suspend_admission(
            session, county.admin, admission.holding_admission(session, "spy"), reason="整顿"
        )
        assert figures_for(session, county, county.admin) == []
    assert spy.counties == ["changshan"]


def test_a_modules_tags_join_the_county_catalogue_only_where_it_is_admitted(app, session, spy):
    other = build_county(session, "baishui")
    county = build_county(session, "changshan")
    with app.test_request_context():
        admit_spy(session, county)
        set_tenant(session, county.tenant.id)
        assert activation.county_tags()["spy.watched"].visit_interval_days == 7
        assert "empty_nest_elderly" in activation.county_tags()
        set_tenant(session, other.tenant.id)
        assert "spy.watched" not in activation.county_tags()


def test_a_suspended_modules_pages_may_be_read_but_not_written(app, session, spy):
    county = build_county(session)
    set_tenant(session, county.tenant.id)
    admit_spy(session, county)
    scope = scope_of(session, county.workers[0])
    activation.check_request("spy", scope, "POST")
    admission.suspend_admission(
        session, county.admin, admission.holding_admission(session, "spy"), reason="整顿"
    )
    activation.check_request("spy", scope, "GET")
    with pytest.raises(Conflict):
        activation.check_request("spy", scope, "POST")
    assert [m.name for m in activation.readable_modules(scope)] == ["spy"]


def test_a_pilot_modules_pages_stay_closed_outside_the_pilot(app, session, spy):
    county = build_county(session)
    set_tenant(session, county.tenant.id)
    admit_spy(session, county, pilot=(county.townships[1],))
    scope = scope_of(session, county.workers[0])
    for method in ("GET", "POST"):
        with pytest.raises(NotFound):
            activation.check_request("spy", scope, method)
    assert activation.readable_modules(scope) == []


def test_a_module_never_admitted_has_no_pages_to_read(app, session, spy):
    county = build_county(session)
    set_tenant(session, county.tenant.id)
    with pytest.raises(NotFound):
        activation.check_request("spy", scope_of(session, county.admin), "GET")
