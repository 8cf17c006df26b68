"""A department module's task types run on the core's engine only where the county admitted the
module, and its reactions to task transitions are called only for counties that admitted it.
The example third-party module (tests/plugins/example_plugin) brings a task type of its own."""

from __future__ import annotations

import pytest

from gridgov.core import runtime
from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission import service as admission
from gridgov.core.db import set_tenant
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.plugins.hookspecs import ModuleInfo, hookimpl
from gridgov.core.plugins.manager import get_plugin_host
from gridgov.core.tasks import reading, reporting, transitions
from gridgov.core.tasks.models import Task, TaskTransition
from tests.core.admission.factories import EXAMPLE_MODULE, add_department, approved
from tests.factories import build_county

POLLUTION = f"{EXAMPLE_MODULE}.pollution"


def admit(session, county, module=EXAMPLE_MODULE, pilot=()):
    set_tenant(session, county.tenant.id)
    department, officer = add_department(session, county)
    host = runtime.current().plugins
    return approved(session, host, county, department, officer, module, pilot)


def report(session, county, grid=0, category="烟尘扰民"):
    task, _new = reporting.report_task(
        session,
        county.workers[grid],
        scope_of(session, county.workers[grid]),
        county.grids[grid],
        reporting.Report(task_type=POLLUTION, category=category, title="养殖场排污"),
    )
    return task


def act(session, user, task, action, comment="已核实"):
    return transitions.transition(
        session, user, scope_of(session, user), task, action, transitions.Move(comment=comment)
    )


def test_an_example_modules_task_type_is_in_the_engines_registry(app, session):
    assert reading.registry().get(POLLUTION).module == EXAMPLE_MODULE


def test_a_modules_task_cannot_be_reported_where_the_module_was_not_admitted(app, session):
    county = build_county(session)
    set_tenant(session, county.tenant.id)
    with pytest.raises(NotFound):
        report(session, county)
    assert session.query(Task).count() == 0


def test_an_admitted_modules_task_runs_its_own_workflow(app, session):
    county = build_county(session)
    admit(session, county)
    task = report(session, county)
    assert task.state == "reported"
    township_staff = county.township_staff
    act(session, township_staff, task, "verify")
    act(session, township_staff, task, "close", comment="已责令整改")
    assert (task.state, task.is_open) == ("closed", False)


def test_a_pilot_modules_task_is_refused_outside_the_pilot_township(app, session):
    county = build_county(session)
    admit(session, county, pilot=(county.townships[1],))
    with pytest.raises(NotFound):
        report(session, county, grid=0)
    grid_in_pilot = next(
        i for i, g in enumerate(county.grids) if g.path.startswith(county.townships[1].path)
    )
    assert report(session, county, grid=grid_in_pilot).state == "reported"


def test_a_suspended_modules_tasks_stay_readable_but_do_not_move(app, session):
    county = build_county(session)
    a = admit(session, county)
    task = report(session, county)
    admission.suspend_admission(session, county.admin, a, reason="整顿")
    with pytest.raises(Conflict):
        act(session, county.township_staff, task, "verify")
    with pytest.raises(Conflict):
        report(session, county)
    assert reading.get_task(session, task.id).state == "reported"


def test_hook_task_transition_of_the_example_marks_discharge_urgent(app, session):
    county = build_county(session)
    admit(session, county)
    assert report(session, county, category="污水直排").priority == 1
    assert report(session, county, category="烟尘扰民").priority == 2


class Spy:
    """A module noting every transition it hears of, and refusing a step noted "拒绝"."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str, str | None]] = []

    @hookimpl
    def gridgov_module_info(self):
        return ModuleInfo(name="spy", title="探针", department="测试", version="0")

    @hookimpl
    def gridgov_task_transition(self, tenant, task, action, from_state, comment):
        self.heard.append((tenant.slug, action, from_state))
        if comment == "拒绝":
            raise DomainError("探针拒绝了这一步", field="comment")


@pytest.fixture
def spy(session, use_plugins):
    spy = Spy()
    use_plugins(get_plugin_host(load_entrypoints=False, plugins=(spy,)))
    return spy


def report_default(session, county):
    set_tenant(session, county.tenant.id)
    task, _new = reporting.report_task(
        session,
        county.workers[0],
        scope_of(session, county.workers[0]),
        county.grids[0],
        reporting.Report(category="民生事项", title="路灯不亮"),
    )
    return task


def test_transitions_reach_a_module_only_in_counties_that_admitted_it(app, session, spy):
    other = build_county(session, "baishui")
    county = build_county(session, "changshan")
    admit(session, county, module="spy")
    task = report_default(session, county)
    act(session, county.township_staff, task, "accept")
    report_default(session, other)
    assert spy.heard == [("changshan", "report", None), ("changshan", "accept", "reported")]


def test_a_reaction_raising_refuses_the_step_and_nothing_moves(app, session, spy):
    county = build_county(session)
    admit(session, county, module="spy")
    task = report_default(session, county)
    with pytest.raises(DomainError, match="探针拒绝"), session.begin_nested():
        act(session, county.township_staff, task, "escalate", comment="拒绝")
    assert reading.get_task(session, task.id).state == "reported"
    assert session.query(TaskTransition).filter_by(task_id=task.id).count() == 1


def test_a_suspended_module_hears_no_more_transitions(app, session, spy):
    county = build_county(session)
    a = admit(session, county, module="spy")
    admission.suspend_admission(session, county.admin, a, reason="整顿")
    report_default(session, county)
    assert spy.heard == []
