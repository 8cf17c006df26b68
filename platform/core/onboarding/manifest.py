"""Tenant manifests: a county's levels, node tree, staff and modules in one YAML file, checked
with the line of every problem and applied idempotently through the services.

Rules a county can rely on:
- unknown keys are errors; a bad file changes nothing;
- nodes, users and departments are matched by ``code``, ``username`` and ``code``; applying
  a file twice changes nothing the second time;
- passwords never come from the file: new users get theirs from ``issue_initial_passwords``;
- ``task_rules`` (the county's rule table: stage limits, card thresholds, escalation and card
  points per task type, category, level and stage) and ``work_calendar`` (local holidays and
  调休 working days) are optional: left out, the portal and API maintain them; listed, the
  rule table becomes exactly the file's (a new version when it differs) and each listed day is
  set as the file says, days it does not list kept unless the caller asks to prune; like
  the other fields, a table or day the file did not change since the last apply keeps the
  portal's edits.

Who owns what. The file and the portal (or the API) can both change most things, and a
re-apply must not silently undo what the county did in the portal. Each apply remembers what
the file said (``applied_manifests``), so the next one can tell, field by field, who changed
what since (a three-way merge: the file now, the file then, the database):

- a field the file changed since the last apply: the file wins, over a portal change too (the
  plan says so): editing the file and applying it is a decision taken now, after ``--dry-run``;
- a field the file did not change: the portal's change stands, listed as kept: it is the later
  decision;
- a list (a user's nodes, a department's officers, the modules) is merged member by member the
  same way: the file adds what it newly lists, the portal's additions and removals stay;
- without ``--prune`` nothing is taken away; the plan lists apart what the file listed before
  and no longer lists, and ``--prune`` takes exactly that away, never what the portal added (to
  hand that to the file, list it in the file). Removing never destroys a record.

================================  ===========================  =================================
what                              a re-apply                   ``--prune`` (only) takes away
================================  ===========================  =================================
tenant ``name``, ``levels``       merged (file wins if         nothing (the number of levels
                                  changed)                     is fixed once nodes exist)
``modules``                       merged list                  a module the file dropped
``settings`` (left out: all the   merged key by key, nested    a key the file dropped
portal's)
``time_zone`` (left out: the      merged (file wins if         -
portal's; new county: Shanghai)   changed)
node ``name``, parent,            merged                       -
``boundary`` (left out: portal's)
nodes                             created; the portal's kept;  a node the file dropped is retired
                                  one the portal retired       (kept for its records); refused
                                  stays retired                while open tasks, people,
                                                               households, dwellings, sites or
                                                               an active department are there
user ``name``, ``role``,          merged                       -
``phone`` (left out: portal's)
user ``nodes``                    merged list                  the assignment ends
users                             created; the portal's kept   an account the file dropped is
                                                               deactivated, not deleted: it can
                                                               no longer log in, its assignments
                                                               and department posts end, what it
                                                               filed stays
account active, password, locale  the portal's only            -
department ``name``, ``node``,    merged                       -
``phone`` (left out: portal's)
department ``officers``           merged list                  the officer leaves the department
``task_rules`` (left out:         the file's table when the    -
portal's)                         file changed it, else the
                                  portal's
``work_calendar`` (left out:      merged day by day            a day the file dropped
portal's)
``assessment`` (left out:         the file's scheme when the   -
portal's)                         file changed it (a new
                                  version from its
                                  ``first_month``), else the
                                  portal's
departments                       created; the portal's kept;  a department the file dropped is
                                  one deactivated in the       deactivated; refused while tasks
                                  portal stays so              dispatched to it are open
================================  ===========================  =================================

A county set up before applies were recorded: its first apply takes the database as what the
file said for everything the file lists and for the whole node tree (``--prune`` retires nodes
the file leaves out, as it always did); accounts and departments the file leaves out are the
portal's. A new top-level key (a county's rule table, its calendar, its time zone) slots in the
same way: put its values into ``applied_state``, merge them in the applier with
``merge_value`` / ``merge_set`` (or ``merge_settings`` for a mapping), add a row above.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent
from ruamel.yaml.scalarbool import ScalarBoolean
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.passwords import hash_password, one_time_password
from gridgov.core.assessment import scheme as schemes
from gridgov.core.audit import service as audit
from gridgov.core.audit.service import Actor, mask_value
from gridgov.core.db import current_tenant_id, set_tenant, tenant_scope, utcnow
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.geo import validate_boundary
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.maps.service import MAP_SETTING, setting_problems
from gridgov.core.onboarding import counties
from gridgov.core.onboarding.models import AppliedManifest
from gridgov.core.registry.models import Dwelling, Household, Person, Site
from gridgov.core.tasks import calendar, reading, rules
from gridgov.core.tasks.models import Task
from gridgov.core.tasks.rules import RuleSpec
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, is_time_zone
from gridgov.core.tenancy.models import Tenant

MISSING: Any = ...  # an optional key the file leaves out: keep what the database has

KeyPath = tuple[str | int, ...]  # where a value sits in the file: ("users", 3, "role")

MODULE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
# The county setting the rule table replaced (migration 0012).
ESCALATE_RED_SETTING = "escalate_red_tasks"


# --- problems --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a manifest, at a line of the file (1-based) when known."""

    line: int | None
    path: str
    message: str

    def format(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ManifestError(Exception):
    """The manifest was refused; ``problems`` lists every reason found, by line."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.path))
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [p.format(self.source) for p in self.problems]


def format_path(path: KeyPath) -> str:
    """``("users", 3, "role")`` -> ``users[3].role``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- what a manifest says --------------------------------------------------------------------


@dataclass
class NodeSpec:
    code: str
    name: str
    level: int  # depth in the file: 0 = top level
    parent_code: str | None
    boundary: Any  # GeoJSON geometry, None to clear, MISSING to keep
    path: KeyPath
    children: list[NodeSpec] = field(default_factory=list)


@dataclass
class UserSpec:
    username: str
    name: str
    role: str
    nodes: list[str]
    phone: Any  # str, None to clear, MISSING to keep
    path: KeyPath


@dataclass
class DepartmentSpec:
    code: str
    name: str
    node: str  # code of the node it serves
    officers: list[str]  # usernames
    phone: Any  # str, None to clear, MISSING to keep
    path: KeyPath


@dataclass(frozen=True)
class CalendarDaySpec:
    day: dt.date
    is_workday: bool
    note: str
    path: KeyPath


@dataclass
class Manifest:
    """A parsed, checked manifest. ``line_of`` finds the file line of any path in it."""

    source: str
    slug: str
    name: str
    levels: list[str]
    nodes: list[NodeSpec]
    users: list[UserSpec]
    modules: list[str]
    settings: dict[str, Any] | None  # None: the file leaves settings alone
    time_zone: str | None = None  # None: the file leaves the time zone alone (new: Asia/Shanghai)
    departments: list[DepartmentSpec] = field(default_factory=list)
    digest: str = ""  # sha256 of the file's text, kept with what it applied
    # None: the file leaves the county's rule table / calendar overrides alone.
    task_rules: list[RuleSpec] | None = None
    work_calendar: list[CalendarDaySpec] | None = None
    # None: the file leaves the assessment scheme alone; else {first_month, weights, lines, …}
    # (``gridgov.core.assessment.scheme``), checked against the installed rules when applied.
    assessment: dict[str, Any] | None = None
    document: Any = field(default=None, repr=False)  # the ruamel document, for line numbers

    def iter_nodes(self) -> Iterator[NodeSpec]:
        """Every node, parents before their children."""
        stack = list(reversed(self.nodes))
        while stack:
            spec = stack.pop()
            yield spec
            stack.extend(reversed(spec.children))

    def line_of(self, path: KeyPath) -> int | None:
        return _line_of(self.document, path) if self.document is not None else None

    def problem(self, path: KeyPath, message: object) -> Problem:
        return Problem(self.line_of(path), format_path(path), str(message))


# --- schemas (shape of the file) -------------------------------------------------------------

_TEXT_MESSAGES = {
    "required": _("缺少必填项"),
    "null": _("不能为空"),
    "invalid": _('应为文字（纯数字的编码或电话请加引号，如 "0101"）'),
}
_LIST_MESSAGES = {"required": _("缺少必填项"), "null": _("不能为空"), "invalid": _("应为列表")}
_MAP_MESSAGES = {
    "required": _("缺少必填项"),
    "null": _("不能为空"),
    "invalid": _("应为映射（键: 值）"),
}


def _text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Length(
            min=1, max=max_length, error=str(_("长度须在 {min} 到 {max} 个字符之间"))
        ),
        error_messages=_TEXT_MESSAGES,
        **kwargs,
    )


UNKNOWN_KEY = str(_("未知的键（拼写错误，或清单不支持这一项）"))


