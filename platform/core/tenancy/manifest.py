"""Tenant manifests: a county's levels, node tree, staff and modules in one YAML file, checked
with the line of every problem and applied idempotently through the services.

Rules a county can rely on:
- unknown keys are errors; a bad file changes nothing;
- nodes, users and departments are matched by ``code``, ``username`` and ``code``; applying
  a file twice changes nothing the second time;
- an optional field left out (``boundary``, ``phone``, ``settings``) is left as it is in the
  database, so the portal may maintain it; ``null`` clears a boundary or phone, ``{}`` the
  settings;
- nodes in the database that the file does not mention are kept and reported, and retired only
  when the caller asks to prune; users it does not mention are kept, and a user it lists is
  attached to exactly the nodes it lists; whether an account is active is the portal's business;
- departments it does not mention are kept; a department it lists has exactly the officers it
  lists (usernames of department officers);
- passwords never come from the file: new users get theirs from ``issue_initial_passwords``;
- ``task_rules`` (the county's rule table: stage limits, card thresholds, escalation and card
  points per task type, category, level and stage) and ``work_calendar`` (local holidays and
  调休 working days) are optional: left out, the portal and API maintain them; listed, the
  rule table becomes exactly the file's (a new version when it differs) and each listed day is
  set as the file says, days it does not list kept unless the caller asks to prune.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.passwords import check_strength
from gridgov.core.audit.service import Actor, mask_value
from gridgov.core.db import current_tenant_id, set_tenant, tenant_scope
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.geo import validate_boundary
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.tasks import calendar, rules
from gridgov.core.tasks import service as tasks
from gridgov.core.tasks.rules import RuleSpec
from gridgov.core.tenancy import service as tenancy
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
    departments: list[DepartmentSpec] = field(default_factory=list)
    # None: the file leaves the county's rule table / calendar overrides alone.
    task_rules: list[RuleSpec] | None = None
    work_calendar: list[CalendarDaySpec] | None = None
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
    departments = fields.List(
        fields.Nested(DepartmentSchema), load_default=list, error_messages=_LIST_MESSAGES
    )
    task_rules = fields.List(fields.Nested(TaskRuleSchema), error_messages=_LIST_MESSAGES)
    work_calendar = fields.List(fields.Nested(CalendarDaySchema), error_messages=_LIST_MESSAGES)


# --- reading a file --------------------------------------------------------------------------


def load_manifest(path: str | Path) -> Manifest:
    """Read and check the manifest file at ``path``; raises ManifestError."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(source, [Problem(None, "", str(exc))]) from exc
    return parse_manifest(text, source=source)


