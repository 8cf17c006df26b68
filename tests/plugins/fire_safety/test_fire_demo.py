"""The module's demo records (``gridgov demo``): checklists and hazards at every stage, a major
hazard listed and published by the county, residents' reports, four-abilities checks with a
re-visit due and fire leaders — made once, through the services."""

from __future__ import annotations

from sqlalchemy import func, select

from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import Scope
from gridgov.core.admission.activation import hooks_for
from gridgov.core.departments import service as departments
from gridgov.core.registry.demo import load_demo_registry
from gridgov.core.tenancy.county_time import CountyClock
from gridgov_plugins.fire_safety import figures, inspections
from gridgov_plugins.fire_safety.models import Hazard, Patrol
from tests.factories import UserFactory

EVERYTHING = Scope(everything=True)


def test_hook_demo_data_shows_the_module_at_every_stage(session, county):
    # the demo manifest's county administrator and brigade officer
    UserFactory(username="cs.admin", role=Role.COUNTY_ADMIN.value)
    officer = UserFactory(
        username="bm.xiaofang", role=Role.DEPARTMENT_OFFICER.value, nodes=[county.top]
    )
    departments.add_officer(session, None, county.department, officer)
    load_demo_registry(session, county.tenant)

    lines = hooks_for().demo_data(session=session, tenant=county.tenant)

    assert any("fire_safety" in line and "patrols" in line for line in lines)
    today = CountyClock.of(None).today()
    counts = figures.hazard_counts(session, EVERYTHING, today)
    found_by_patrols = session.scalar(select(func.sum(Patrol.findings)))
    # the checklists' findings, the brigade's major hazard, one found investigating a report
    assert counts.found == found_by_patrols + 2 and counts.by_grade["major"] == 1
    assert counts.eliminated > 0
    published = session.scalars(select(Hazard).where(Hazard.published_at.is_not(None))).all()
    assert len(published) == 1
    reports = figures.report_counts(session, EVERYTHING)
    assert (reports.received, reports.rewarded, reports.answered) == (3, 1, 2)
    statuses = inspections.site_statuses(session, EVERYTHING)
    assert any(s.is_revisit_due(today) for s in statuses)
    assert any(not s.latest.passed for s in statuses)
    assert any(s.latest.is_revisit for s in statuses)
    assert figures.leader_count(session, EVERYTHING) > 0

    patrols = session.scalar(select(func.count(Patrol.id)))
    again = hooks_for().demo_data(session=session, tenant=county.tenant)
    assert "already loaded" in " ".join(again)
    assert session.scalar(select(func.count(Patrol.id))) == patrols
