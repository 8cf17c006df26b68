"""The county's own rule table (规则表): per task type, category, level and stage, the stage's
time limit, the yellow and red card thresholds, whether a red task goes up by itself and to
which level, and the points a card deducts in the monthly assessment.

Where a rule applies is given by its keys (task type, category, level, stage), each None
meaning "any". For every setting on its own the most specific rule that says something wins:
a rule naming the task type beats one naming the category, which beats one naming the level,
which beats the engine's defaults (task type > category > level > default); at the same
precedence a rule for one stage beats one for every stage. What no rule says comes from the
engine: the task type's stage limits (``State.sla_hours``), its ``yellow_fraction``, red at
the limit, no escalation, and ``DEFAULT_YELLOW_POINTS`` / ``DEFAULT_RED_POINTS``.

The table is versioned: a change stores a whole new version (who, when, why); a task's stage
keeps the version in force when it started (``Task.rule_version_id``), and so does each card.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.audit import service as audit
from gridgov.core.audit.service import Actor
from gridgov.core.errors import DomainError, Forbidden, NotFound
from gridgov.core.i18n import _
from gridgov.core.tasks.models import TaskCard, TaskRule, TaskRuleVersion
from gridgov.core.tasks.workflow import TaskType, TaskTypeRegistry
from gridgov.core.tenancy import county_cache
from gridgov.core.tenancy.models import Tenant

# Points a card deducts in the monthly assessment where a county says nothing (每张黄牌扣 0.5
# 分、红牌扣 1 分, the common rule of the seeds' counties).
DEFAULT_YELLOW_POINTS = 0.5
DEFAULT_RED_POINTS = 1.0
DEFAULT_RED_PERCENT = 100  # the red card comes when the stage's limit has passed
MAX_RULES = 500
MAX_HOURS = 10000
SOURCES = ("portal", "api", "manifest", "migration")

KEYS = ("task_type", "category", "level", "state")
SETTINGS = (
    "hours",
    "yellow_percent",
    "red_percent",
    "escalate",
    "escalate_to_level",
    "yellow_points",
    "red_points",
)

DECIMALS = ("hours", "yellow_points", "red_points")  # stored with two decimals


@dataclass(frozen=True)
class RuleSpec:
    """One rule as a county writes it (manifest, API, portal), before it is checked."""

    task_type: str | None = None
    category: str | None = None
    level: int | None = None
    state: str | None = None
    hours: float | None = None
    yellow_percent: int | None = None
    red_percent: int | None = None
    escalate: bool | None = None
    escalate_to_level: int | None = None
    yellow_points: float | None = None
    red_points: float | None = None

    @property
    def key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in KEYS)

    @classmethod
    def of(cls, rule: TaskRule) -> RuleSpec:
        values = {f.name: getattr(rule, f.name) for f in fields(cls)}
        for name in DECIMALS:  # SQLite gives a whole number back as an int
            if values[name] is not None:
                values[name] = float(values[name])
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class StageRule:
    """The settings that hold for one stage of one task: the county's where it set them, the
    engine's elsewhere. ``version_id`` is the table version they come from (None: no table)."""

    hours: float | None
    yellow_percent: int
    red_percent: int
    escalate: bool
    escalate_to_level: int | None
    yellow_points: float
    red_points: float
    version_id: int | None = None


class RulesRefused(DomainError):
    """The rule table was refused; ``problems`` maps a row (0-based) to field → message."""

    def __init__(self, problems: dict[int, dict[str, str]]) -> None:
        first = next(iter(problems))
        super().__init__(
            _(
                "规则表第 %(row)d 行有误：%(message)s",
                row=first + 1,
                message=next(iter(problems[first].values())),
            ),
            field="rules",
        )
        self.problems = problems

    def field_errors(self) -> dict[str, Any]:
        return {
            "rules": {
                str(row): {name: [message] for name, message in found.items()}
                for row, found in self.problems.items()
            }
        }


# --- reading ---------------------------------------------------------------------------------


class RuleTable:
    """One version of a county's rules (or none), resolving the settings of a stage."""

    def __init__(self, version_id: int | None, rules: Iterable[TaskRule | RuleSpec]):
        self.version_id = version_id
        specs = [r if isinstance(r, RuleSpec) else RuleSpec.of(r) for r in rules]
        # Most specific first: task type > category > level > stage (see the module docstring).
        # A tuple: a table is kept between requests (rule_table) and shared by them.
        self.rules = tuple(sorted(specs, key=_precedence, reverse=True))

    @property
    def may_escalate(self) -> bool:
        """Whether any stage under this table may send a red task up (the engine never does)."""
        return any(r.escalate or r.escalate_to_level is not None for r in self.rules)

    def resolve(self, task_type: TaskType, category: str, level: int, state: str) -> StageRule:
        """The settings of stage ``state`` of a ``task_type`` task of ``category`` waiting at
        ``level``."""
        wanted = {"task_type": task_type.name, "category": category, "level": level, "state": state}
        found: dict[str, Any] = {}
        for rule in self.rules:
            if all(getattr(rule, k) is None or getattr(rule, k) == wanted[k] for k in KEYS):
                for name in SETTINGS:
                    value = getattr(rule, name)
                    if value is not None and name not in found:
                        found[name] = value
        if "escalate_to_level" in found and "escalate" not in found:
            found["escalate"] = True
        return StageRule(
            hours=found.get("hours", task_type.state(state).sla_hours),
            yellow_percent=found.get("yellow_percent", round(task_type.yellow_fraction * 100)),
            red_percent=found.get("red_percent", DEFAULT_RED_PERCENT),
            escalate=found.get("escalate", False),
            escalate_to_level=found.get("escalate_to_level"),
            yellow_points=found.get("yellow_points", DEFAULT_YELLOW_POINTS),
            red_points=found.get("red_points", DEFAULT_RED_POINTS),
            version_id=self.version_id,
        )