class _StrictSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {  # noqa: RUF012 (marshmallow merges this class attribute)
        "unknown": UNKNOWN_KEY,
        "type": str(_("应为映射（键: 值）")),
    }


class NodeSchema(_StrictSchema):
    code = _text(64, required=True)
    name = _text(200, required=True)
    boundary = fields.Dict(allow_none=True, error_messages=_MAP_MESSAGES)
    children = fields.List(
        fields.Nested(lambda: NodeSchema()), load_default=list, error_messages=_LIST_MESSAGES
    )


class UserSchema(_StrictSchema):
    username = _text(64, required=True)
    name = _text(100, required=True)
    role = _text(32, required=True)
    nodes = fields.List(_text(64), load_default=list, error_messages=_LIST_MESSAGES)
    phone = _text(32, allow_none=True)


class DepartmentSchema(_StrictSchema):
    code = _text(64, required=True)
    name = _text(200, required=True)
    node = _text(64, required=True)
    phone = _text(32, allow_none=True)
    officers = fields.List(_text(64), load_default=list, error_messages=_LIST_MESSAGES)


_NUMBER_MESSAGES = {"invalid": _("应为数字"), "null": _("不能为空")}
_INTEGER_MESSAGES = {"invalid": _("应为整数"), "null": _("不能为空")}
_BOOLEAN_MESSAGES = {"invalid": _("应为 true 或 false"), "null": _("不能为空")}


class TaskRuleSchema(_StrictSchema):
    """One row of ``task_rules`` (see ``gridgov.core.tasks.rules``); ``level`` and
    ``escalate_to`` are level names of ``levels`` (or their index, 0 = top)."""

    task_type = _text(64)
    category = _text(64)
    level = fields.Raw()
    state = _text(32)
    hours = fields.Float(allow_nan=False, error_messages=_NUMBER_MESSAGES)
    yellow_percent = fields.Integer(strict=True, error_messages=_INTEGER_MESSAGES)
    red_percent = fields.Integer(strict=True, error_messages=_INTEGER_MESSAGES)
    escalate = fields.Boolean(truthy={True}, falsy={False}, error_messages=_BOOLEAN_MESSAGES)
    escalate_to = fields.Raw()
    yellow_points = fields.Float(allow_nan=False, error_messages=_NUMBER_MESSAGES)
    red_points = fields.Float(allow_nan=False, error_messages=_NUMBER_MESSAGES)


class CalendarDaySchema(_StrictSchema):
    day = fields.Raw(required=True, error_messages={"required": _("缺少必填项")})
    workday = fields.Boolean(
        required=True,
        truthy={True},
        falsy={False},
        error_messages={"required": _("缺少必填项"), "invalid": _("应为 true 或 false")},
    )
    note = fields.String(
        load_default="", validate=validate.Length(max=100, error=str(_("最长 {max} 个字符")))
    )


class ManifestSchema(_StrictSchema):
    slug = _text(63, required=True)
    name = _text(200, required=True)
    levels = fields.List(_text(50), required=True, error_messages=_LIST_MESSAGES)
    nodes = fields.List(fields.Nested(NodeSchema), load_default=list, error_messages=_LIST_MESSAGES)
    users = fields.List(fields.Nested(UserSchema), load_default=list, error_messages=_LIST_MESSAGES)
    modules = fields.List(_text(63), load_default=list, error_messages=_LIST_MESSAGES)
    settings = fields.Dict(keys=fields.String(), error_messages=_MAP_MESSAGES)
    time_zone = _text(64)
    departments = fields.List(
        fields.Nested(DepartmentSchema), load_default=list, error_messages=_LIST_MESSAGES
    )
    task_rules = fields.List(fields.Nested(TaskRuleSchema), error_messages=_LIST_MESSAGES)
    work_calendar = fields.List(fields.Nested(CalendarDaySchema), error_messages=_LIST_MESSAGES)
    assessment = fields.Dict(keys=fields.String(), error_messages=_MAP_MESSAGES)


# --- reading a file --------------------------------------------------------------------------


# A county of 10,000 grids with their boundaries is a few MB; the largest demo is 60 kB.
MAX_MANIFEST_BYTES = 32 * 1024 * 1024
# Levels (at most 5) nest as nodes → children → …, a boundary's coordinates a few more.
MAX_DEPTH = 40


def load_manifest(path: str | Path) -> Manifest:
    """Read and check the manifest file at ``path``; raises ManifestError."""
    path = Path(path)
    source = str(path)
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ManifestError(source, [_too_large()])
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(source, [Problem(None, "", str(exc))]) from exc
    return parse_manifest(text, source=source)


def _too_large() -> Problem:
    mb = MAX_MANIFEST_BYTES // (1024 * 1024)
    return Problem(None, "", str(_("清单文件过大（最大 %(mb)d MB）", mb=mb)))


class _Refused(Exception):
    """What ``_ManifestComposer`` refuses, at a line of the file."""

    def __init__(self, line: int, message: object) -> None:
        super().__init__(str(message))
        self.problem = Problem(line, "", str(message))


