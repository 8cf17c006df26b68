"""The module's assessment lines (follow-ups on time; targets found and handled), its
dashboard figures and its period figures in the seeds' words ("发现并处理计划生育对象20余人")."""

from __future__ import annotations

import datetime as dt

from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.admission.activation import hooks_for, open_form
from gridgov.core.hierarchy.models import Node
from gridgov.core.plugins.hookspecs import ScoringContext
from gridgov_plugins.family_planning import entitlements, follow_ups
from tests.plugins.family_planning.conftest import TODAY, woman

START = TODAY - dt.timedelta(days=29)
EVERYWHERE = Scope(everything=True)


def rules():
    return {rule.code: rule for rule in hooks_for().scoring_rules()}


def result(session, world, code, worker, start=START, end=TODAY):
    period = world.county.tenant.clock.period(start, end)
    return rules()[code].result(ScoringContext(session, world.county.tenant.id, worker.id, period))


def follow(session, world, target, worker=None):
    user = worker or world.county.workers[0]
    _module, form = open_form(follow_ups.FORM_CODE, session.get(Node, target.node_id))
    data = {"visited_on": TODAY.isoformat(), "condition": "good", "notes": "正常"}
    return follow_ups.file_follow_up(session, user, scope_of(session, user), target, form, data)


def figures_of(found):
    return {figure.code: figure.value for figure in found}


def test_hook_scoring_rules_adds_the_two_lines_under_diligence_and_results(world):
    found = rules()
    assert found["family_planning.follow_ups"].category == "diligence"
    assert found["family_planning.targets"].category == "results"


def test_follow_up_points_are_the_share_made_on_time(session, world):
    worker = world.county.workers[0]
    first = woman(session, world)
    follow(session, world, first)
    assert result(session, world, "family_planning.follow_ups", worker).points == 3
    late_target = woman(session, world, world.neighbours.mother, by=world.county.workers[1])
    late_target.found_on = TODAY - dt.timedelta(days=100)
    follow(session, world, late_target, world.county.workers[1])
    scored = result(session, world, "family_planning.follow_ups", world.county.workers[1])
    assert scored.points == 0 and "按时 0 次" in scored.detail


def test_a_worker_with_targets_but_no_follow_up_scores_nothing_and_one_without_targets_full(
    session, world
):
    woman(session, world)
    assert result(session, world, "family_planning.follow_ups", world.county.workers[0]).points == 0
    assert result(session, world, "family_planning.follow_ups", world.county.workers[2]).points == 3


def test_targets_found_count_once_they_are_followed_up(session, world):
    worker = world.county.workers[0]
    target = woman(session, world)
    assert result(session, world, "family_planning.targets", worker).points == 0
    follow(session, world, target)
    scored = result(session, world, "family_planning.targets", worker)
    assert scored.points == 1 and scored.evidence == {"target": [target.id]}
    earlier = result(
        session,
        world,
        "family_planning.targets",
        worker,
        START - dt.timedelta(days=60),
        START - dt.timedelta(days=31),
    )
    assert earlier.points == 0


def test_period_figures_say_how_many_targets_were_found_and_handled(session, world):
    handled = woman(session, world)
    follow(session, world, handled)
    woman(session, world, world.neighbours.mother, by=world.county.workers[1])
    period = world.county.tenant.clock.period(START, TODAY)
    shown = hooks_for().period_figures(
        session=session, tenant=world.county.tenant, scope=EVERYWHERE, period=period
    )
    found = figures_of(f for f in shown if f.code.startswith("family_planning."))
    assert found["family_planning.found_and_handled"] == 1
    assert found["family_planning.found"] == 2
    assert found["family_planning.follow_ups"] == 1
    label = next(f.label for f in shown if f.code == "family_planning.found_and_handled")
    assert label == "发现并处理计划生育对象"
    earlier = world.county.tenant.clock.period(
        START - dt.timedelta(days=60), START - dt.timedelta(days=1)
    )
    before = hooks_for().period_figures(
        session=session, tenant=world.county.tenant, scope=EVERYWHERE, period=earlier
    )
    assert (
        figures_of(f for f in before if f.code.startswith("family_planning."))[
            "family_planning.found"
        ]
        == 0
    )


def test_period_figures_count_entitlements_paid_and_their_amount(session, world):
    user = world.county.workers[0]
    made = entitlements.apply_for(
        session,
        user,
        scope_of(session, user),
        entitlements.ApplicationInput(person_id=world.family.grandfather.id, scheme="reward"),
    )
    staff, officer = world.county.township_staff, world.officer
    entitlements.check(session, staff, scope_of(session, staff), made)
    entitlements.approve(session, officer, scope_of(session, officer), made)
    entitlements.record_payment(
        session, officer, scope_of(session, officer), made, amount="960", paid_on=TODAY
    )
    period = world.county.tenant.clock.period(START, TODAY)
    shown = hooks_for().period_figures(
        session=session, tenant=world.county.tenant, scope=EVERYWHERE, period=period
    )
    paid = next(f for f in shown if f.code == "family_planning.paid")
    assert paid.value == 1 and paid.extra == {"amount": 960.0}


def test_dashboard_figures_count_targets_by_kind_and_follow_ups_due_in_the_scope(session, world):
    woman(session, world)
    woman(session, world, world.neighbours.mother, by=world.county.workers[1])
    worker = world.county.workers[0]
    shown = hooks_for().dashboard_figures(
        session=session, tenant=world.county.tenant, scope=scope_of(session, worker)
    )
    found = figures_of(f for f in shown if f.code.startswith("family_planning."))
    assert found["family_planning.targets"] == 1
    assert found["family_planning.targets_woman"] == 1
    assert (
        found["family_planning.follow_ups_due"] + found["family_planning.follow_ups_overdue"] == 1
    )
    everything = figures_of(
        hooks_for().dashboard_figures(session=session, tenant=world.county.tenant, scope=EVERYWHERE)
    )
    assert everything["family_planning.targets"] == 2