def _precedence(rule: RuleSpec) -> tuple[bool, ...]:
    return tuple(getattr(rule, name) is not None for name in KEYS)


def current_version(session: Session) -> TaskRuleVersion | None:
    """The version of the current county's rule table in force now (None: it has none)."""
    return session.scalar(select(TaskRuleVersion).order_by(TaskRuleVersion.number.desc()).limit(1))


def rules_of(session: Session, version: TaskRuleVersion) -> list[TaskRule]:
    """The rows of one version, in the order they were written."""
    return list(
        session.scalars(
            select(TaskRule).where(TaskRule.version_id == version.id).order_by(TaskRule.id)
        )
    )


def rule_table(
    session: Session, version_id: int | None = None, *, current: bool = True
) -> RuleTable:
    """The county's rules now (``current``), or those of version ``version_id`` (None with
    ``current=False``: the engine's defaults only). Kept between requests while the county's
    rules stay as they are (gridgov.core.tenancy.county_cache): every step of a task reads
    them."""
    if version_id is None and not current:
        return RuleTable(None, [])

    def read() -> RuleTable:
        if version_id is None:
            version = current_version(session)
        else:
            version = session.get(TaskRuleVersion, version_id)
        if version is None:
            return RuleTable(None, [])
        return RuleTable(version.id, rules_of(session, version))

    return county_cache.cached(session, "rules", read, key=version_id)


def versions(session: Session) -> Any:
    """A SELECT of the county's rule versions, newest first."""
    return select(TaskRuleVersion).order_by(TaskRuleVersion.number.desc())


def get_version(session: Session, number: int) -> TaskRuleVersion:
    """The county's version ``number`` of its rule table, or NotFound."""
    found = session.scalar(select(TaskRuleVersion).where(TaskRuleVersion.number == number))
    if found is None:
        raise NotFound(_("没有这个版本的规则表"))
    return found


def card_points(session: Session, card: TaskCard, task_type: TaskType, category: str) -> float:
    """The assessment points ``card`` deducts, by the rules in force when it was given."""
    from gridgov.core.hierarchy.models import Node

    node = session.get(Node, card.node_id)
    assert node is not None
    rule = rule_table(session, card.rule_version_id, current=False).resolve(
        task_type, category, node.level, card.state
    )
    return rule.red_points if card.color == "red" else rule.yellow_points


@dataclass(frozen=True)
class DefaultStage:
    """The engine's settings of one stage of one task type, shown beside the county's table."""

    task_type: TaskType
    state: str
    label: Any
    rule: StageRule


def engine_defaults(types: Iterable[TaskType]) -> list[DefaultStage]:
    """The engine's settings for every open stage of ``types`` (what holds with no rules)."""
    empty = RuleTable(None, [])
    return [
        DefaultStage(
            task_type, state.name, state.label, empty.resolve(task_type, "", 0, state.name)
        )
        for task_type in types
        for state in task_type.states
        if state.is_open
    ]


# --- changing --------------------------------------------------------------------------------


def replace_rules(
    session: Session,
    actor: Actor,
    tenant: Tenant,
    types: TaskTypeRegistry,
    specs: Sequence[RuleSpec],
    *,
    source: str,
    note: str = "",
    actor_name: str = "",
) -> TaskRuleVersion | None:
    """Make ``specs`` the county's rule table: a new version, unless it already is the table
    in force (then nothing changes and that version is returned; None: no table and none
    wanted). County administrators only (a manifest applied by an operator or the system
    passes ``actor`` None or an operator, with ``actor_name``)."""
    if isinstance(actor, User) and actor.role != Role.COUNTY_ADMIN:
        raise Forbidden(_("只有县级管理员可以修改规则表"))
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    check_rules(tenant, types, specs)
    specs = [_rounded(spec) for spec in specs]
    current = current_version(session)
    now_in_force = [RuleSpec.of(r) for r in rules_of(session, current)] if current else []
    if _normal(now_in_force) == _normal(specs):
        return current
    number = (session.scalar(select(func.max(TaskRuleVersion.number))) or 0) + 1
    version = TaskRuleVersion(
        number=number,
        source=source,
        note=(note or "").strip(),
        created_by_id=actor.id if isinstance(actor, User) else None,
        created_by_name=_name_of(actor, actor_name),
    )
    session.add(version)
    session.flush()
    session.add_all(TaskRule(version_id=version.id, **spec.as_dict()) for spec in specs)
    session.flush()
    audit.record(
        session,
        actor,
        "task.rules",
        "task_rule_version",
        version.id,
        before={"version": current.number if current else None},
        after={"version": number, "rules": len(specs), "source": source},
    )
    return version


