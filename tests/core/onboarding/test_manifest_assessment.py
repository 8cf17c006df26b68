"""The manifest's ``assessment``: the county's scheme from a month on, checked against the
installed rules with the line of every problem, idempotent, and the portal's later change kept
while the file does not change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridgov.core.assessment import scheme
from gridgov.core.assessment.models import AssessmentScheme
from gridgov.core.assessment.run import catalogue
from gridgov.core.onboarding.manifest import ManifestError, apply_manifest, parse_manifest
from tests.core.onboarding.test_manifest import HILL, in_hill, line_of

SCHEME = """\
assessment:
  first_month: "2026-01"
  weights: {integrity: 20, ability: 10, diligence: 40, results: 30}
  monthly_salary: 3000
  payout_period: quarter
  lines:
    - code: manual.supervisor
      category: integrity
      points: 20
      label: 督导员评分
      scored_by: supervisor
    - {code: core.data_updates, category: ability, points: 10}
    - {code: core.patrols, category: diligence, points: 30, params: {per_day: 2}}
    - {code: core.logs, category: diligence, points: 10}
    - {code: core.reports, category: results, points: 30}
"""


def apply_text(session, text: str, **kwargs):
    return apply_manifest(session, parse_manifest(text, source="hill.yaml"), **kwargs)


def test_the_manifest_sets_the_scheme_once(session):
    plan = apply_text(session, HILL + SCHEME)
    assert "~ assessment v1 from 2026-01" in plan.lines()
    in_hill(session)
    (version,) = session.scalars(select(AssessmentScheme))
    assert (version.source, version.first_month, version.created_by_name) == (
        "manifest",
        "2026-01",
        "清单 hill.yaml",
    )
    stored = scheme.scheme_of(version, catalogue())
    assert stored.monthly_salary == 3000 and stored.payout_period == "quarter"
    assert [line.code for line in stored.lines][:2] == ["manual.supervisor", "core.data_updates"]
    again = apply_text(session, HILL + SCHEME)
    assert again.is_empty, again.lines()
    changed = apply_text(
        session, HILL + SCHEME.replace("monthly_salary: 3000", "monthly_salary: 3200")
    )
    assert "~ assessment v2 from 2026-01" in changed.lines()


def test_a_portal_change_is_kept_while_the_file_does_not_change(session):
    apply_text(session, HILL + SCHEME)
    in_hill(session)
    current = session.scalar(select(AssessmentScheme))
    values = {**current.definition, "monthly_salary": 2800.0}
    scheme.set_scheme(
        session,
        None,
        scheme.parse_scheme(values, catalogue()),
        first_month="2026-06",
        source="portal",
        actor_name="县管理员",
    )
    plan = apply_text(session, HILL + SCHEME)
    assert any("assessment" in line and "kept" in line for line in plan.lines()), plan.lines()
    in_hill(session)
    assert len(session.scalars(select(AssessmentScheme)).all()) == 2


def test_a_bad_scheme_is_refused_at_its_line(session):
    text = HILL + SCHEME.replace("core.logs", "core.nosuch")
    with pytest.raises(ManifestError) as caught:
        apply_text(session, text)
    (problem,) = caught.value.problems
    assert problem.path == "assessment.lines[3].code"
    assert problem.line == line_of(text, "core.nosuch")
    assert "core.nosuch" in problem.message
    text = HILL + SCHEME.replace("results: 30", "results: 40")
    with pytest.raises(ManifestError) as caught:
        apply_text(session, text)
    assert caught.value.problems[0].path == "assessment.weights"
    assert "合计应为 100" in caught.value.problems[0].message


def test_a_scheme_without_its_first_month_is_refused_when_read():
    with pytest.raises(ManifestError) as caught:
        parse_manifest(HILL + SCHEME.replace('  first_month: "2026-01"\n', ""), source="bad.yaml")
    assert caught.value.problems[0].path == "assessment.first_month"
