"""Period figures reach only the admitted modules, with the period; a module whose hook fails
is left out of the report, the others still answer."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gridgov.core.accounts.scope import Scope
from gridgov.core.plugins.hookspecs import DashboardFigure, ModuleInfo, hookimpl
from gridgov.core.plugins.manager import get_plugin_host
from gridgov.core.tenancy.county_time import Period

QUARTER = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31), ZoneInfo("Asia/Shanghai"))


class Counting:
    def __init__(self, name: str, *, fails: bool = False) -> None:
        self.name, self.fails, self.periods = name, fails, []

    @hookimpl
    def gridgov_module_info(self):
        return ModuleInfo(name=self.name, title="探针", department="测试", version="0")

    @hookimpl
    def gridgov_period_figures(self, period):
        self.periods.append(period)
        if self.fails:
            raise RuntimeError("a module's bug")
        return [DashboardFigure(f"{self.name}.days", "天数", "Days", value=period.days)]


def test_only_admitted_modules_answer_and_a_failing_one_is_left_out(session):
    admitted, broken, other = Counting("alpha"), Counting("beta", fails=True), Counting("gamma")
    host = get_plugin_host(load_entrypoints=False, plugins=(admitted, broken, other))
    found = host.for_tenant(["alpha", "beta"]).period_figures(
        session=session, tenant=None, scope=Scope(paths=("/1/",)), period=QUARTER
    )
    assert [(f.code, f.value) for f in found] == [("alpha.days", 90)]
    assert broken.periods == [QUARTER] and other.periods == []
