"""Workflows as data: a task type declares its states, its transitions, who may take each one
(roles + how the actor must stand to the task) and the SLA of each stage.

The core declares its default type here; department modules declare theirs through the
``gridgov_task_types`` hook (names prefixed with the module's name), and
``task_types(extra=...)`` builds the deployment's registry from both, refusing duplicate names
at start-up (Datasette's ``register_*`` pattern). Labels are lazy strings (the core's) or
``Localized`` pairs (a module's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import or_

from gridgov.core.accounts.models import Role
from gridgov.core.errors import DomainError
from gridgov.core.i18n import _

# The first step of every task's log (``reporting``): filed.
REPORT_ACTION = "report"


class Reach(StrEnum):
    """How the actor must stand to the task, on top of having one of the rule's roles."""

    OWNER = "owner"  # the level the task waits on is the actor's node or below it
    ASSIGNEE = "assignee"  # the task was dispatched to the actor (role at the node, department)
    FILER = "filer"  # the grid the task was filed under is in the actor's scope


class Effect(StrEnum):
    """What a transition does besides changing the state (carried out by the service)."""

    NONE = "none"
    TAKE_OVER = "take_over"  # accepted: it waits on the accepting level from now on
    ESCALATE = "escalate"  # the task goes to the level above
    DISPATCH = "dispatch"  # to a node + role, or to a department
    BACK_TO_DISPATCHER = "back_to_dispatcher"  # returned or handled: back to who dispatched it
    RATE = "rate"  # the resident's rating is recorded


@dataclass(frozen=True)
class State:
    """One state; ``sla_hours`` is the stage's limit in working hours (None: no clock)."""

    name: str
    label: Any
    is_open: bool = True
    sla_hours: float | None = None


@dataclass(frozen=True)
class TransitionRule:
    """``action`` takes a task from one of ``sources`` to ``target``; the actor needs one of
    ``roles`` and the ``reach``; ``tracks`` limits it to some tracks (None: all); ``guard`` is
    a further condition on the task.

    Markers for the resident's side of the cycle: ``answers_resident`` — the step's comment is
    the answer to the resident, shown on the public tracking page (办结/反馈; nothing else of
    the log is); ``carries_rating`` — the step may carry the resident's rating heard at it
    (回访 by phone): given, the type's rating step (``Effect.RATE``) follows in the same call;
    ``taken_on_unsatisfied`` — the system takes this step itself after a 不满意 rating, where
    the county's ``settings["reopen_on_unsatisfied"]`` is on.

    The waiting lists (``waiting_on``) are built from the same rules in SQL: ``waits_when`` is
    a condition on the ``Task`` class (``lambda t: t.category == "重大火灾隐患"``) under which
    a task in one of ``sources`` waits for the step — the guard's SQL form, or narrower; a
    guarded rule without it puts no task on a waiting list, though it may still be taken.
    ``waits`` False marks a step the actors may take but nothing waits for (重新办理 of a closed
    task, a step the module takes by itself)."""

    action: str
    label: Any
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    reach: Reach
    effect: Effect = Effect.NONE
    tracks: frozenset[str] | None = None
    needs_comment: bool = False
    guard: Callable[[Any], bool] | None = None
    answers_resident: bool = False
    carries_rating: bool = False
    taken_on_unsatisfied: bool = False
    waits_when: Callable[[Any], Any] | None = None
    waits: bool = True

    @property
    def takes_rating(self) -> bool:
        """Whether the step records a rating: the rating step, or one carrying it."""
        return self.effect == Effect.RATE or self.carries_rating

    def applies_to(self, task: Any) -> bool:
        """Whether the task's state, track and the guard let this rule be used at all."""
        return (
            task.state in self.sources
            and (self.tracks is None or task.track in self.tracks)
            and (self.guard is None or self.guard(task))
        )


