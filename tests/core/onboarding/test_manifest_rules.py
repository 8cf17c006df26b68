"""The manifest's ``task_rules`` and ``work_calendar``: applied through the services, checked
with the line of every problem, idempotent, and left alone when the file says nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridgov.core.onboarding.manifest import ManifestError, apply_manifest, parse_manifest
from gridgov.core.tasks import calendar, rules
from gridgov.core.tasks.models import CalendarDay, TaskRuleVersion
from tests.core.onboarding.test_manifest import HILL, in_hill, line_of

RULES = """\
task_rules:
  - {level: 网格, state: reported, hours: 2}
  - {category: 突发事项, escalate: true, escalate_to: 乡镇, red_points: 2}
work_calendar:
  - {day: 2026-07-11, workday: false, note: 那达慕}
  - {day: "2026-10-10", workday: true, note: 调休上班}
"""


def apply_text(session, text: str, **kwargs):
    return apply_manifest(session, parse_manifest(text, source="hill.yaml"), **kwargs)


def test_the_manifest_sets_the_rule_table_and_the_calendar(session):
    plan = apply_text(session, HILL + RULES)
    in_hill(session)
    version = rules.current_version(session)
    assert (version.number, version.source, version.created_by_name) == (
        1,
        "manifest",
        "清单 hill.yaml",
    )
    found = [rules.RuleSpec.of(r) for r in rules.rules_of(session, version)]
    assert found == [
        rules.RuleSpec(level=3, state="reported", hours=2),
        rules.RuleSpec(category="突发事项", escalate=True, escalate_to_level=1, red_points=2),
    ]
    days = {(d.day, d.is_workday, d.note) for d in calendar.calendar_days(session)}
    assert days == {
        (dt.date(2026, 7, 11), False, "那达慕"),
        (dt.date(2026, 10, 10), True, "调休上班"),
    }
    assert "~ task_rules v1 2 rules" in plan.lines()


def test_applying_the_same_rules_again_changes_nothing(session):
    apply_text(session, HILL + RULES)
    again = apply_text(session, HILL + RULES)
    assert again.is_empty, again.lines()
    in_hill(session)
    assert len(session.scalars(select(TaskRuleVersion)).all()) == 1


def test_changed_rules_are_a_new_version_and_a_file_without_them_keeps_the_table(session):
    apply_text(session, HILL + RULES)
    apply_text(session, HILL + RULES.replace("hours: 2", "hours: 3"))
    apply_text(session, HILL)
    in_hill(session)
    version = rules.current_version(session)
    assert version.number == 2
    assert rules.rules_of(session, version)[0].hours == 3
    assert len(calendar.calendar_days(session)) == 2


def test_calendar_days_left_out_are_kept_unless_pruned(session):
    apply_text(session, HILL + RULES)
    shorter = RULES.replace('  - {day: "2026-10-10", workday: true, note: 调休上班}\n', "")
    plan = apply_text(session, HILL + shorter)
    # The file listed it before: dropping it is a removal, carried out only with --prune.
    assert "- calendar 2026-10-10 removed (no longer in the manifest)" in plan.lines()
    in_hill(session)
    assert len(session.scalars(select(CalendarDay)).all()) == 2
    apply_text(session, HILL + shorter, prune=True)
    in_hill(session)
    assert [d.day for d in session.scalars(select(CalendarDay))] == [dt.date(2026, 7, 11)]


def test_a_rule_the_county_cannot_have_is_refused_at_its_line(session):
    text = HILL + RULES.replace("category: 突发事项", "category: 不存在")
    with pytest.raises(ManifestError) as caught:
        apply_text(session, text)
    (problem,) = caught.value.problems
    assert problem.path == "task_rules[1].category"
    assert problem.line == line_of(text, "category: 不存在")
    assert "未知的事件类别" in problem.message


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        (("level: 网格", "level: 小区"), "task_rules[0].level", "未知的层级"),
        (("hours: 2", "hours: 两小时"), "task_rules[0].hours", "应为数字"),
        (("hours: 2", "hourz: 2"), "task_rules[0].hourz", "未知的键"),
        (("day: 2026-07-11", 'day: "7月11日"'), "work_calendar[0].day", "日期格式"),
        (("workday: false", "workday: 否"), "work_calendar[0].workday", "true 或 false"),
    ],
)
def test_a_bad_rule_or_day_is_refused_with_line_and_reason(change, path, reason):
    text = HILL + RULES.replace(*change)
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text, source="bad.yaml")
    matching = [p for p in caught.value.problems if p.path == path and reason in p.message]
    assert matching, caught.value.lines()
    assert matching[0].line == line_of(text, change[1])


def test_an_impossible_date_is_refused_not_a_crash():
    with pytest.raises(ManifestError) as caught:
        parse_manifest(HILL + RULES.replace("2026-07-11", "2026-07-32"), source="bad.yaml")
    assert "无效的日期" in caught.value.problems[0].message


def test_the_old_escalation_setting_points_to_the_rule_table():
    text = HILL.replace("  map: {zoom: 13}\n", "  map: {zoom: 13}\n  escalate_red_tasks: true\n")
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text, source="bad.yaml")
    assert any("task_rules" in p.message for p in caught.value.problems)


def test_a_re_apply_keeps_the_rule_table_and_a_day_the_portal_changed(session):
    apply_text(session, HILL + RULES)
    in_hill(session)
    tenant = rules.current_version(session).tenant_id
    from gridgov.core.tasks import reading
    from gridgov.core.tenancy.models import Tenant

    county = session.get(Tenant, tenant)
    portal_table = [rules.RuleSpec(level=3, state="reported", hours=4)]
    rules.replace_rules(session, None, county, reading.registry(), portal_table, source="portal")
    calendar.set_calendar_day(session, None, dt.date(2026, 7, 11), is_workday=True, note="改期")
    plan = apply_text(session, HILL + RULES)
    in_hill(session)
    version = rules.current_version(session)
    assert [rules.RuleSpec.of(r) for r in rules.rules_of(session, version)] == portal_table
    nadam = session.scalar(select(CalendarDay).where(CalendarDay.day == dt.date(2026, 7, 11)))
    assert (nadam.is_workday, nadam.note) == (True, "改期")
    kept = "\n".join(plan.lines())
    assert "task_rules" in kept and "kept: changed in the portal" in kept
    # The file's own change wins over the portal's.
    apply_text(session, HILL + RULES.replace("hours: 2", "hours: 5"))
    in_hill(session)
    version = rules.current_version(session)
    assert rules.rules_of(session, version)[0].hours == 5
