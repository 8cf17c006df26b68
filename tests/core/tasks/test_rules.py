"""The county's own rule table with a frozen clock: which rule wins (task type > category >
level > default), versions, card thresholds, escalation, card points, and the task's deadline
as part of its stages' clocks."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from gridgov.core.errors import DomainError, Forbidden
from gridgov.core.tasks import cards, deadlines, reading, rules
from gridgov.core.tasks.models import TaskRuleVersion
from gridgov.core.tasks.rules import RuleSpec
from gridgov.core.tasks.workflow import State, TaskType
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, zone_named

COUNTY_ZONE = zone_named(DEFAULT_TIME_ZONE)  # the test counties' zone
MONDAY_9 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=COUNTY_ZONE)


def at(hours: float) -> dt.datetime:
    """``hours`` working hours after Monday 09:00 (09:00–17:00, a week without holidays)."""
    days, rest = divmod(hours, 8)
    if days and not rest:  # the end of a working day, not the start of the next one
        days, rest = days - 1, 8
    return MONDAY_9 + dt.timedelta(days=days, hours=rest)


def set_rules(session, county, *specs: RuleSpec, actor=None, note: str = ""):
    return rules.replace_rules(
        session,
        actor or county.admin,
        county.tenant,
        reading.registry(),
        list(specs),
        source="api",
        note=note,
    )


GRID = 3  # build_county: 县 0 → 镇 1 → 社区 2 → 网格 3


def test_the_most_specific_rule_wins_task_type_then_category_then_level_then_default(
    session, county, report
):
    with time_machine.travel(MONDAY_9, tick=False):
        assert report().due_at == at(4)  # the engine's default: 上报 within 4 working hours
        level = RuleSpec(level=GRID, state="reported", hours=2)
        set_rules(session, county, level)
        assert report().due_at == at(2)
        category = RuleSpec(category="民生事项", state="reported", hours=6)
        set_rules(session, county, level, category)
        assert report().due_at == at(6)
        assert report(category="社情民意").due_at == at(2)  # the level's rule still holds there
        task_type = RuleSpec(task_type="default", state="reported", hours=12)
        set_rules(session, county, level, category, task_type)
        assert report().due_at == at(12)


def test_each_setting_falls_through_to_the_next_rule_that_says_something(session, county, report):
    set_rules(
        session,
        county,
        RuleSpec(level=GRID, state="reported", hours=5),
        RuleSpec(category="民生事项", yellow_percent=50),
    )
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
    # The category's rule sets the yellow card only: the level's limit stays.
    assert (task.due_at, task.yellow_at, task.red_at) == (at(5), at(2.5), at(5))


def test_a_yellow_share_from_one_rule_past_the_red_of_another_is_yellow_at_red(
    session, county, report
):
    set_rules(
        session,
        county,
        RuleSpec(level=GRID, state="reported", hours=10, red_percent=60),
        RuleSpec(category="民生事项", yellow_percent=90),
    )
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
    # Yellow would come at 9 working hours, after red at 6: it comes with red. The sweep, which
    # looks for both colours among the tasks past yellow, gives the red card at 6.
    assert (task.yellow_at, task.red_at, task.due_at) == (at(6), at(6), at(10))
    assert cards.sweep_cards(session, at(5.9)) == cards.SweepResult(yellow=0, red=0)
    assert cards.sweep_cards(session, at(6)) == cards.SweepResult(yellow=0, red=1)


def test_a_rule_for_the_stage_beats_one_for_every_stage_at_the_same_precedence(
    session, county, report
):
    set_rules(
        session,
        county,
        RuleSpec(category="民生事项", yellow_percent=50),
        RuleSpec(category="民生事项", state="reported", yellow_percent=25),
    )
    with time_machine.travel(MONDAY_9, tick=False):
        assert report().yellow_at == at(1)


def test_a_stage_keeps_the_rules_in_force_when_it_started(session, county, report, act):
    first = set_rules(session, county, RuleSpec(state="reported", hours=2))
    with time_machine.travel(MONDAY_9, tick=False):
        old = report()
    second = set_rules(session, county, RuleSpec(state="reported", hours=6))
    with time_machine.travel(MONDAY_9, tick=False):
        new = report()
    assert (old.due_at, old.rule_version_id) == (at(2), first.id)
    assert (new.due_at, new.rule_version_id) == (at(6), second.id)
    # The old task's next stage starts under the rules in force then.
    set_rules(session, county, RuleSpec(state="accepted", hours=1))
    with time_machine.travel(MONDAY_9, tick=False):
        old = act(county.station_staff, old, "accept")
    assert old.due_at == at(1)


def test_the_sweep_cards_by_the_rules_thresholds(session, county, report):
    # 超时黄牌、严重超时红牌: yellow at the limit, red at twice the limit.
    set_rules(session, county, RuleSpec(yellow_percent=100, red_percent=200))
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
    assert (task.due_at, task.red_at) == (at(4), at(8))
    assert cards.sweep_cards(session, at(3.9)) == cards.SweepResult(yellow=0, red=0)
    assert cards.sweep_cards(session, at(4)) == cards.SweepResult(yellow=1, red=0)
    assert cards.sweep_cards(session, at(7.9)) == cards.SweepResult(yellow=0, red=0)
    assert cards.sweep_cards(session, at(8)) == cards.SweepResult(yellow=0, red=1)


def test_red_tasks_go_up_only_where_the_rules_say_so(session, county, report):
    set_rules(session, county, RuleSpec(category="突发事项", escalate=True))
    with time_machine.travel(MONDAY_9, tick=False):
        urgent = report(category="突发事项")
        other = report()
    with time_machine.travel(at(5), tick=False):
        assert cards.sweep_cards(session, at(5)).escalated == 1
    session.expire_all()
    assert urgent.current_node_id == county.communities[0].id
    assert other.current_node_id == county.grids[0].id


def test_a_rule_can_send_a_red_task_straight_to_a_higher_level(session, county, report):
    set_rules(session, county, RuleSpec(level=GRID, escalate=True, escalate_to_level=1))
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
    with time_machine.travel(at(5), tick=False):
        assert cards.sweep_cards(session, at(5)).escalated == 1
    session.expire_all()
    assert task.current_node_id == county.townships[0].id
    step = reading.history(session, task)[-1]
    assert (step.action, step.actor_name) == ("escalate", "系统")
    assert county.townships[0].name in step.comment


def test_a_card_keeps_the_rule_version_and_its_points(session, county, report):
    version = set_rules(session, county, RuleSpec(category="民生事项", red_points=2))
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
        engine = report(category="社情民意")
    set_rules(session, county, RuleSpec(category="民生事项", red_points=5))
    cards.sweep_cards(session, at(5))
    (card,) = [c for c in reading.cards(session, task) if c.color == "red"]
    assert card.rule_version_id == version.id
    default_type = reading.registry().get("default")
    assert rules.card_points(session, card, default_type, task.category) == 2
    (other,) = [c for c in reading.cards(session, engine) if c.color == "red"]
    assert rules.card_points(session, other, default_type, engine.category) == 1  # engine's


def test_each_change_is_a_new_version_with_who_and_when(session, county):
    with time_machine.travel(MONDAY_9, tick=False):
        first = set_rules(session, county, RuleSpec(state="reported", hours=2), note="试行")
    second = set_rules(session, county, RuleSpec(state="reported", hours=3))
    again = set_rules(session, county, RuleSpec(state="reported", hours=3))
    assert (first.number, second.number) == (1, 2)
    assert again.id == second.id  # the same table again is no change
    assert (first.created_by_id, first.created_by_name, first.note) == (
        county.admin.id,
        county.admin.name,
        "试行",
    )
    assert first.created_at == MONDAY_9
    history = session.scalars(rules.versions(session)).all()
    assert [v.number for v in history] == [2, 1]
    assert [r.hours for r in rules.rules_of(session, rules.get_version(session, 1))] == [2]


def test_only_county_administrators_change_the_rules(session, county):
    with pytest.raises(Forbidden):
        set_rules(session, county, RuleSpec(escalate=True), actor=county.township_staff)
    assert session.scalar(select(TaskRuleVersion)) is None


def test_a_bad_rule_table_is_refused_row_by_row(session, county):
    with pytest.raises(rules.RulesRefused) as refused:
        set_rules(
            session,
            county,
            RuleSpec(state="reported", hours=2),
            RuleSpec(category="不存在的类别", hours=3),
            RuleSpec(state="reported", hours=4),
            RuleSpec(level=GRID),
            RuleSpec(level=1, escalate_to_level=2),
        )
    assert refused.value.problems == {
        1: {"category": "未知的事件类别：不存在的类别", "state": "办理时限须指定环节"},
        2: {"task_type": "与第 1 行的适用范围相同"},
        3: {"hours": "这一行什么也没有规定：请至少填写一项"},
        4: {"escalate_to_level": "只能上报到比本级更高的一级"},
    }
    assert refused.value.field_errors()["rules"]["1"]["state"] == ["办理时限须指定环节"]


# --- the task's deadline -------------------------------------------------------------------


def test_a_deadline_in_the_past_is_refused_on_report(report):
    with time_machine.travel(MONDAY_9, tick=False), pytest.raises(DomainError) as refused:
        report(deadline=MONDAY_9 - dt.timedelta(minutes=1))
    assert refused.value.field == "deadline"


def test_a_late_entry_keeps_its_past_deadline_and_is_red_at_the_next_sweep(session, report):
    # A module's inspection typed in a week later, its rectification deadline already past.
    with time_machine.travel(MONDAY_9, tick=False):
        task = report(deadline=MONDAY_9 - dt.timedelta(days=1), late_entry=True)
    assert task.due_at == task.red_at == MONDAY_9 - dt.timedelta(days=1)
    assert cards.sweep_cards(session, MONDAY_9) == cards.SweepResult(yellow=0, red=1)


def test_a_deadline_before_the_stages_limit_is_its_due_time_and_red_card(session, report):
    with time_machine.travel(MONDAY_9, tick=False):
        task = report(deadline=at(2))  # the stage alone would be due at 13:00
    assert (task.due_at, task.red_at, task.yellow_at) == (at(2), at(2), at(1.6))
    assert cards.sweep_cards(session, at(2)) == cards.SweepResult(yellow=0, red=1)


def test_a_later_deadline_leaves_the_stages_limit_alone(report):
    with time_machine.travel(MONDAY_9, tick=False):
        task = report(deadline=at(40))
    assert (task.due_at, task.red_at) == (at(4), at(4))


def test_a_deadline_gives_a_stage_without_a_limit_a_clock_of_its_own(session, county, report):
    # A stage the type gives no clock (fire safety's 整改中, say) still runs to the deadline.
    unclocked = TaskType(
        name="default",
        label="无时限",
        categories=("民生事项",),
        states=(State("reported", "待办"),),
        initial="reported",
        transitions=(),
    )
    with time_machine.travel(MONDAY_9, tick=False):
        task = report(deadline=at(2))
    deadlines.start_stage(session, county.tenant, unclocked, task, county.grids[0], MONDAY_9)
    assert (task.due_at, task.red_at, task.yellow_at) == (at(2), at(2), at(1.6))
    session.flush()
    assert cards.sweep_cards(session, at(2)).red == 1


def test_a_stage_started_after_the_deadline_is_red_at_the_next_sweep(session, county, report, act):
    with time_machine.travel(MONDAY_9, tick=False):
        task = report(deadline=at(1))
    cards.sweep_cards(session, at(1))
    with time_machine.travel(at(2), tick=False):
        task = act(county.station_staff, task, "accept")
    assert task.card == "none" and task.red_at == at(1)
    assert cards.sweep_cards(session, at(2)).red == 1
    session.expire_all()
    assert [c.color for c in reading.cards(session, task)] == ["red", "red"]