@dataclass(frozen=True)
class TaskType:
    """A kind of task and its workflow. ``initial`` is the state a report creates; ``public``
    types may also be reported by residents through the public channel. ``readers`` are the
    roles that read its tasks in their scope (None: every role; a department officer reads a
    module's tasks when the county admitted the module for their department, and any task
    dispatched to their department)."""

    name: str
    label: Any
    categories: tuple[str, ...]
    states: tuple[State, ...]
    initial: str
    transitions: tuple[TransitionRule, ...]
    # The yellow card comes when this share of the stage's working time has passed.
    yellow_fraction: float = 0.8
    public: bool = False
    readers: frozenset[str] | None = None
    _by_name: dict[str, State] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {state.name: state for state in self.states}
        if len(by_name) != len(self.states):
            raise ValueError(f"task type {self.name}: duplicate state names")
        named = {self.initial}
        for rule in self.transitions:
            named.update(rule.sources)
            named.add(rule.target)
        unknown = named - by_name.keys()
        if unknown:
            raise ValueError(f"task type {self.name}: undeclared states {sorted(unknown)}")
        if self.public and not any(rule.answers_resident for rule in self.transitions):
            # A resident who reported must hear back: the type names the step that answers.
            raise ValueError(
                f"task type {self.name}: residents may report it but no step answers_resident"
            )
        rated_from = {s for r in self.transitions if r.effect == Effect.RATE for s in r.sources}
        for rule in self.transitions:
            if rule.carries_rating and rule.target not in rated_from:
                raise ValueError(
                    f"task type {self.name}: {rule.action!r} carries a rating but no rating"
                    f" step starts from {rule.target!r}"
                )
        object.__setattr__(self, "_by_name", by_name)

    @property
    def module(self) -> str | None:
        """The department module that declared this type (None: the core's)."""
        return self.name.split(".", 1)[0] if "." in self.name else None

    def state(self, name: str) -> State:
        return self._by_name[name]

    def rules(self, action: str) -> list[TransitionRule]:
        return [rule for rule in self.transitions if rule.action == action]

    def action_label(self, action: str) -> Any:
        """How a step of the log reads to a person: the label of its rule, 上报 for the report
        itself; a step of a rule since removed keeps its code (nothing else names it)."""
        if action == REPORT_ACTION:
            return _("上报")
        return next((rule.label for rule in self.transitions if rule.action == action), action)

    @property
    def actions(self) -> list[str]:
        return list(dict.fromkeys(rule.action for rule in self.transitions))

    def answers_resident(self, action: str) -> bool:
        """Whether the comment of an ``action`` step is meant for the resident who reported."""
        return any(rule.answers_resident for rule in self.rules(action))

    def takes_rating(self, action: str) -> bool:
        """Whether an ``action`` step records a rating (the rating step, or one carrying it)."""
        return any(rule.takes_rating for rule in self.rules(action))

    def rating_rule(self, task: Any) -> TransitionRule | None:
        """The rating step (``Effect.RATE``) the task can take now, or None."""
        return next(
            (r for r in self.transitions if r.effect == Effect.RATE and r.applies_to(task)), None
        )


class UnknownTaskType(DomainError):
    pass


class TaskTypeRegistry:
    """The task types of a deployment, by name; a second type with a taken name is refused."""

    def __init__(self, types: Iterable[TaskType]) -> None:
        self._types: dict[str, TaskType] = {}
        for task_type in types:
            if task_type.name in self._types:
                raise ValueError(f"task type {task_type.name!r} is registered twice")
            self._types[task_type.name] = task_type

    def get(self, name: str) -> TaskType:
        try:
            return self._types[name]
        except KeyError:
            raise UnknownTaskType(_("未知的事件类型：%(t)s", t=name), field="task_type") from None

    def names(self) -> list[str]:
        return list(self._types)

    def public_types(self) -> list[TaskType]:
        """The types residents may report through the public channel."""
        return [t for t in self._types.values() if t.public]

    def __iter__(self) -> Any:
        return iter(self._types.values())


# --- the default cycle (DOMAIN.md "The task cycle") -------------------------------------------

DEFAULT_TYPE = "default"

# 民生事项, 社情民意 … as the seeds report them; a county adds its own in tenant.settings.
DEFAULT_CATEGORIES = (
    "民生事项",
    "社情民意",
    "特殊人群服务",
    "矛盾纠纷",
    "突发事项",
    "治安防控",
)

STAFF_ABOVE_GRID = frozenset({Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN})
ASSIGNEES = frozenset(
    {Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.GRID_WORKER, Role.DEPARTMENT_OFFICER}
)
REVISITORS = STAFF_ABOVE_GRID | {Role.GRID_WORKER, Role.SUPERVISOR}


def is_unsatisfied(task: Any) -> bool:
    return task.rating == "unsatisfied"


def unsatisfied(task_table: Any) -> Any:
    return task_table.rating == "unsatisfied"


def sent_up_unless_general(task_table: Any) -> Any:
    """一般性: the grid worker handles a general task on the spot; it waits on the level
    above only once they sent it up."""
    return or_(task_table.track != "general", task_table.current_node_id != task_table.node_id)


def is_at_department(task: Any) -> bool:
    return task.department_id is not None


def at_department(task_table: Any) -> Any:
    return task_table.department_id.is_not(None)