class _ManifestComposer(Composer):
    """ruamel's composer refusing, as it reads, what YAML allows but a manifest never needs:
    aliases (``*name``: a few lines of them expand to billions of nodes — the "billion laughs"
    — and one inside its own anchor makes the node tree a cycle) and nesting deeper than a
    manifest's (a bomb of brackets). In the one pass that builds the document."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader=loader)
        self.open_anchors: list[str | None] = []  # of the collections being composed

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, AliasEvent):
            if event.anchor in self.open_anchors:
                message = _(
                    "节点树中有循环：别名 *%(name)s 指向包含它自己的 &%(name)s，"
                    "一个节点不能是它自己的下级",
                    name=event.anchor,
                )
            else:
                message = _(
                    "清单不能使用 YAML 别名（*%(name)s）：请把内容照写出来", name=event.anchor
                )
            raise _Refused(line, message)
        if not isinstance(event, CollectionStartEvent):
            return super().compose_node(parent, index)
        self.open_anchors.append(event.anchor)
        if len(self.open_anchors) > MAX_DEPTH:
            raise _Refused(line, _("嵌套超过 %(n)d 层，不是有效的清单", n=MAX_DEPTH))
        try:
            return super().compose_node(parent, index)
        finally:
            self.open_anchors.pop()


def parse_manifest(text: str, *, source: str = "<manifest>") -> Manifest:
    """Parse and check manifest ``text``; raises ManifestError listing every problem by line."""
    if len(text) > MAX_MANIFEST_BYTES:
        raise ManifestError(source, [_too_large()])
    reader = YAML(typ="rt")
    reader.Composer = _ManifestComposer
    try:
        document = reader.load(text)
    except _Refused as refused:
        raise ManifestError(source, [refused.problem]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        line = mark.line + 1 if mark else None
        raise ManifestError(
            source, [Problem(line, "", str(_("YAML 语法错误：%(r)s", r=reason)))]
        ) from exc
    except YAMLError as exc:
        raise ManifestError(source, [Problem(None, "", str(exc))]) from exc
    except ValueError as exc:  # ruamel reads 2026-07-32 as a date and fails
        raise ManifestError(
            source, [Problem(None, "", str(_("无效的日期：%(r)s", r=exc)))]
        ) from exc
    if not isinstance(document, CommentedMap):
        raise ManifestError(source, [Problem(1, "", str(_("清单的顶层应为映射（键: 值）")))])

    plain = _plain(document)
    problems: list[Problem] = []
    try:
        data = ManifestSchema().load(plain)
    except ValidationError as exc:
        found = list(_flatten_errors(exc.messages))
        problems = [Problem(_line_of(document, p), format_path(p), m) for p, m in found]
        if any(message != UNKNOWN_KEY for _path, message in found):
            raise ManifestError(source, problems) from exc
        # Only misspelt keys: check the rest of the file too, so that one run lists everything.
        for path, _message in found:
            _drop(plain, path)
        data = ManifestSchema().load(plain)

    manifest = Manifest(
        source=source,
        slug=data["slug"].strip(),
        name=data["name"].strip(),
        levels=[name.strip() for name in data["levels"]],
        nodes=[],
        users=[],
        modules=list(data["modules"]),
        settings=data.get("settings"),
        time_zone=data.get("time_zone"),
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        document=document,
    )
    manifest.nodes = [
        _node_spec(manifest, raw, level=0, parent=None, path=("nodes", i), problems=problems)
        for i, raw in enumerate(data["nodes"])
    ]
    manifest.users = [
        UserSpec(
            username=raw["username"].strip(),
            name=raw["name"].strip(),
            role=raw["role"].strip(),
            nodes=[code.strip() for code in raw["nodes"]],
            phone=_clean_phone(raw["phone"]) if "phone" in raw else MISSING,
            path=("users", i),
        )
        for i, raw in enumerate(data["users"])
    ]
    manifest.departments = [
        DepartmentSpec(
            code=raw["code"].strip(),
            name=raw["name"].strip(),
            node=raw["node"].strip(),
            officers=[username.strip() for username in raw["officers"]],
            phone=_clean_phone(raw["phone"]) if "phone" in raw else MISSING,
            path=("departments", i),
        )
        for i, raw in enumerate(data["departments"])
    ]
    if "task_rules" in data:
        manifest.task_rules = _task_rules(manifest, data["task_rules"], problems)
    if "work_calendar" in data:
        manifest.work_calendar = _work_calendar(manifest, data["work_calendar"], problems)
    if "assessment" in data:
        manifest.assessment = _plain(data["assessment"])
        first = manifest.assessment.get("first_month")
        if not isinstance(first, str) or not schemes.MONTH.match(first):
            problems.append(
                manifest.problem(
                    ("assessment", "first_month"),
                    _('应写明方案自哪个月起生效，如 first_month: "2026-01"'),
                )
            )
    problems.extend(_check(manifest))
    if problems:
        raise ManifestError(source, problems)
    return manifest


def _node_spec(
    manifest: Manifest,
    raw: dict[str, Any],
    *,
    level: int,
    parent: str | None,
    path: KeyPath,
    problems: list[Problem],
) -> NodeSpec:
    boundary = raw.get("boundary", MISSING)
    if boundary is not MISSING:
        try:
            # Stored in the services' normal form, so that comparing with the database is exact.
            boundary = validate_boundary(boundary)
        except DomainError as exc:
            problems.append(manifest.problem((*path, "boundary"), exc.message))
    code = raw["code"].strip()
    spec = NodeSpec(
        code=code,
        name=raw["name"].strip(),
        level=level,
        parent_code=parent,
        boundary=boundary,
        path=path,
    )
    spec.children = [
        _node_spec(
            manifest,
            child,
            level=level + 1,
            parent=code,
            path=(*path, "children", i),
            problems=problems,
        )
        for i, child in enumerate(raw["children"])
    ]
    return spec


def _check(manifest: Manifest) -> list[Problem]:
    """The rules the shape cannot express: names, codes, roles and who sits where."""
    problems: list[Problem] = []

    def add(path: KeyPath, message: object) -> None:
        problems.append(manifest.problem(path, message))

    if not tenancy.SLUG_RE.match(manifest.slug) or manifest.slug in tenancy.RESERVED_SLUGS:
        add(("slug",), _("标识须以小写字母开头，由小写字母、数字和连字符组成（2–63 位）"))
    try:
        tenancy.validate_level_names(manifest.levels)
        depth = len(manifest.levels)
    except DomainError as exc:
        add(("levels",), exc.message)
        depth = tenancy.MAX_LEVELS

    nodes: dict[str, NodeSpec] = {}
    for spec in manifest.iter_nodes():
        if spec.code in nodes:
            earlier = nodes[spec.code].path
            first = manifest.line_of((*earlier, "code"))
            if spec.path[: len(earlier)] == earlier:  # listed again under itself
                message = _(
                    "节点树中有循环：编码 %(c)s 出现在它自己（第 %(l)s 行）的下级中",
                    c=spec.code,
                    l=first,
                )
            else:
                message = _("编码 %(c)s 重复（第 %(l)s 行已用过）", c=spec.code, l=first)
            add((*spec.path, "code"), message)
        else:
            nodes[spec.code] = spec
        if any(c.isspace() or c == "/" for c in spec.code):
            add((*spec.path, "code"), _("编码不能含空格或斜杠"))
        if spec.level >= depth:
            add(
                spec.path,
                _(
                    "节点 %(c)s 在第 %(n)d 级，但只有 %(d)d 级（最低一级是%(last)s）",
                    c=spec.code,
                    n=spec.level + 1,
                    d=depth,
                    last=manifest.levels[-1] if manifest.levels else "",
                ),
            )

    grid_level = len(manifest.levels) - 1
    usernames: dict[str, KeyPath] = {}
    responsible: dict[str, UserSpec] = {}
    for user in manifest.users:
        if user.username in usernames:
            first = manifest.line_of((*usernames[user.username], "username"))
            add(
                (*user.path, "username"),
                _("用户名 %(u)s 重复（第 %(l)s 行已用过）", u=user.username, l=first),
            )
        usernames.setdefault(user.username, user.path)
        if not accounts.USERNAME_RE.match(user.username):
            add((*user.path, "username"), _("用户名为 2–64 位字母、数字、下划线、点或连字符"))
        if user.role not in {r.value for r in Role}:
            add(
                (*user.path, "role"),
                _(
                    "未知角色 '%(role)s'（可用：%(all)s）",
                    role=user.role,
                    all=", ".join(r.value for r in Role),
                ),
            )
        if user.phone not in (MISSING, None) and not accounts.PHONE_RE.match(user.phone):
            add((*user.path, "phone"), _("电话号码格式不对（手机 11 位，或带区号的固定电话）"))
        seen: set[str] = set()
        for j, code in enumerate(user.nodes):
            where = (*user.path, "nodes", j)
            node = nodes.get(code)
            if code in seen:
                add(where, _("节点 %(c)s 重复列出", c=code))
                continue
            seen.add(code)
            if node is None:
                add(where, _("清单里没有编码为 %(c)s 的节点", c=code))
                continue
            if user.role in accounts.GRID_ONLY_ROLES and node.level != grid_level:
                add(
                    where,
                    _(
                        "%(role)s 只能分配到最低一级（%(level)s），%(c)s 不是",
                        role=accounts.role_label(user.role),
                        level=manifest.levels[-1],
                        c=code,
                    ),
                )
            if user.role == Role.GRID_WORKER:
                holder = responsible.setdefault(code, user)
                if holder is not user:
                    add(
                        where,
                        _(
                            "网格 %(c)s 已有网格员 %(u)s（第 %(l)s 行）：一格一员",
                            c=code,
                            u=holder.username,
                            l=manifest.line_of(holder.path),
                        ),
                    )

    roles = {user.username: user.role for user in manifest.users}
    department_codes: dict[str, KeyPath] = {}
    for spec in manifest.departments:
        if spec.code in department_codes:
            first = manifest.line_of((*department_codes[spec.code], "code"))
            add(
                (*spec.path, "code"),
                _("部门编码 %(c)s 重复（第 %(l)s 行已用过）", c=spec.code, l=first),
            )
        department_codes.setdefault(spec.code, spec.path)
        if spec.node not in nodes:
            add((*spec.path, "node"), _("清单里没有编码为 %(c)s 的节点", c=spec.node))
        if spec.phone not in (MISSING, None) and not accounts.PHONE_RE.match(spec.phone):
            add((*spec.path, "phone"), _("电话号码格式不对（手机 11 位，或带区号的固定电话）"))
        for j, username in enumerate(spec.officers):
            if username not in roles:
                add((*spec.path, "officers", j), _("清单里没有用户 %(u)s", u=username))
            elif roles[username] != Role.DEPARTMENT_OFFICER:
                add(
                    (*spec.path, "officers", j),
                    _("%(u)s 的角色不是部门人员（department_officer）", u=username),
                )

    for i, module in enumerate(manifest.modules):
        if not MODULE_NAME_RE.match(module):
            add(("modules", i), _("模块名应为小写字母、数字和下划线，如 fire_safety"))
        elif manifest.modules.index(module) != i:
            add(("modules", i), _("模块 %(m)s 重复", m=module))

    if manifest.time_zone is not None and not is_time_zone(manifest.time_zone.strip()):
        add(("time_zone",), _("未知的时区：请用 IANA 时区名，如 Asia/Shanghai、Asia/Urumqi"))
    if manifest.settings is not None:
        try:
            json.dumps(manifest.settings)
        except (TypeError, ValueError):
            add(("settings",), _("settings 只能包含文字、数字、真假值、列表和映射（日期请加引号）"))
        if MAP_SETTING in manifest.settings:
            for field_path, message in setting_problems(manifest.settings[MAP_SETTING]):
                add(("settings", MAP_SETTING, *field_path), message)
        if ESCALATE_RED_SETTING in manifest.settings:
            add(
                ("settings", ESCALATE_RED_SETTING),
                _("自动上报红牌事件现在写在 task_rules 里，如 - {escalate: true}"),
            )
    return problems


def _clean_phone(phone: str | None) -> str | None:
    # The same normal form accounts stores, so that comparing with the database is exact.
    if phone is None or not phone.strip():
        return None
    return phone.strip().replace(" ", "")


# --- the county's rule table and calendar (``task_rules``, ``work_calendar``) -------------


def _task_rules(
    manifest: Manifest, rows: list[dict[str, Any]], problems: list[Problem]
) -> list[RuleSpec]:
    """The rows of ``task_rules`` with level names turned into levels; whether the types,
    categories and stages exist is checked when applying (the county's modules decide)."""
    specs = []
    for i, raw in enumerate(rows):
        values = {k: v for k, v in raw.items() if k not in ("level", "escalate_to")}
        for key, target in (("level", "level"), ("escalate_to", "escalate_to_level")):
            if key in raw:
                values[target] = _level_index(manifest, raw[key], ("task_rules", i, key), problems)
        specs.append(RuleSpec(**values))
    return specs


def _level_index(
    manifest: Manifest, value: Any, path: KeyPath, problems: list[Problem]
) -> int | None:
    if isinstance(value, str) and value.strip() in manifest.levels:
        return manifest.levels.index(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(manifest.levels):
        return value
    problems.append(
        manifest.problem(
            path, _("未知的层级：%(l)s（可用：%(all)s）", l=value, all="、".join(manifest.levels))
        )
    )
    return None


def _work_calendar(
    manifest: Manifest, rows: list[dict[str, Any]], problems: list[Problem]
) -> list[CalendarDaySpec]:
    specs: list[CalendarDaySpec] = []
    seen: dict[dt.date, int] = {}
    for i, raw in enumerate(rows):
        path: KeyPath = ("work_calendar", i)
        day = raw["day"]
        if isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day.strip())
            except ValueError:
                day = None
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            problems.append(manifest.problem((*path, "day"), _("日期格式应为 2026-10-01")))
            continue
        if day in seen:
            problems.append(
                manifest.problem((*path, "day"), _("%(d)s 重复列出", d=day.isoformat()))
            )
        seen.setdefault(day, i)
        specs.append(CalendarDaySpec(day, raw["workday"], raw["note"].strip(), path))
    return specs


def _scheme_path(name: str) -> KeyPath:
    """``lines.3.points`` as a manifest path (``lines``, 3, ``points``)."""
    return tuple(int(part) if part.isdigit() else part for part in name.split("."))


def _plain(value: Any) -> Any:
    """ruamel's round-trip types as plain Python (so JSON columns and comparisons behave)."""
    if isinstance(value, dict):
        return {str(k) if isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool | ScalarBoolean):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def _drop(data: Any, path: KeyPath) -> None:
    """Remove the value at ``path`` from plain ``data``."""
    *parents, last = path
    for part in parents:
        data = data[part]
    del data[last]


def _line_of(document: Any, path: KeyPath) -> int:
    """The 1-based line of ``path`` in the document, or of its deepest part that exists."""
    line = 1
    current = document
    for part in path:
        if isinstance(current, CommentedMap) and part in current:
            line = current.lc.key(part)[0] + 1
            current = current[part]
        elif (
            isinstance(current, CommentedSeq) and isinstance(part, int) and 0 <= part < len(current)
        ):
            line = current.lc.item(part)[0] + 1
            current = current[part]
        else:
            break
    return line


def _flatten_errors(messages: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            # "_schema" errors belong to the mapping itself
            yield from _flatten_errors(value, path if key == "_schema" else (*path, key))
    elif isinstance(messages, list | tuple):
        for message in messages:
            yield from _flatten_errors(message, path)
    else:
        yield path, str(messages)


# --- who owns what: the three-way merge ------------------------------------------------------

SAME, FILE, OVERRIDE, PORTAL = "same", "file", "override", "portal"


def merge_value(wanted: Any, last: Any, current: Any) -> str:
    """Who decides a field both the file and the portal can change.

    ``wanted`` is the file's value, ``last`` what the file said when last applied (MISSING if
    it did not say) and ``current`` the database's. Answers SAME (nothing to do), FILE (write
    the file's value), OVERRIDE (write it over a change made in the portal since) or PORTAL
    (keep the database's: the file has not changed, so the portal's change is the later one).
    """
    if wanted == current:
        return SAME
    if last is MISSING or wanted != last:
        return OVERRIDE if last is not MISSING and current != last else FILE
    return PORTAL


@dataclass(frozen=True)
class SetMerge:
    """The members of a list field (a user's nodes, a department's officers, the modules)."""

    add: list[str]  # the file lists them, the database lacks them: added
    take: list[str]  # the file listed them before and no longer does: removed with --prune
    kept_added: list[str]  # added in the portal, never listed by the file: kept
    kept_removed: list[str]  # removed in the portal though the file still lists them: kept off


def merge_set(wanted: Sequence[str], last: Sequence[str], current: Sequence[str]) -> SetMerge:
    """Split the differences of a list field by who made them (see ``merge_value``)."""
    had, have = set(last), set(current)
    return SetMerge(
        add=[m for m in wanted if m not in have and m not in had],
        take=sorted(m for m in have if m not in wanted and m in had),
        kept_added=sorted(m for m in have if m not in wanted and m not in had),
        kept_removed=[m for m in wanted if m not in have and m in had],
    )


def boundary_digest(boundary: Any) -> str | None:
    """A short fingerprint of a boundary: what the applied state keeps instead of the polygon."""
    if boundary is None:
        return None
    text = json.dumps(boundary, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def applied_state(manifest: Manifest) -> dict[str, Any]:
    """The values a manifest sets, as ``applied_manifests.state`` keeps them for the next apply.
    An optional key the file leaves out is left out here too: the file does not own it then."""
    tenant: dict[str, Any] = {
        "name": manifest.name,
        "levels": list(manifest.levels),
        "modules": list(manifest.modules),
    }
    if manifest.settings is not None:
        tenant["settings"] = manifest.settings
    if manifest.time_zone is not None:
        tenant["time_zone"] = manifest.time_zone.strip()
    if manifest.task_rules is not None:
        tenant["task_rules"] = rule_state(manifest.task_rules)
    if manifest.assessment is not None:
        tenant["assessment"] = manifest.assessment
    if manifest.work_calendar is not None:
        tenant["work_calendar"] = {
            spec.day.isoformat(): [spec.is_workday, spec.note] for spec in manifest.work_calendar
        }
    nodes: dict[str, Any] = {}
    for spec in manifest.iter_nodes():
        nodes[spec.code] = {"name": spec.name, "parent": spec.parent_code}
        if spec.boundary is not MISSING:
            nodes[spec.code]["boundary"] = boundary_digest(spec.boundary)
    users: dict[str, Any] = {}
    for user in manifest.users:
        users[user.username] = {"name": user.name, "role": user.role, "nodes": list(user.nodes)}
        if user.phone is not MISSING:
            users[user.username]["phone"] = user.phone
    departments: dict[str, Any] = {}
    for department in manifest.departments:
        departments[department.code] = {
            "name": department.name,
            "node": department.node,
            "officers": list(department.officers),
        }
        if department.phone is not MISSING:
            departments[department.code]["phone"] = department.phone
    return {"tenant": tenant, "nodes": nodes, "users": users, "departments": departments}


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One line of a plan: ``+`` create, ``~`` change, ``-`` take away, ``=`` kept as it is."""

    action: str
    kind: str  # tenant, node, user, department
    key: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.key} {self.detail}".rstrip()


@dataclass
class Plan:
    """What applying a manifest changes (or, in a dry run, would change), in three parts:
    ``changes`` (created and updated), ``removals`` (what the file no longer lists: carried out
    only when ``prune``) and ``kept`` (what the county added or changed outside the file, which
    the manifest leaves as it is)."""

    source: str
    slug: str
    dry_run: bool
    prune: bool = False
    changes: list[Change] = field(default_factory=list)
    removals: list[Change] = field(default_factory=list)
    kept: list[Change] = field(default_factory=list)
    tenant: Tenant | None = None  # None after a dry run that would create the tenant
    created_users: list[User] = field(default_factory=list)  # empty after a dry run

    @property
    def is_empty(self) -> bool:
        """Nothing to create, change or take away (what is kept is no difference to act on)."""
        return not self.changes and not self.removals

    def lines(self) -> list[str]:
        return [str(c) for c in self.changes + self.removals + self.kept]

    def summary(self) -> str:
        would = self.dry_run
        created = sum(1 for c in self.changes if c.action == "+")
        parts = [
            f"{created} {'to create' if would else 'created'}",
            f"{len(self.changes) - created} {'to change' if would else 'changed'}",
        ]
        if self.removals and self.prune:
            parts.append(f"{len(self.removals)} {'to take away' if would else 'taken away'}")
        elif self.removals:
            parts.append(f"{len(self.removals)} not taken away (only --prune takes away)")
        if self.kept:
            parts.append(f"{len(self.kept)} kept as the county changed them")
        return f"{self.slug}: {', '.join(parts)}" + (" (dry run: nothing changed)" if would else "")


def apply_manifest(
    session: Session,
    manifest: Manifest,
    *,
    actor: Actor = None,
    dry_run: bool = False,
    prune: bool = False,
) -> Plan:
    """Bring the database in line with ``manifest`` through the services and return the plan.

    All of it happens in one savepoint: any refusal (raised as ManifestError with the line it
    concerns) leaves the database as it was, and a dry run rolls back after computing the plan.
    The caller commits. Without ``prune`` nothing is taken away (the plan lists what would be);
    with it, what the file listed before and no longer lists is taken away (module docstring).
    """
    plan = Plan(source=manifest.source, slug=manifest.slug, dry_run=dry_run, prune=prune)
    previous_tenant = current_tenant_id(session)
    set_tenant(session, None)
    savepoint = session.begin_nested()
    try:
        _Applier(session, manifest, plan, actor, prune).run()
        session.flush()
        if dry_run:
            savepoint.rollback()
            # Running it for real is how a dry run finds what only the services check (a grid
            # whose worker is not in the file, …); what it made is gone now.
            plan.tenant = tenancy.get_by_slug(session, manifest.slug)
            plan.created_users = []
        else:
            savepoint.commit()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    finally:
        set_tenant(session, previous_tenant)
    return plan


# --- applying --------------------------------------------------------------------------------


class _Applier:
    def __init__(
        self, session: Session, manifest: Manifest, plan: Plan, actor: Actor, prune: bool
    ) -> None:
        self.session = session
        self.manifest = manifest
        self.plan = plan
        self.actor = actor
        self.prune = prune
        self.nodes: dict[str, Node] = {}
        self.codes: dict[int, str] = {}  # node id -> code
        # What the file said when last applied; None for a county no apply has recorded yet
        # (made before manifests were recorded): then the database stands in for it.
        self.record: dict[str, Any] | None = None
        self.kept_retired: set[str] = set()  # listed nodes the portal retired
        self.pending_grids: dict[str, str] = {}  # node code -> user the file takes it from
        # Removals left for --prune stay the file's in the applied state: (path, value).
        self.carried: list[tuple[KeyPath, Any]] = []

    def refuse(self, path: KeyPath, exc: DomainError) -> ManifestError:
        return ManifestError(self.manifest.source, [self.manifest.problem(path, exc.message)])

    def refuse_removal(self, path: str, message: object) -> ManifestError:
        return ManifestError(self.manifest.source, [Problem(None, path, str(message))])

    def change(self, action: str, kind: str, key: str, detail: str = "") -> None:
        self.plan.changes.append(Change(action, kind, key, detail))

    def take(self, kind: str, key: str, detail: str, *, keeps: tuple[KeyPath, Any]) -> bool:
        """List a removal; True when it is to be carried out (``--prune``). ``keeps`` says where
        in the applied state it stays the file's while it is not taken away (path, value)."""
        self.plan.removals.append(Change("-", kind, key, detail))
        if not self.prune:
            self.carried.append(keeps)
        return self.prune

    def keep(self, kind: str, key: str, detail: str) -> None:
        self.plan.kept.append(Change("=", kind, key, detail))

    def last_of(self, section: str, key: str, current: dict[str, Any]) -> dict[str, Any]:
        """What the file last said of one object: ``current`` when no apply was recorded, {}
        when the file did not list the object then (it was made in the portal)."""
        if self.record is None:
            return current
        return dict(self.record.get(section, {}).get(key) or {})

    def last_list(self, recorded: list[str], wanted: list[str], current: list[str]) -> list[str]:
        """What the file last listed of a list field. With no apply recorded, the members it
        lists that are there: those it lacks were added in the portal and stay (kept, never
        pruned), those missing are added."""
        if self.record is None:
            return [member for member in wanted if member in current]
        return recorded

    def owns(self, section: str, key: str) -> bool:
        """Whether the file listed this object when last applied (so --prune may take it)."""
        if self.record is None:
            # Before any recorded apply the tree is the manifest's (as --prune always had it);
            # accounts and departments it does not list are the portal's.
            return section == "nodes"
        return key in self.record.get(section, {})

    def settle(
        self,
        kind: str,
        key: str,
        name: str,
        wanted: Any,
        last: dict[str, Any],
        current: Any,
        *,
        shown: Any = None,
        label: str | None = None,
    ) -> bool:
        """Merge one field (``merge_value``), note it in the plan; True: write the file's value."""
        verdict = merge_value(wanted, last.get(name, MISSING), current)
        if verdict == SAME:
            return False
        show = shown or (lambda value: _show(name, value))
        title = label or name
        if verdict == PORTAL:
            self.keep(
                kind,
                key,
                f"{title} {show(current)} kept: changed in the portal "
                f"(the file still says {show(wanted)})",
            )
            return False
        note = " (over a change made in the portal)" if verdict == OVERRIDE else ""
        self.change("~", kind, key, f"{title} {show(current)} → {show(wanted)}{note}")
        return True

    def run(self) -> None:
        tenant, record = self.apply_tenant()
        self.plan.tenant = tenant
        set_tenant(self.session, tenant.id)
        self.nodes = {n.code: n for n in self.session.scalars(select(Node))}
        self.codes = {n.id: code for code, n in self.nodes.items()}
        for spec in self.manifest.iter_nodes():
            self.apply_node(tenant, spec)
        self.apply_users(tenant)
        self.apply_departments()
        self.apply_task_rules(tenant)
        self.apply_work_calendar()
        self.apply_assessment()
        self.absent_nodes()
        self.record_apply(tenant, record)

    # tenant

    def apply_tenant(self) -> tuple[Tenant, AppliedManifest | None]:
        m = self.manifest
        tenant = self.session.scalar(select(Tenant).where(Tenant.slug == m.slug))
        if tenant is None:
            try:
                tenant = tenancy.create_tenant(
                    self.session,
                    self.actor,
                    slug=m.slug,
                    name=m.name,
                    level_names=m.levels,
                    settings=m.settings or {},
                    modules=m.modules,
                    time_zone=m.time_zone or DEFAULT_TIME_ZONE,
                )
            except DomainError as exc:
                raise self.refuse((_TENANT_KEYS.get(exc.field or "", "slug"),), exc) from exc
            self.change("+", "tenant", m.slug, f"{m.name} (levels {'/'.join(m.levels)})")
            self.record = {}
            return tenant, None
        with tenant_scope(self.session, tenant.id):
            record = self.session.scalar(select(AppliedManifest))
        self.record = dict(record.state) if record is not None else None
        current = {
            "name": tenant.name,
            "levels": list(tenant.level_names),
            "modules": list(tenant.modules),
            "settings": dict(tenant.settings),
            "time_zone": tenant.time_zone,
        }
        last = current if self.record is None else dict(self.record.get("tenant") or {})
        updates: dict[str, Any] = {}
        if self.settle("tenant", m.slug, "name", m.name, last, tenant.name):
            updates["name"] = m.name
        if self.settle("tenant", m.slug, "levels", m.levels, last, current["levels"]):
            updates["level_names"] = m.levels
        modules = self.merge_modules(
            m.modules,
            self.last_list(last.get("modules", []), m.modules, current["modules"]),
            current["modules"],
        )
        if modules != current["modules"]:
            updates["modules"] = modules
        if m.settings is not None:
            settings = self.merge_settings(
                m.settings, last.get("settings", {}), current["settings"], "settings"
            )
            if settings != current["settings"]:
                updates["settings"] = settings
        if m.time_zone is not None:
            zone = m.time_zone.strip()
            if self.settle("tenant", m.slug, "time_zone", zone, last, current["time_zone"]):
                updates["time_zone"] = zone
        if updates:
            try:
                counties.update_tenant(self.session, self.actor, tenant, **updates)
            except DomainError as exc:
                raise self.refuse((_TENANT_KEYS.get(exc.field or "", "name"),), exc) from exc
        return tenant, record

    def merge_modules(self, wanted: list[str], last: list[str], current: list[str]) -> list[str]:
        merge = merge_set(wanted, last, current)
        slug = self.manifest.slug
        result = list(current) + merge.add
        if merge.add:
            self.change("~", "tenant", slug, "modules " + " ".join(f"+{m}" for m in merge.add))
        if merge.take:
            line = "modules " + " ".join(f"-{m}" for m in merge.take)
            if self.take("tenant", slug, line, keeps=(("tenant", "modules"), merge.take)):
                result = [m for m in result if m not in merge.take]
        self.keep_set("tenant", slug, "modules", merge)
        return result

    def merge_settings(
        self, wanted: dict[str, Any], last: Any, current: dict[str, Any], where: str
    ) -> dict[str, Any]:
        """Settings key by key (nested mappings too): each key is a field of its own."""
        last = last if isinstance(last, dict) else {}
        slug = self.manifest.slug
        result = dict(current)
        for key, value in wanted.items():
            path = f"{where}.{key}"
            have = current.get(key, MISSING)
            if isinstance(value, dict) and isinstance(have, dict):
                result[key] = self.merge_settings(value, last.get(key), have, path)
                continue
            shown = _show_setting
            if self.settle(
                "tenant", slug, path, value, {path: last.get(key, MISSING)}, have, shown=shown
            ):
                result[key] = value
        for key in sorted(k for k in current if k not in wanted):
            path = f"{where}.{key}"
            if key in last:
                keeps = (("tenant", *where.split("."), key), last[key])
                detail = f"{path} removed (no longer in the manifest)"
                if self.take("tenant", slug, detail, keeps=keeps):
                    del result[key]
            else:
                self.keep("tenant", slug, f"{path} kept: set in the portal or API")
        return result

    def keep_set(self, kind: str, key: str, name: str, merge: SetMerge) -> None:
        if merge.kept_added:
            added = " ".join(f"+{m}" for m in merge.kept_added)
            self.keep(kind, key, f"{name} {added} kept: added in the portal")
        if merge.kept_removed:
            removed = " ".join(f"-{m}" for m in merge.kept_removed)
            self.keep(kind, key, f"{name} {removed} kept off: removed in the portal")

    def record_apply(self, tenant: Tenant, record: AppliedManifest | None) -> None:
        """Remember what the file said, and write the apply to the county's audit log."""
        state = applied_state(self.manifest)
        for path, value in self.carried:
            _carry(state, path, value)
        source = Path(self.manifest.source).name[:255]
        if record is None:
            self.session.add(
                AppliedManifest(
                    tenant_id=tenant.id, source=source, digest=self.manifest.digest, state=state
                )
            )
        elif record.state != state or record.digest != self.manifest.digest:
            record.state, record.digest, record.source = state, self.manifest.digest, source
            record.applied_at = utcnow()
        done = self.plan.changes + (self.plan.removals if self.prune else [])
        if not done:
            return
        audit.record(
            self.session,
            self.actor,
            "manifest.apply",
            "tenant",
            tenant.id,
            after={
                "file": source,
                "sha256": self.manifest.digest,
                "prune": self.prune,
                "created": sum(1 for c in done if c.action == "+"),
                "changed": sum(1 for c in done if c.action == "~"),
                "taken_away": sum(1 for c in done if c.action == "-"),
                "not_taken_away": 0 if self.prune else len(self.plan.removals),
                "kept": len(self.plan.kept),
                "lines": [str(c) for c in done[:AUDIT_LINES]],
            },
        )

    # nodes

    def apply_node(self, tenant: Tenant, spec: NodeSpec) -> None:
        node = self.nodes.get(spec.code)
        parent = self.nodes[spec.parent_code] if spec.parent_code else None
        try:
            if node is None:
                if spec.parent_code in self.kept_retired:
                    raise DomainError(
                        _("上级节点 %(c)s 已在门户中撤销，不能在它下面新建节点", c=spec.parent_code)
                    )
                self.nodes[spec.code] = hierarchy.create_node(
                    self.session,
                    tenant,
                    self.actor,
                    parent=parent,
                    code=spec.code,
                    name=spec.name,
                    boundary=None if spec.boundary is MISSING else spec.boundary,
                )
                self.codes[self.nodes[spec.code].id] = spec.code
                under = f"under {parent.code}" if parent else "top level"
                self.change("+", "node", spec.code, f"{spec.name} ({under})")
                return
            self.update_node(spec, node, parent)
        except DomainError as exc:
            raise self.refuse(spec.path, exc) from exc

    def update_node(self, spec: NodeSpec, node: Node, parent: Node | None) -> None:
        if node.is_retired:
            if self.owns("nodes", node.code):
                self.kept_retired.add(node.code)
                self.keep(
                    "node",
                    node.code,
                    f"{node.name}: retired in the portal, kept retired (take it out of the file)",
                )
                return
            raise DomainError(
                _(
                    "编码 %(c)s 属于已撤销的节点“%(n)s”，不能再用，请换一个编码",
                    c=node.code,
                    n=node.name,
                )
            )
        if node.level != spec.level:
            raise DomainError(
                _(
                    "节点 %(c)s 现在是“%(was)s”一级，清单把它放在“%(now)s”一级：移动不能改变层级",
                    c=node.code,
                    was=self.manifest.levels[node.level],
                    now=self.manifest.levels[spec.level],
                )
            )
        current = {
            "name": node.name,
            "parent": self.codes.get(node.parent_id) if node.parent_id else None,
            "boundary": boundary_digest(node.boundary),
        }
        last = self.last_of("nodes", node.code, current)
        # Under a parent the portal retired, the node stays where the portal put it.
        if (
            parent is not None
            and parent.code not in self.kept_retired
            and self.settle(
                "node",
                node.code,
                "parent",
                spec.parent_code,
                last,
                current["parent"],
                label="moved",
            )
        ):
            hierarchy.move_node(self.session, self.actor, node, parent)
        if self.settle("node", node.code, "name", spec.name, last, node.name):
            hierarchy.update_node(self.session, self.actor, node, name=spec.name)
        if spec.boundary is not MISSING and self.settle(
            "node",
            node.code,
            "boundary",
            boundary_digest(spec.boundary),
            last,
            current["boundary"],
            shown=lambda digest: "none" if digest is None else "polygon",
        ):
            hierarchy.update_node(self.session, self.actor, node, boundary=spec.boundary)

    def absent_nodes(self) -> None:
        listed = {spec.code for spec in self.manifest.iter_nodes()}
        absent = [n for n in self.nodes.values() if n.code not in listed and not n.is_retired]
        # Deepest first: a node can be retired only once nothing active hangs below it.
        for node in sorted(absent, key=lambda n: (-n.level, n.code)):
            if not self.owns("nodes", node.code):
                self.keep(
                    "node",
                    node.code,
                    f"{node.name}: not in the manifest (added in the portal), kept",
                )
                continue
            blockers = _node_blockers(self.session, node)
            detail = f"{node.name} retired (no longer in the manifest)"
            if blockers and not self.prune:
                detail += f"; --prune would refuse: {blockers}"
            view = {"name": node.name}
            keeps = (("nodes", node.code), self.last_of("nodes", node.code, view))
            if not self.take("node", node.code, detail, keeps=keeps):
                continue
            if blockers:
                raise self.refuse_removal(
                    "nodes",
                    _(
                        "节点 %(c)s（%(n)s）不能撤销：还有 %(what)s，撤销后它们就没有节点可归。"
                        "请先在门户里处理（办结或转走事件、迁走记录，或把它合并到相邻节点），"
                        "或把它写回清单",
                        c=node.code,
                        n=node.name,
                        what=blockers,
                    ),
                )
            try:
                hierarchy.retire_node(self.session, self.actor, node)
            except DomainError as exc:
                raise self.refuse_removal("nodes", f"{node.code}: {exc.message}") from exc

    # users

    def apply_users(self, tenant: Tenant) -> None:
        existing = {
            u.username: u
            for u in self.session.scalars(select(User).options(selectinload(User.assignments)))
        }
        current: dict[str, list[str]] = {
            name: sorted(self.codes[a.node_id] for a in user.assignments)
            for name, user in existing.items()
        }
        listed = {spec.username for spec in self.manifest.users}
        merges: dict[str, SetMerge] = {}
        lasts: dict[str, dict[str, Any]] = {}
        for spec in self.manifest.users:
            user = existing.get(spec.username)
            if user is None:
                continue
            lasts[spec.username] = self.last_of(
                "users", spec.username, _user_view(user, current[spec.username])
            )
            merges[spec.username] = merge_set(
                spec.nodes,
                self.last_list(
                    lasts[spec.username].get("nodes", []), spec.nodes, current[spec.username]
                ),
                current[spec.username],
            )
        # What the file takes away goes first, for everyone: two grid workers swapping grids
        # must not collide halfway (一格一员 is checked on every assignment).
        for spec in self.manifest.users:
            merge = merges.get(spec.username)
            if merge is None or not merge.take:
                continue
            user = existing[spec.username]
            line = "nodes " + " ".join(f"-{c}" for c in merge.take)
            keeps = (("users", spec.username, "nodes"), merge.take)
            if self.take("user", spec.username, line, keeps=keeps):
                for code in merge.take:
                    accounts.unassign(self.session, self.actor, user, self.nodes[code])
            else:
                self.pending_grids.update({code: user.name for code in merge.take})
        for name, user in sorted(existing.items()):
            if name in listed or not user.is_active:
                continue
            if not self.owns("users", name):
                self.keep(
                    "user",
                    name,
                    f"{user.name} ({user.role}): not in the manifest (added in the portal), kept",
                )
                continue
            posts = ", ".join(current[name])
            detail = f"{user.name} ({user.role}) deactivated (no longer in the manifest)"
            keeps = (("users", name), self.last_of("users", name, _user_view(user, [])))
            if self.take(
                "user", name, detail + (f", leaves {posts}" if posts else ""), keeps=keeps
            ):
                self.deactivate(user)
            else:
                self.pending_grids.update({code: user.name for code in current[name]})
        for spec in self.manifest.users:
            user = existing.get(spec.username)
            try:
                if user is None:
                    user = accounts.create_user(
                        self.session,
                        self.actor,
                        username=spec.username,
                        name=spec.name,
                        role=spec.role,
                        phone=None if spec.phone is MISSING else spec.phone,
                    )
                    existing[spec.username] = user
                    self.plan.created_users.append(user)
                    nodes = f" at {', '.join(spec.nodes)}" if spec.nodes else ""
                    self.change("+", "user", spec.username, f"{spec.name} ({spec.role}){nodes}")
                    merges[spec.username] = merge_set(spec.nodes, [], [])
                else:
                    self.update_user(spec, user, lasts[spec.username])
            except DomainError as exc:
                raise self.refuse(_field_path(spec, exc), exc) from exc
        for spec in self.manifest.users:
            user = existing[spec.username]
            merge = merges[spec.username]
            for code in merge.add:
                try:
                    accounts.assign(self.session, self.actor, tenant, user, self.nodes[code])
                except DomainError as exc:
                    path = (*spec.path, "nodes", spec.nodes.index(code))
                    raise self.refuse(path, self.explain_busy_grid(code, exc)) from exc
            if merge.add and spec.username in current:
                self.change(
                    "~", "user", spec.username, "nodes " + " ".join(f"+{c}" for c in merge.add)
                )
            self.keep_set("user", spec.username, "nodes", merge)

    def explain_busy_grid(self, code: str, exc: DomainError) -> DomainError:
        """A grid the file hands to someone else but cannot free without --prune says so."""
        holder = self.pending_grids.get(code)
        if holder is None:
            return exc
        return DomainError(
            _(
                "%(m)s：清单不再把它列在 %(u)s 名下，但去掉分配属于移除，只有加 --prune 才执行",
                m=exc.message,
                u=holder,
            ),
            field=exc.field,
        )

    def update_user(self, spec: UserSpec, user: User, last: dict[str, Any]) -> None:
        updates: dict[str, Any] = {}
        key = spec.username
        if self.settle("user", key, "name", spec.name, last, user.name):
            updates["name"] = spec.name
        if self.settle("user", key, "role", spec.role, last, user.role):
            updates["role"] = spec.role
        if spec.phone is not MISSING and self.settle(
            "user", key, "phone", spec.phone, last, user.phone
        ):
            updates["phone"] = spec.phone
        if not user.is_active:
            self.keep("user", key, f"{user.name}: deactivated in the portal, kept deactivated")
        if updates:
            accounts.update_user(self.session, self.actor, user, **updates)

    def deactivate(self, user: User) -> None:
        """What "remove" means for an account: it can no longer log in and holds no post, but
        it stays, with everything it filed and its history."""
        accounts.update_user(self.session, self.actor, user, is_active=False)
        for assignment in list(user.assignments):
            node = self.session.get(Node, assignment.node_id)
            assert node is not None
            accounts.unassign(self.session, self.actor, user, node)
        for department in departments.departments_of(self.session, user):
            departments.remove_officer(self.session, self.actor, department, user)

    # departments

    def apply_departments(self) -> None:
        existing = {
            d.code: d for d in departments.list_departments(self.session, include_inactive=True)
        }
        users = {u.username: u for u in self.session.scalars(select(User))}
        for spec in self.manifest.departments:
            department = existing.get(spec.code)
            node = self.nodes[spec.node]
            try:
                if department is None:
                    department = departments.create_department(
                        self.session,
                        self.actor,
                        code=spec.code,
                        name=spec.name,
                        node=node,
                        phone=None if spec.phone is MISSING else spec.phone,
                    )
                    self.change("+", "department", spec.code, f"{spec.name} (serves {spec.node})")
                    last: dict[str, Any] = {}
                    had: list[str] = []
                else:
                    had = [u.username for u in departments.officers(self.session, department)]
                    last = self.last_of(
                        "departments", spec.code, self.department_view(department, had)
                    )
                    self.update_department(spec, department, node, last)
                last_officers = self.last_list(last.get("officers", []), spec.officers, had)
                self.apply_officers(spec, department, users, had, last_officers)
            except DomainError as exc:
                field_key = exc.field if exc.field in _DEPARTMENT_KEYS else None
                raise self.refuse((*spec.path, field_key) if field_key else spec.path, exc) from exc
        listed = {spec.code for spec in self.manifest.departments}
        for code, department in sorted(existing.items()):
            if code in listed or not department.is_active:
                continue
            if not self.owns("departments", code):
                self.keep(
                    "department",
                    code,
                    f"{department.name}: not in the manifest (added in the portal), kept",
                )
                continue
            open_tasks = _open_tasks(self.session, Task.department_id == department.id)
            detail = f"{department.name} deactivated (no longer in the manifest)"
            if open_tasks and not self.prune:
                detail += f"; --prune would refuse: {open_tasks} open tasks"
            view = {"name": department.name}
            keeps = (("departments", code), self.last_of("departments", code, view))
            if not self.take("department", code, detail, keeps=keeps):
                continue
            if open_tasks:
                raise self.refuse_removal(
                    "departments",
                    _(
                        "部门 %(c)s（%(n)s）不能停用：还有 %(k)d 件派给它、尚未办结的事件。"
                        "请先在门户里办结或改派，或把它写回清单",
                        c=code,
                        n=department.name,
                        k=open_tasks,
                    ),
                )
            departments.update_department(self.session, self.actor, department, is_active=False)

    def department_view(self, department: Department, officers: list[str]) -> dict[str, Any]:
        return {
            "name": department.name,
            "node": self.codes.get(department.node_id),
            "phone": department.phone,
            "officers": officers,
        }

    def update_department(
        self, spec: DepartmentSpec, department: Department, node: Node, last: dict[str, Any]
    ) -> None:
        updates: dict[str, Any] = {}
        key = spec.code
        if self.settle("department", key, "name", spec.name, last, department.name):
            updates["name"] = spec.name
        current_node = self.department_view(department, [])["node"]
        if self.settle("department", key, "node", spec.node, last, current_node):
            updates["node"] = node
        if spec.phone is not MISSING and self.settle(
            "department", key, "phone", spec.phone, last, department.phone
        ):
            updates["phone"] = spec.phone
        if not department.is_active:
            self.keep(
                "department", key, f"{department.name}: deactivated in the portal, kept deactivated"
            )
        if updates:
            departments.update_department(self.session, self.actor, department, **updates)

    def apply_officers(
        self,
        spec: DepartmentSpec,
        department: Department,
        users: dict[str, User],
        had: list[str],
        last: list[str],
    ) -> None:
        merge = merge_set(spec.officers, last, had)
        if merge.take:
            line = "officers " + " ".join(f"-{u}" for u in merge.take)
            keeps = (("departments", spec.code, "officers"), merge.take)
            if self.take("department", spec.code, line, keeps=keeps):
                for username in merge.take:
                    departments.remove_officer(
                        self.session, self.actor, department, users[username]
                    )
        for username in merge.add:
            departments.add_officer(self.session, self.actor, department, users[username])
        if merge.add:
            self.change(
                "~", "department", spec.code, "officers " + " ".join(f"+{u}" for u in merge.add)
            )
        self.keep_set("department", spec.code, "officers", merge)

    def apply_task_rules(self, tenant: Tenant) -> None:
        """A file with ``task_rules`` owns the county's rule table as a whole: when the file's
        table changed since the last apply it becomes the table (a new version), over edits
        made in the portal since too; when it did not, the portal's edits stand. A file without
        the key leaves the table alone."""
        specs = self.manifest.task_rules
        if specs is None:
            return
        wanted = rule_state(specs)
        current = self.current_rules()
        last = (self.record or {}).get("tenant", {}).get("task_rules", MISSING)
        if self.record is None:
            last = MISSING  # no apply recorded: the file decides, as it always did
        verdict = merge_value(wanted, last, current)
        if verdict == SAME:
            return
        if verdict == PORTAL:
            self.keep("task_rules", "table", "kept: changed in the portal since the file's table")
            return
        before = rules.current_version(self.session)
        try:
            version = rules.replace_rules(
                self.session,
                self.actor,
                tenant,
                reading.registry(),
                specs,
                source="manifest",
                actor_name=str(_("清单 %(f)s", f=Path(self.manifest.source).name)),
            )
        except rules.RulesRefused as exc:
            raise ManifestError(
                self.manifest.source,
                [
                    self.manifest.problem(("task_rules", row, _RULE_KEYS.get(name, name)), message)
                    for row, found in exc.problems.items()
                    for name, message in found.items()
                ],
            ) from exc
        if version is not None and version is not before:
            over = " (over a change made in the portal)" if verdict == OVERRIDE else ""
            self.change("~", "task_rules", f"v{version.number}", f"{len(specs)} rules{over}")

    def apply_assessment(self) -> None:
        """A file with ``assessment`` owns the county's scheme as a whole, like ``task_rules``:
        changed in the file since the last apply, it becomes a new version from the file's
        ``first_month`` (over edits in the portal too); unchanged, the portal's stand."""
        from gridgov.core.assessment.run import catalogue

        raw = self.manifest.assessment
        if raw is None:
            return
        try:
            parsed = schemes.parse_scheme(
                {k: v for k, v in raw.items() if k != "first_month"}, catalogue()
            )
        except schemes.SchemeRefused as exc:
            raise ManifestError(
                self.manifest.source,
                [
                    self.manifest.problem(("assessment", *_scheme_path(name)), message)
                    for name, message in exc.problems.items()
                ],
            ) from exc
        # Compared (and remembered for the next apply) as stored: defaults filled in.
        wanted = {"first_month": raw["first_month"], **parsed.as_dict()}
        self.manifest.assessment = wanted
        latest = next(iter(schemes.versions(self.session)), None)
        current = {"first_month": latest.first_month, **latest.definition} if latest else MISSING
        last = (self.record or {}).get("tenant", {}).get("assessment", MISSING)
        verdict = merge_value(wanted, last, current)
        if verdict == SAME:
            return
        if verdict == PORTAL:
            self.keep("assessment", "scheme", "kept: changed in the portal since the file's")
            return
        try:
            version = schemes.set_scheme(
                self.session,
                self.actor,
                parsed,
                first_month=wanted["first_month"],
                source="manifest",
                actor_name=str(_("清单 %(f)s", f=Path(self.manifest.source).name)),
            )
        except DomainError as exc:
            raise ManifestError(
                self.manifest.source,
                [self.manifest.problem(("assessment", exc.field or "first_month"), exc.message)],
            ) from exc
        if latest is None or version.id != latest.id:
            over = " (over a change made in the portal)" if verdict == OVERRIDE else ""
            self.change(
                "~", "assessment", f"v{version.number}", f"from {wanted['first_month']}{over}"
            )

    def current_rules(self) -> list[dict[str, Any]]:
        version = rules.current_version(self.session)
        if version is None:
            return []
        return rule_state(rules.RuleSpec.of(r) for r in rules.rules_of(self.session, version))

    def apply_work_calendar(self) -> None:
        """Day by day, as the other fields: a day the file changed since the last apply is set
        as it says; a day the portal changed since, and the file did not, stays the portal's;
        a day the file no longer lists is removed only with ``prune``, a day it never listed
        is the portal's."""
        specs = self.manifest.work_calendar
        if specs is None:
            return
        existing = {d.day.isoformat(): d for d in calendar.calendar_days(self.session)}
        current = {day: [d.is_workday, d.note] for day, d in existing.items()}
        recorded = (self.record or {}).get("tenant", {}).get("work_calendar")
        last: dict[str, Any] = current if self.record is None else dict(recorded or {})
        for spec in specs:
            day = spec.day.isoformat()
            wanted = [spec.is_workday, spec.note]
            verdict = merge_value(wanted, last.get(day, MISSING), current.get(day, MISSING))
            what = "workday" if spec.is_workday else "day off"
            if verdict == PORTAL:
                self.keep("calendar", day, "kept: changed in the portal")
                continue
            if verdict == SAME:
                continue
            calendar.set_calendar_day(
                self.session, self.actor, spec.day, is_workday=spec.is_workday, note=spec.note
            )
            over = " (over a change made in the portal)" if verdict == OVERRIDE else ""
            self.change("+" if day not in existing else "~", "calendar", day, what + over)
        listed = {spec.day.isoformat() for spec in specs}
        for day in sorted(set(existing) - listed):
            if day in last:
                keeps = (("tenant", "work_calendar", day), last[day])
                if self.take("calendar", day, "removed (no longer in the manifest)", keeps=keeps):
                    calendar.remove_calendar_day(self.session, self.actor, existing[day].day)
            else:
                self.keep("calendar", day, "kept: set in the portal or API")


# At most this many plan lines go into the audit event of one apply (the counts are complete).
AUDIT_LINES = 200


def _carry(state: dict[str, Any], path: KeyPath, value: Any) -> None:
    """Put back into ``state`` what an apply without --prune did not take away: members of a
    list are added to it, anything else is set at ``path``."""
    *parents, last = path
    here: Any = state
    for part in parents:
        here = here.setdefault(part, {})
    if isinstance(value, list) and isinstance(here.get(last), list):
        here[last] = here[last] + [v for v in value if v not in here[last]]
    else:
        here[last] = value


def _user_view(user: User, nodes: list[str]) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "phone": user.phone, "nodes": nodes}


def _open_tasks(session: Session, *where: Any) -> int:
    return (
        session.scalar(select(func.count()).select_from(Task).where(Task.is_open.is_(True), *where))
        or 0
    )


# Records filed under a node that would have no node to belong to once it is retired.
_FILED_UNDER: tuple[tuple[Any, str], ...] = (
    (Person, "位登记人员"),
    (Household, "户"),
    (Dwelling, "处房屋"),
    (Site, "个单位场所"),
)


def _node_blockers(session: Session, node: Node) -> str:
    """What retiring ``node`` would leave without a node (empty when nothing would)."""
    found: list[str] = []
    tasks = _open_tasks(session, or_(Task.node_id == node.id, Task.current_node_id == node.id))
    if tasks:
        found.append(f"{tasks} 件未办结的事件")
    for model, label in _FILED_UNDER:
        n = session.scalar(select(func.count()).select_from(model).where(model.node_id == node.id))
        if n:
            found.append(f"{n} {label}")
    serving = session.scalar(
        select(func.count())
        .select_from(Department)
        .where(Department.node_id == node.id, Department.is_active.is_(True))
    )
    if serving:
        found.append(f"{serving} 个在用部门")
    return "、".join(found)


def _show_setting(value: Any) -> str:
    if value is MISSING:
        return "-"
    return _show("settings", value)

    # the county's rule table and work calendar (``task_rules``, ``work_calendar``)


def rule_state(specs: Iterable[Any]) -> list[dict[str, Any]]:
    """A rule table as ``applied_manifests.state`` keeps it: its rows in a stable order, with
    hours and points as the table stores them."""
    rows = []
    for spec in specs:
        row = dataclasses.asdict(spec)
        for name in ("hours", "yellow_points", "red_points"):
            if row.get(name) is not None:
                row[name] = round(float(row[name]), 2)
        rows.append(row)
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True, ensure_ascii=False))


