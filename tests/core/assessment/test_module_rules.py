"""A module's scoring rule counts only where and while the county admitted the module: not
before the review meeting approved it, not for workers outside a pilot's townships, not in a
month it was suspended throughout; and its ScoringResult explains the line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridgov.core import runtime
from gridgov.core.admission import service as admission
from gridgov.core.assessment.models import AssessmentSheet, LineStatus
from gridgov.core.assessment.run import score_month
from gridgov.core.db import pinned_clock
from gridgov.core.plugins.hookspecs import ModuleInfo, ScoringResult, ScoringRule, hookimpl
from gridgov.core.plugins.manager import get_plugin_host
from tests.core.admission.factories import ITEMS, add_department
from tests.core.assessment.conftest import MONTH, local


class Sanitation:
    """A module with one scoring rule: 3 of its 4 points to everyone, with evidence."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    @hookimpl
    def gridgov_module_info(self):
        return ModuleInfo(name="sanitation", title="环境卫生", department="城管", version="0")

    @hookimpl
    def gridgov_scoring_rules(self):
        return [
            ScoringRule(
                "sanitation.checks",
                "卫生检查",
                "Sanitation checks",
                4,
                self.compute,
                category="diligence",
            )
        ]

    def compute(self, context):
        self.asked.append(context.user_id)
        return ScoringResult(3, "检查 3 次", "3 checks", {"inspection": [7, 8]})


@pytest.fixture
def module(session, use_plugins):
    found = Sanitation()
    use_plugins(get_plugin_host(load_entrypoints=False, plugins=(found,)))
    return found


def lines(session, worker, month=MONTH):
    sheet = session.scalar(
        select(AssessmentSheet).where(
            AssessmentSheet.month == month, AssessmentSheet.user_id == worker.id
        )
    )
    return {line.code: line for line in sheet.lines}


def admit(session, county, *, at, pilot=()):
    department, officer = add_department(session, county)
    with pinned_clock(at):
        applied = admission.apply_for_module(
            session,
            officer,
            runtime.current().plugins,
            department=department,
            module="sanitation",
            items=ITEMS,
        )
        admission.approve_admission(
            session,
            county.admin,
            applied,
            meeting_date=at.date(),
            minutes="同意",
            pilot_nodes=pilot,
        )
    return applied


def test_a_module_rule_counts_only_in_the_pilot_townships(session, county, module):
    admit(session, county, at=local(10), pilot=(county.townships[0],))
    score_month(session, MONTH)
    inside, outside = county.workers[0], county.workers[-1]  # township 0, township 1
    line = lines(session, inside)["sanitation.checks"]
    assert line.status == LineStatus.SCORED
    assert line.points == 3.0 and line.max_points == 4  # the scheme's points: the rule's own
    assert line.detail == "检查 3 次" and line.evidence == {"inspection": [7, 8]}
    assert line.category == "diligence"
    out = lines(session, outside)["sanitation.checks"]
    assert out.status == LineStatus.NOT_APPLICABLE and out.points is None
    assert outside.id not in module.asked


def test_a_module_rule_does_not_count_before_it_was_admitted(session, county, module):
    admit(session, county, at=local(1, month=12))  # approved in December
    score_month(session, MONTH)
    assert (
        lines(session, county.workers[0])["sanitation.checks"].status == LineStatus.NOT_APPLICABLE
    )
    assert module.asked == []


def test_a_module_suspended_before_the_month_does_not_count(session, county, module):
    applied = admit(session, county, at=local(10, month=10))
    with pinned_clock(local(20, month=10)):
        admission.suspend_admission(session, county.admin, applied, reason="整改")
    score_month(session, MONTH)
    assert (
        lines(session, county.workers[0])["sanitation.checks"].status == LineStatus.NOT_APPLICABLE
    )
    # October: live from the 10th to the 20th, so it counts.
    score_month(session, "2026-10")
    assert lines(session, county.workers[0], "2026-10")["sanitation.checks"].points == 3.0


def test_a_module_suspended_during_the_month_counts_for_that_month(session, county, module):
    applied = admit(session, county, at=local(10, month=10))
    with pinned_clock(local(5)):
        admission.suspend_admission(session, county.admin, applied, reason="整改")
    score_month(session, MONTH)
    assert lines(session, county.workers[0])["sanitation.checks"].points == 3.0