DEFAULT_TASK_TYPE = TaskType(
    name=DEFAULT_TYPE,
    label=_("通用事件"),
    categories=DEFAULT_CATEGORIES,
    public=True,
    initial="reported",
    states=(
        State("reported", _("已上报"), sla_hours=4),
        State("accepted", _("已受理"), sla_hours=8),
        State("dispatched", _("已交办"), sla_hours=40),
        State("handled", _("已处置"), sla_hours=8),
        State("closed", _("已办结"), is_open=False),
        State("revisited", _("已回访"), is_open=False),
        State("evaluated", _("已评价"), is_open=False),
    ),
    transitions=(
        TransitionRule(
            "accept",
            _("受理"),
            ("reported",),
            "accepted",
            STAFF_ABOVE_GRID,
            Reach.OWNER,
            effect=Effect.TAKE_OVER,
            waits_when=sent_up_unless_general,
        ),
        TransitionRule(
            "escalate",
            _("报上一级"),
            ("reported", "accepted"),
            "reported",
            STAFF_ABOVE_GRID | {Role.GRID_WORKER},
            Reach.OWNER,
            effect=Effect.ESCALATE,
            needs_comment=True,
        ),
        TransitionRule(
            "dispatch",
            _("交办"),
            ("accepted",),
            "dispatched",
            STAFF_ABOVE_GRID,
            Reach.OWNER,
            effect=Effect.DISPATCH,
        ),
        TransitionRule(
            "return",
            _("退回"),
            ("dispatched",),
            "accepted",
            ASSIGNEES,
            Reach.ASSIGNEE,
            effect=Effect.BACK_TO_DISPATCHER,
            needs_comment=True,
        ),
        # 报上一级: a department that cannot solve what it was given sends it to the level
        # above the one that dispatched it.
        TransitionRule(
            "escalate",
            _("报上一级"),
            ("dispatched",),
            "reported",
            frozenset({Role.DEPARTMENT_OFFICER}),
            Reach.ASSIGNEE,
            effect=Effect.ESCALATE,
            needs_comment=True,
            guard=is_at_department,
            waits_when=at_department,
        ),
        TransitionRule(
            "handle",
            _("处置"),
            ("dispatched",),
            "handled",
            ASSIGNEES,
            Reach.ASSIGNEE,
            effect=Effect.BACK_TO_DISPATCHER,
            needs_comment=True,
        ),
        TransitionRule(
            "handle",
            _("处置"),
            ("accepted",),
            "handled",
            STAFF_ABOVE_GRID,
            Reach.OWNER,
            needs_comment=True,
        ),
        # 一般性: the grid worker handles it on the spot and registers it, in one step.
        TransitionRule(
            "resolve",
            _("现场处置并办结"),
            ("reported",),
            "closed",
            frozenset({Role.GRID_WORKER}),
            Reach.FILER,
            tracks=frozenset({"general"}),
            needs_comment=True,
            answers_resident=True,
        ),
        # 办结/反馈: what the closing level writes is the resident's answer.
        TransitionRule(
            "close",
            _("办结"),
            ("handled",),
            "closed",
            STAFF_ABOVE_GRID,
            Reach.OWNER,
            answers_resident=True,
        ),
        TransitionRule(
            "revisit",
            _("回访"),
            ("closed",),
            "revisited",
            REVISITORS,
            Reach.FILER,
            needs_comment=True,
            carries_rating=True,
        ),
        TransitionRule(
            "evaluate",
            _("评价"),
            ("closed", "revisited"),
            "evaluated",
            REVISITORS,
            Reach.FILER,
            effect=Effect.RATE,
        ),
        TransitionRule(
            "reopen",
            _("重新办理"),
            ("closed", "revisited"),
            "accepted",
            STAFF_ABOVE_GRID,
            Reach.OWNER,
            needs_comment=True,
            waits=False,  # may be reopened, but a closed task waits on no one for it
        ),
        # 不满意: the resident's rating can send the task back (by itself where the county says).
        TransitionRule(
            "reopen",
            _("重新办理"),
            ("evaluated",),
            "accepted",
            STAFF_ABOVE_GRID,
            Reach.OWNER,
            needs_comment=True,
            guard=is_unsatisfied,
            taken_on_unsatisfied=True,
            waits_when=unsatisfied,
        ),
    ),
)


def task_types(extra: Iterable[TaskType] = ()) -> TaskTypeRegistry:
    """The core's task types plus ``extra`` (what plugins contribute through their hook)."""
    return TaskTypeRegistry((DEFAULT_TASK_TYPE, *extra))
