"""The third-party example (tests/plugins/example_plugin, installed through its own entry
point) adds a form, a task type and a scoring rule without any change to the core: a county
that admitted it sees all three, and the rule scores a worker's own inspections of the month."""

from __future__ import annotations

import datetime as dt

from gridgov.core import runtime
from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission import activation
from gridgov.core.db import set_tenant
from gridgov.core.forms import service as forms
from gridgov.core.plugins.hookspecs import ScoringContext
from gridgov.core.tasks import reading
from tests.core.plugins.test_task_types import admit
from tests.factories import build_county

INSPECTION = {
    "site": "城东豆腐坊",
    "kind": "workshop",
    "inspected_on": "2026-05-08",
    "compliant": True,
    "checks": [{"item": "油烟净化器", "passed": True}],
}


def test_the_example_is_installed_through_its_entry_point(app):
    with app.app_context():
        module = runtime.current().plugins.module("env_patrol")
    assert module is not None
    assert [f.code for f in module.forms] == ["env_patrol.inspection"]
    assert [t.name for t in module.task_types] == ["env_patrol.pollution"]
    assert [r.code for r in module.scoring_rules] == ["env_patrol.inspections"]


def test_an_admitting_county_gets_the_form_the_task_type_and_the_rule(app, session):
    county = build_county(session)
    set_tenant(session, county.tenant.id)
    assert activation.hooks_for().scoring_rules() == []
    admit(session, county)
    scope = scope_of(session, county.workers[0])
    hooks = activation.hooks_for(scope)
    assert hooks.form("env_patrol.inspection") is not None
    assert "env_patrol.pollution" in [t.name for t in reading.usable_types(session, scope)]
    assert [r.code for r in hooks.scoring_rules()] == ["env_patrol.inspections"]


def test_the_example_rule_scores_a_workers_own_inspections_up_to_its_maximum(app, session):
    county = build_county(session)
    admit(session, county)
    form = activation.hooks_for().form("env_patrol.inspection")
    worker, colleague = county.workers[0], county.workers[1]
    with app.test_request_context():
        for _n in range(3):
            forms.submit_form(
                session, worker, form, module="env_patrol", node=county.grids[0], data=INSPECTION
            )
        for _n in range(7):
            forms.submit_form(
                session,
                colleague,
                form,
                module="env_patrol",
                node=county.grids[1],
                data=INSPECTION,
            )
    (rule,) = activation.hooks_for().scoring_rules()
    clock = county.tenant.clock
    today = clock.today()
    month = clock.period(today.replace(day=1), today)

    def points(user):
        return rule.score(ScoringContext(session, county.tenant.id, user.id, month))

    assert points(worker) == 3
    assert points(colleague) == rule.max_points == 5
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    earlier = ScoringContext(session, county.tenant.id, worker.id, clock.month_of(last_month))
    assert rule.score(earlier) == 0