def _rounded(spec: RuleSpec) -> RuleSpec:
    """Hours and points as the table stores them (two decimals): a manifest applied again
    then compares equal to what it stored."""
    values = spec.as_dict()
    for name in DECIMALS:
        if values[name] is not None:
            values[name] = round(float(values[name]), 2)
    return RuleSpec(**values)


def _normal(specs: Iterable[RuleSpec]) -> list[tuple[Any, ...]]:
    return sorted(tuple(repr(v) for v in s.as_dict().values()) for s in specs)


def _name_of(actor: Actor, actor_name: str) -> str:
    if actor_name:
        return actor_name[:100]
    name = getattr(actor, "name", None) or getattr(actor, "username", None)
    return str(name or _("系统"))[:100]


def check_rules(tenant: Tenant, types: TaskTypeRegistry, specs: Sequence[RuleSpec]) -> None:
    """Refuse a rule table with any row that names what the county does not have, sets
    nothing, repeats another row's keys or holds a value out of range (RulesRefused, every
    problem by row and field)."""
    problems: dict[int, dict[str, str]] = {}
    if len(specs) > MAX_RULES:
        raise DomainError(_("规则表最多 %(n)d 行", n=MAX_RULES), field="rules")
    seen: dict[tuple[Any, ...], int] = {}
    for row, spec in enumerate(specs):
        found = _row_problems(tenant, types, spec)
        if spec.key in seen:
            found.setdefault(
                "task_type", str(_("与第 %(row)d 行的适用范围相同", row=seen[spec.key] + 1))
            )
        seen.setdefault(spec.key, row)
        if found:
            problems[row] = found
    if problems:
        raise RulesRefused(problems)


def _row_problems(tenant: Tenant, types: TaskTypeRegistry, spec: RuleSpec) -> dict[str, str]:
    found: dict[str, str] = {}

    def say(name: str, message: object) -> None:
        found.setdefault(name, str(message))

    chosen: list[TaskType] = list(types)
    if spec.task_type is not None:
        if spec.task_type not in types.names():
            say("task_type", _("未知的事件类型：%(t)s", t=spec.task_type))
            return found
        chosen = [types.get(spec.task_type)]
    extra = tenant.settings.get("task_categories") or []
    known_categories = {c for t in chosen for c in t.categories} | set(extra)
    if spec.category is not None and spec.category not in known_categories:
        say("category", _("未知的事件类别：%(c)s", c=spec.category))
    if spec.level is not None and not 0 <= spec.level < tenant.depth:
        say("level", _("层级须为 0（最高一级）到 %(n)d", n=tenant.depth - 1))
    if spec.state is not None:
        open_states = {s.name for t in chosen for s in t.states if s.is_open}
        if spec.state not in open_states:
            say("state", _("未知的办理环节：%(s)s（只能是未办结的环节）", s=spec.state))
    if all(getattr(spec, name) is None for name in SETTINGS):
        say("hours", _("这一行什么也没有规定：请至少填写一项"))
    if spec.hours is not None:
        if spec.state is None:
            say("state", _("办理时限须指定环节"))
        if not _is_number(spec.hours) or not 0 < spec.hours <= MAX_HOURS:
            say("hours", _("时限须为大于 0、不超过 %(n)d 的工作小时数", n=MAX_HOURS))
    for name in ("yellow_percent", "red_percent"):
        value = getattr(spec, name)
        if value is not None and not (isinstance(value, int) and 1 <= value <= 1000):
            say(name, _("须为 1 到 1000 之间的整数（时限的百分比）"))
    if (
        isinstance(spec.yellow_percent, int)
        and isinstance(spec.red_percent, int)
        and spec.yellow_percent >= spec.red_percent
    ):
        say("yellow_percent", _("黄牌须早于红牌"))
    if spec.escalate_to_level is not None:
        if spec.escalate is False:
            say("escalate_to_level", _("不自动上报时不能指定上报到哪一级"))
        if not 0 <= spec.escalate_to_level < tenant.grid_level:
            say(
                "escalate_to_level",
                _("上报到的层级须为 0（最高一级）到 %(n)d", n=tenant.grid_level - 1),
            )
        elif spec.level is not None and spec.escalate_to_level >= spec.level:
            say("escalate_to_level", _("只能上报到比本级更高的一级"))
    for name in ("yellow_points", "red_points"):
        value = getattr(spec, name)
        if value is not None and (not _is_number(value) or not 0 <= value <= 100):
            say(name, _("扣分须在 0 到 100 之间"))
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