def parse_manifest(text: str, *, source: str = "<manifest>") -> Manifest:
    """Parse and check manifest ``text``; raises ManifestError listing every problem by line."""
    try:
        document = YAML(typ="rt").load(text)
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
        hierarchy.validate_level_names(manifest.levels)
        depth = len(manifest.levels)
    except DomainError as exc:
        add(("levels",), exc.message)
        depth = hierarchy.MAX_LEVELS

    nodes: dict[str, NodeSpec] = {}
    for spec in manifest.iter_nodes():
        if spec.code in nodes:
            first = manifest.line_of((*nodes[spec.code].path, "code"))
            add(
                (*spec.path, "code"),
                _("编码 %(c)s 重复（第 %(l)s 行已用过）", c=spec.code, l=first),
            )
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

    if manifest.settings is not None:
        try:
            json.dumps(manifest.settings)
        except (TypeError, ValueError):
            add(("settings",), _("settings 只能包含文字、数字、真假值、列表和映射（日期请加引号）"))
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


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One line of a plan: ``+`` create, ``~`` change, ``-`` retire, ``=`` kept as it is."""

    action: str
    kind: str  # tenant, node, user, department
    key: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.key} {self.detail}".rstrip()


@dataclass
class Plan:
    """What applying a manifest changes (or, in a dry run, would change)."""

    source: str
    slug: str
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    kept: list[Change] = field(default_factory=list)  # in the database, not in the manifest
    tenant: Tenant | None = None  # None after a dry run that would create the tenant
    created_users: list[User] = field(default_factory=list)  # empty after a dry run

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def lines(self) -> list[str]:
        return [str(c) for c in self.changes + self.kept]

    def summary(self) -> str:
        counts = {a: sum(1 for c in self.changes if c.action == a) for a in "+~-"}
        return (
            f"{self.slug}: {counts['+']} to create, {counts['~']} to change, "
            f"{counts['-']} to retire, {len(self.kept)} not in manifest (kept)"
        )


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
    The caller commits. ``prune`` retires active nodes the manifest does not mention.
    """
    plan = Plan(source=manifest.source, slug=manifest.slug, dry_run=dry_run)
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

    def refuse(self, path: KeyPath, exc: DomainError) -> ManifestError:
        return ManifestError(self.manifest.source, [self.manifest.problem(path, exc.message)])

    def change(self, action: str, kind: str, key: str, detail: str = "") -> None:
        self.plan.changes.append(Change(action, kind, key, detail))

    def run(self) -> None:
        tenant = self.apply_tenant()
        self.plan.tenant = tenant
        set_tenant(self.session, tenant.id)
        self.nodes = {n.code: n for n in self.session.scalars(select(Node))}
        for spec in self.manifest.iter_nodes():
            self.apply_node(tenant, spec)
        self.absent_nodes()
        self.apply_users(tenant)
        self.apply_departments()
        self.apply_task_rules(tenant)
        self.apply_work_calendar()

    # tenant

    def apply_tenant(self) -> Tenant:
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
                )
            except DomainError as exc:
                raise self.refuse((_TENANT_KEYS.get(exc.field or "", "slug"),), exc) from exc
            self.change("+", "tenant", m.slug, f"{m.name} (levels {'/'.join(m.levels)})")
            return tenant
        wanted: dict[str, Any] = {
            "name": m.name,
            "level_names": m.levels,
            "modules": m.modules,
        }
        if m.settings is not None:
            wanted["settings"] = m.settings
        updates = {k: v for k, v in wanted.items() if getattr(tenant, k) != v}
        if not updates:
            return tenant
        try:
            tenancy.update_tenant(self.session, self.actor, tenant, **updates)
        except DomainError as exc:
            raise self.refuse((_TENANT_KEYS.get(exc.field or "", "name"),), exc) from exc
        for key, value in updates.items():
            self.change("~", "tenant", m.slug, f"{_TENANT_KEYS[key]}: {_show(key, value)}")
        return tenant

    # nodes

    def apply_node(self, tenant: Tenant, spec: NodeSpec) -> None:
        node = self.nodes.get(spec.code)
        parent = self.nodes[spec.parent_code] if spec.parent_code else None
        try:
            if node is None:
                self.nodes[spec.code] = hierarchy.create_node(
                    self.session,
                    tenant,
                    self.actor,
                    parent=parent,
                    code=spec.code,
                    name=spec.name,
                    boundary=None if spec.boundary is MISSING else spec.boundary,
                )
                under = f"under {parent.code}" if parent else "top level"
                self.change("+", "node", spec.code, f"{spec.name} ({under})")
                return
            self.update_node(spec, node, parent)
        except DomainError as exc:
            raise self.refuse(spec.path, exc) from exc

    def update_node(self, spec: NodeSpec, node: Node, parent: Node | None) -> None:
        if node.is_retired:
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
        if parent is not None and node.parent_id != parent.id:
            old = self.session.get(Node, node.parent_id) if node.parent_id else None
            hierarchy.move_node(self.session, self.actor, node, parent)
            self.change("~", "node", node.code, f"moved {old.code if old else '-'} → {parent.code}")
        if node.name != spec.name:
            old_name = node.name
            hierarchy.update_node(self.session, self.actor, node, name=spec.name)
            self.change("~", "node", node.code, f"name {old_name} → {spec.name}")
        if spec.boundary is not MISSING and spec.boundary != node.boundary:
            what = (
                "set"
                if node.boundary is None
                else "cleared"
                if spec.boundary is None
                else "changed"
            )
            hierarchy.update_node(self.session, self.actor, node, boundary=spec.boundary)
            self.change("~", "node", node.code, f"boundary {what}")

    def absent_nodes(self) -> None:
        listed = {spec.code for spec in self.manifest.iter_nodes()}
        absent = [n for n in self.nodes.values() if n.code not in listed and not n.is_retired]
        # Deepest first: a node can be retired only once nothing active hangs below it.
        for node in sorted(absent, key=lambda n: (-n.level, n.code)):
            if not self.prune:
                self.plan.kept.append(
                    Change("=", "node", node.code, f"{node.name}: not in manifest, kept")
                )
                continue
            try:
                hierarchy.retire_node(self.session, self.actor, node)
            except DomainError as exc:
                raise ManifestError(
                    self.manifest.source,
                    [Problem(None, "nodes", f"{node.code}: {exc.message}")],
                ) from exc
            self.change("-", "node", node.code, f"{node.name} retired (not in manifest)")

    # users

    def apply_users(self, tenant: Tenant) -> None:
        existing = {
            u.username: u
            for u in self.session.scalars(select(User).options(selectinload(User.assignments)))
        }
        codes_by_id = {n.id: code for code, n in self.nodes.items()}
        current: dict[str, set[str]] = {
            name: {codes_by_id[a.node_id] for a in user.assignments}
            for name, user in existing.items()
        }
        # Removals first, for everyone: two grid workers swapping grids must not collide with
        # each other halfway (一格一员 is checked on every assignment).
        for spec in self.manifest.users:
            user = existing.get(spec.username)
            if user is None:
                continue
            for code in sorted(current[spec.username] - set(spec.nodes)):
                accounts.unassign(self.session, self.actor, user, self.nodes[code])
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
                else:
                    self.update_user(spec, user)
            except DomainError as exc:
                raise self.refuse(_field_path(spec, exc), exc) from exc
        for spec in self.manifest.users:
            user = existing[spec.username]
            had = current.get(spec.username, set())
            for j, code in enumerate(spec.nodes):
                if code in had:
                    continue
                try:
                    accounts.assign(self.session, self.actor, tenant, user, self.nodes[code])
                except DomainError as exc:
                    raise self.refuse((*spec.path, "nodes", j), exc) from exc
            if spec.username in current:
                added = [f"+{c}" for c in spec.nodes if c not in had]
                removed = [f"-{c}" for c in sorted(had - set(spec.nodes))]
                if added or removed:
                    self.change("~", "user", spec.username, "nodes " + " ".join(added + removed))
        listed = {spec.username for spec in self.manifest.users}
        for name, user in sorted(existing.items()):
            if name not in listed and user.is_active:
                self.plan.kept.append(
                    Change("=", "user", name, f"{user.name} ({user.role}): not in manifest, kept")
                )

    def update_user(self, spec: UserSpec, user: User) -> None:
        updates: dict[str, Any] = {}
        if user.name != spec.name:
            updates["name"] = spec.name
        if user.role != spec.role:
            updates["role"] = spec.role
        if spec.phone is not MISSING and user.phone != spec.phone:
            updates["phone"] = spec.phone
        if not updates:
            return
        before = {key: getattr(user, key) for key in updates}
        accounts.update_user(self.session, self.actor, user, **updates)
        for key, value in updates.items():
            self.change(
                "~",
                "user",
                spec.username,
                f"{key} {_show(key, before[key])} → {_show(key, value)}",
            )

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
                else:
                    self.update_department(spec, department, node)
                self.apply_officers(spec, department, [users[u] for u in spec.officers])
            except DomainError as exc:
                field_key = exc.field if exc.field in _DEPARTMENT_KEYS else None
                raise self.refuse((*spec.path, field_key) if field_key else spec.path, exc) from exc
        listed = {spec.code for spec in self.manifest.departments}
        for code, department in sorted(existing.items()):
            if code not in listed and department.is_active:
                self.plan.kept.append(
                    Change("=", "department", code, f"{department.name}: not in manifest, kept")
                )

    def update_department(self, spec: DepartmentSpec, department: Department, node: Node) -> None:
        updates: dict[str, Any] = {}
        if department.name != spec.name:
            updates["name"] = spec.name
        if department.node_id != node.id:
            updates["node"] = node
        if spec.phone is not MISSING and department.phone != spec.phone:
            updates["phone"] = spec.phone
        if not updates:
            return
        departments.update_department(self.session, self.actor, department, **updates)
        shown = {key: spec.node if key == "node" else value for key, value in updates.items()}
        for key, value in shown.items():
            self.change("~", "department", spec.code, f"{key} → {_show(key, value)}")

    def apply_officers(
        self, spec: DepartmentSpec, department: Department, wanted: list[User]
    ) -> None:
        had = {u.username for u in departments.officers(self.session, department)}
        if had == set(spec.officers):
            return
        departments.set_officers(self.session, self.actor, department, wanted)
        added = [f"+{u}" for u in spec.officers if u not in had]
        removed = [f"-{u}" for u in sorted(had - set(spec.officers))]
        self.change("~", "department", spec.code, "officers " + " ".join(added + removed))

    # the county's rule table and work calendar (``task_rules``, ``work_calendar``)

    def apply_task_rules(self, tenant: Tenant) -> None:
        """A file with ``task_rules`` makes them the county's table (a new version when they
        differ from the one in force); a file without the key leaves the table alone."""
        specs = self.manifest.task_rules
        if specs is None:
            return
        before = rules.current_version(self.session)
        try:
            version = rules.replace_rules(
                self.session,
                self.actor,
                tenant,
                tasks.registry(),
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
            self.change("~", "task_rules", f"v{version.number}", f"{len(specs)} rules")

    def apply_work_calendar(self) -> None:
        """Each day the file lists becomes a working day or a day off as it says; days it does
        not list are kept (and reported), removed only with ``prune``."""
        specs = self.manifest.work_calendar
        if specs is None:
            return
        existing = {d.day: d for d in calendar.calendar_days(self.session)}
        for spec in specs:
            found = existing.get(spec.day)
            if found is not None and (found.is_workday, found.note) == (spec.is_workday, spec.note):
                continue
            calendar.set_calendar_day(
                self.session, self.actor, spec.day, is_workday=spec.is_workday, note=spec.note
            )
            what = "workday" if spec.is_workday else "day off"
            self.change("+" if found is None else "~", "calendar", spec.day.isoformat(), what)
        listed = {spec.day for spec in specs}
        for day in sorted(set(existing) - listed):
            if self.prune:
                calendar.remove_calendar_day(self.session, self.actor, day)
                self.change("-", "calendar", day.isoformat(), "removed (not in manifest)")
            else:
                self.plan.kept.append(
                    Change("=", "calendar", day.isoformat(), "not in manifest, kept")
                )


# Rule-table field names -> manifest keys.
_RULE_KEYS = {"escalate_to_level": "escalate_to"}


# Service field names -> manifest keys, to point at the right line.
_TENANT_KEYS = {
    "slug": "slug",
    "name": "name",
    "level_names": "levels",
    "modules": "modules",
    "settings": "settings",
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

# No 0/O, 1/l/I: initial passwords are read off a screen and typed on a phone.
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "-_.!@#%"


def initial_password(length: int = 14) -> str:
    """A random password meeting the complexity rule (all four character classes)."""
    rng = secrets.SystemRandom()
    alphabet = _LOWER + _UPPER + _DIGITS + _SYMBOLS
    chars = [rng.choice(s) for s in (_LOWER, _UPPER, _DIGITS, _SYMBOLS)]
    chars += [rng.choice(alphabet) for _ in range(length - len(chars))]
    rng.shuffle(chars)
    return "".join(chars)


def issue_initial_passwords(
    session: Session, plan: Plan, *, actor: Actor = None, password: str | None = None
) -> list[tuple[User, str]]:
    """Give each user the plan created a password (random, or ``password`` for the demo) and
    return them with it, to be shown once. Nothing to do after a dry run."""
    if plan.tenant is None or not plan.created_users:
        return []
    issued: list[tuple[User, str]] = []
    with tenant_scope(session, plan.tenant.id):
        for user in plan.created_users:
            secret = password
            while secret is None:
                candidate = initial_password()
                try:
                    check_strength(candidate, username=user.username)
                    secret = candidate
                except DomainError:
                    continue  # the random string happened to contain the username
            accounts.set_password(session, actor, user, secret)
            issued.append((user, secret))
        session.flush()
    return issued
