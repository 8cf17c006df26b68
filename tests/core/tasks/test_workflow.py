"""Workflows are data: task types declare states and rules, and the registry keeps them."""

from __future__ import annotations

import dataclasses

import pytest

from gridgov.core.accounts.models import Role
from gridgov.core.tasks.workflow import (
    DEFAULT_TASK_TYPE,
    Effect,
    Reach,
    State,
    TaskType,
    TaskTypeRegistry,
    TransitionRule,
    UnknownTaskType,
    task_types,
)


def fire_hazard_type(name: str = "fire_hazard") -> TaskType:
    return TaskType(
        name=name,
        label="消防隐患",
        categories=("消防隐患",),
        initial="found",
        states=(State("found", "已发现", sla_hours=24), State("fixed", "已整改", is_open=False)),
        transitions=(
            TransitionRule(
                "fix", "整改", ("found",), "fixed", frozenset({Role.GRID_WORKER}), Reach.FILER
            ),
        ),
    )


def test_the_default_cycle_runs_from_report_to_evaluation():
    assert DEFAULT_TASK_TYPE.initial == "reported"
    assert [s.name for s in DEFAULT_TASK_TYPE.states] == [
        "reported",
        "accepted",
        "dispatched",
        "handled",
        "closed",
        "revisited",
        "evaluated",
    ]
    assert set(DEFAULT_TASK_TYPE.actions) >= {
        "accept",
        "dispatch",
        "handle",
        "close",
        "revisit",
        "evaluate",
        "escalate",
        "return",
        "reopen",
        "resolve",
    }


def test_a_plugin_type_is_registered_beside_the_default_one():
    registry = task_types(extra=[fire_hazard_type()])
    assert registry.names() == ["default", "fire_hazard"]
    assert registry.get("fire_hazard").state("found").sla_hours == 24


def test_a_second_type_with_a_taken_name_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        TaskTypeRegistry([fire_hazard_type(), fire_hazard_type()])


def test_a_rule_naming_an_undeclared_state_is_refused():
    with pytest.raises(ValueError, match="undeclared states"):
        TaskType(
            name="broken",
            label="",
            categories=(),
            initial="new",
            states=(State("new", "新"),),
            transitions=(TransitionRule("go", "", ("new",), "gone", frozenset(), Reach.OWNER),),
        )


def test_an_unknown_type_names_the_field():
    with pytest.raises(UnknownTaskType) as refused:
        task_types().get("nope")
    assert refused.value.field == "task_type"


def test_only_steps_marked_as_answers_are_shown_to_the_resident():
    answer = TransitionRule(
        "answer",
        "反馈",
        ("found",),
        "fixed",
        frozenset({Role.STATION_STAFF}),
        Reach.OWNER,
        answers_resident=True,
    )
    task_type = fire_hazard_type()
    answering = dataclasses.replace(task_type, transitions=(*task_type.transitions, answer))
    assert answering.answers_resident("answer")
    assert not answering.answers_resident("fix")
    answering_steps = [
        a for a in DEFAULT_TASK_TYPE.actions if DEFAULT_TASK_TYPE.answers_resident(a)
    ]
    assert answering_steps == ["resolve", "close"]  # 办结/反馈: the steps that close the task


def test_every_type_a_resident_can_report_answers_them_and_takes_their_rating():
    from gridgov_plugins.fire_safety.workflow import REPORT_TYPE

    for task_type in (DEFAULT_TASK_TYPE, REPORT_TYPE):
        assert task_type.public
        assert any(rule.answers_resident for rule in task_type.transitions), task_type.name
        assert any(rule.effect == Effect.RATE for rule in task_type.transitions), task_type.name


def test_a_step_carrying_a_rating_needs_a_rating_step_after_it():
    carrying = TransitionRule(
        "fix",
        "整改",
        ("found",),
        "fixed",
        frozenset({Role.GRID_WORKER}),
        Reach.FILER,
        carries_rating=True,
    )
    with pytest.raises(ValueError, match="carries a rating"):
        dataclasses.replace(fire_hazard_type(), transitions=(carrying,))
    assert DEFAULT_TASK_TYPE.takes_rating("revisit") and DEFAULT_TASK_TYPE.takes_rating("evaluate")
    assert not DEFAULT_TASK_TYPE.takes_rating("close")


def test_a_type_residents_may_report_must_name_the_step_that_answers_them():
    with pytest.raises(ValueError, match="answers_resident"):
        dataclasses.replace(fire_hazard_type(), public=True)