# Rule-table field names -> manifest keys.
_RULE_KEYS = {"escalate_to_level": "escalate_to"}


# Service field names -> manifest keys, to point at the right line.
_TENANT_KEYS = {
    "slug": "slug",
    "name": "name",
    "level_names": "levels",
    "modules": "modules",
    "settings": "settings",
    "time_zone": "time_zone",
}
_USER_KEYS = frozenset({"username", "name", "role", "phone", "nodes"})
_DEPARTMENT_KEYS = frozenset({"code", "name", "phone"})


def _field_path(spec: UserSpec, exc: DomainError) -> KeyPath:
    return (*spec.path, exc.field) if exc.field in _USER_KEYS else spec.path


def _show(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key == "phone":
        return str(mask_value("phone", value))
    if isinstance(value, list):
        return "/".join(str(v) for v in value) or "[]"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


# --- initial passwords -----------------------------------------------------------------------


def issue_initial_passwords(
    session: Session, plan: Plan, *, actor: Actor = None, password: str | None = None
) -> list[tuple[User, str]]:
    """Give each user the plan created a password and return them with it, to be handed over
    once: a random one to be changed at first login, or ``password`` (the demo's, shared by
    its accounts and kept). Nothing to do after a dry run."""
    if plan.tenant is None or not plan.created_users:
        return []
    issued: list[tuple[User, str]] = []
    # One shared password (the demo's) is hashed once for all: argon2 is slow on purpose.
    shared_hash = hash_password(password) if password is not None else None
    with tenant_scope(session, plan.tenant.id):
        for user in plan.created_users:
            if password is None:
                secret = one_time_password(user.username)
                accounts.set_password(session, actor, user, secret, one_time=True)
            else:
                secret = password
                accounts.set_password(session, actor, user, secret, hashed=shared_hash)
            issued.append((user, secret))
        session.flush()
    return issued
