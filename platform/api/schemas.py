"""Marshmallow schemas of the REST API: what each endpoint accepts and answers.

Field names are the identifiers of DOMAIN.md. Validation here is about shape (types, required
fields); the rules (codes, boundaries, roles, passwords) are checked by the services, which
name the field at fault.
"""

from __future__ import annotations

import copy
import math
from typing import Any, ClassVar

import marshmallow as ma
from flask import g, has_app_context
from marshmallow import fields, validate

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role
from gridgov.core.accounts.service import role_label
from gridgov.core.audit.service import mask_personal
from gridgov.core.db import utcnow
from gridgov.core.files import runs
from gridgov.core.files import service as files
from gridgov.core.i18n import _, current_locale, force_locale
from gridgov.core.text import MAX_ID, MAX_INT, MIN_INT, bad_character

# marshmallow's messages in Chinese. Made plain text when a schema is built: marshmallow
# formats and collects only real strings.
_FIELD_MESSAGES: list[tuple[type[fields.Field], dict[str, Any]]] = [
    (
        fields.Field,
        {"required": _("缺少此字段"), "null": _("不能为 null"), "validator_failed": _("取值无效")},
    ),
    (fields.String, {"invalid": _("必须是文本")}),
    (fields.Number, {"invalid": _("必须是数字"), "too_large": _("数值过大")}),
    (fields.Integer, {"invalid": _("必须是整数")}),
    (fields.Boolean, {"invalid": _("必须是 true 或 false")}),
    (fields.Mapping, {"invalid": _("必须是 JSON 对象")}),
    (fields.List, {"invalid": _("必须是列表")}),
    (fields.DateTime, {"invalid": _("必须是 ISO 8601 日期时间，如 2024-05-01T08:00:00+08:00")}),
    (fields.Nested, {"type": _("必须是 JSON 对象")}),
]


_MessagesByKind = tuple[tuple[type[fields.Field], dict[str, str]], ...]
_field_messages: dict[str, _MessagesByKind] = {}


def _field_messages_in(locale: str) -> _MessagesByKind:
    # Every schema of every request binds its fields, and each field took these messages: the
    # same words for a locale, translated once (in an app, where the catalogue is at hand).
    found = _field_messages.get(locale)
    if found is None:
        with force_locale(locale):
            found = tuple(
                (kind, {key: str(text) for key, text in messages.items()})
                for kind, messages in _FIELD_MESSAGES
            )
        if has_app_context():
            _field_messages[locale] = found
    return found


def _translate(field: fields.Field) -> None:
    for kind, messages in _field_messages_in(current_locale()):
        if isinstance(field, kind):
            field.error_messages.update(messages)
    if isinstance(field, fields.List):
        _translate(field.inner)


ID_RANGE = _("编号须为 1 到 %(max)d 之间的整数", max=MAX_ID)
INT_RANGE = _("须为 %(min)d 到 %(max)d 之间的整数", min=MIN_INT, max=MAX_INT)


class Id(fields.Integer):
    """The id of a stored row (a node, a person, a file …): 1 to 2³¹−1, what the database's
    integer keys hold. A larger number is refused here rather than failing in the database."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=1, max=MAX_ID, error=str(ID_RANGE)), **kwargs)


def latitude_field(**kwargs: Any) -> fields.Float:
    """A WGS 84 latitude: −90 to 90 (infinity and NaN are refused by the field itself)."""
    return fields.Float(
        validate=validate.Range(min=-90, max=90, error=str(_("纬度须在 -90 到 90 之间"))),
        **kwargs,
    )


def longitude_field(**kwargs: Any) -> fields.Float:
    """A WGS 84 longitude: −180 to 180."""
    return fields.Float(
        validate=validate.Range(min=-180, max=180, error=str(_("经度须在 -180 到 180 之间"))),
        **kwargs,
    )


_INT_BOUNDS = validate.Range(min=MIN_INT, max=MAX_INT, error=str(INT_RANGE))


def _checked_text(value: Any) -> Any:
    problem = bad_character(value) if isinstance(value, str) else None
    if problem is not None:
        raise ma.ValidationError(problem)
    return value


def _checked_json(value: Any) -> Any:
    """Free-form JSON (settings, a form's values, a boundary) stored as it came: no control
    characters in its texts and keys, no NaN or infinity (JSON columns refuse them)."""
    if isinstance(value, str):
        _checked_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ma.ValidationError(str(_("数值须为有限的数")))
    elif isinstance(value, dict):
        for key, item in value.items():
            _checked_json(key)
            _checked_json(item)
    elif isinstance(value, list):
        for item in value:
            _checked_json(item)
    return value


def _bound_input(field: fields.Field) -> None:
    """What every input field of every API schema checks, whoever declared it (core or
    module): whole numbers fit the database's integers, texts hold no control characters."""
    if field.dump_only:
        return
    # A new list: a schema's fields are shallow copies of the declared ones, sharing their
    # validators, and each schema instance binds its fields again.
    if isinstance(field, fields.List):
        field.inner = copy.copy(field.inner)
        _bound_input(field.inner)
    elif isinstance(field, fields.Integer) and not isinstance(field, Id):
        field.validators = [*field.validators, _INT_BOUNDS]
    elif isinstance(field, fields.String | fields.Dict):
        # A text, or what a text field parsed (a JSON object sent as form text) and a mapping.
        field.validators = [*field.validators, _checked_json]


class ApiSchema(ma.Schema):
    """Base of every API schema: unknown fields are refused (a typo must not be dropped
    silently) and messages are in Chinese."""

    class Meta:
        unknown = ma.RAISE

    error_messages: ClassVar[dict[str, Any]] = {
        "type": str(_("请求体必须是 JSON 对象")),
        "unknown": str(_("未知字段")),
    }

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _translate(field_obj)
        _bound_input(field_obj)

    # Written here rather than left to marshmallow: its per-field path (the accessor, get_value,
    # the field's own _serialize) cost ~1.4 µs a value, and a page of 50 tasks of 29 fields
    # took 2 ms, a third of a list request's CPU. A plain field (see _plain) is converted
    # inline exactly as marshmallow converts it; every other field, an object read by key (a
    # row, a dict) and a schema with its own get_attribute go through marshmallow as before.
    # tests/api/test_schemas.py compares both on every kind of value.
    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        if many and obj is not None:
            return [self._serialize(one) for one in obj]
        if (
            obj is None
            or hasattr(obj, "__getitem__")
            or type(self).get_attribute is not ma.Schema.get_attribute
        ):
            return super()._serialize(obj)
        plan = self.__dict__.get("_dump_plan")
        if plan is None:
            plan = self._dump_plan = _dump_plan(self)
        found = self.dict_class()
        accessor = self.get_attribute
        for key, name, attribute, convert, field in plan:
            value = ma.missing if convert is None else getattr(obj, attribute, ma.missing)
            if value is ma.missing:  # not plain, or marshmallow's dump_default to apply
                value = field.serialize(name, obj, accessor=accessor)
                if value is ma.missing:
                    continue
            elif value is not None:
                value = convert(value)
            found[key] = value
        return found


def _same(value: Any) -> Any:
    return value


def _plain(field: fields.Field) -> Any:
    """How marshmallow converts a non-None value of ``field`` when that is all it does (its
    exact class, one attribute, numbers not as strings), else None."""
    if field.attribute is not None and "." in field.attribute:
        return None
    kind = type(field)
    if kind is fields.String:
        return ma.utils.ensure_text_type
    if kind in (fields.Integer, fields.Float) and not field.as_string:
        return field.num_type
    if kind is fields.Boolean or kind is fields.Raw:
        return _same
    if kind in (fields.DateTime, fields.AwareDateTime, fields.NaiveDateTime):
        if kind is not fields.DateTime:
            return None  # these convert time zones on the way
        data_format = field.format or field.DEFAULT_FORMAT
        found = field.SERIALIZATION_FUNCS.get(data_format)
        return found or (lambda value: value.strftime(data_format))
    return None


def _dump_plan(schema: ma.Schema) -> list[tuple[str, str, str, Any, fields.Field]]:
    return [
        (
            field.data_key if field.data_key is not None else name,
            name,
            field.attribute or name,
            _plain(field),
            field,
        )
        for name, field in schema.dump_fields.items()
    ]


class QueryArgsSchema(ApiSchema):
    """Query string arguments: other parameters (page, page_size) are read elsewhere."""

    class Meta:
        unknown = ma.EXCLUDE


def _level_name(level: int) -> str | None:
    names = g.tenant.level_names
    return names[level] if 0 <= level < len(names) else None


# --- tenants (operator API) and the county ---------------------------------------------------


class TenantSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    slug = fields.String(dump_only=True, metadata={"description": "URL 标识：/t/<slug>/"})
    name = fields.String(dump_only=True)
    level_names = fields.List(fields.String(), dump_only=True)
    settings = fields.Dict(dump_only=True)
    modules = fields.List(fields.String(), dump_only=True)
    time_zone = fields.String(dump_only=True)
    is_active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class TenantCreateSchema(ApiSchema):
    slug = fields.String(required=True, metadata={"description": "小写字母开头，2–63 位"})
    name = fields.String(required=True, metadata={"maxLength": 200, "description": "如 长山县"})
    level_names = fields.List(
        fields.String(), required=True, metadata={"description": "层级名称，自上而下，2–5 级"}
    )
    settings = fields.Dict(load_default=dict)
    modules = fields.List(fields.String(), load_default=list)
    time_zone = fields.String(
        load_default="Asia/Shanghai",
        metadata={"description": "IANA 时区：本县的日、月、期间按它计算"},
    )


class TenantUpdateSchema(ApiSchema):
    name = fields.String(metadata={"maxLength": 200})
    level_names = fields.List(fields.String())
    settings = fields.Dict()
    modules = fields.List(fields.String())
    time_zone = fields.String(metadata={"description": "IANA 时区，如 Asia/Urumqi"})
    is_active = fields.Boolean()


class CountySchema(ApiSchema):
    """The county as its own users see it."""

    slug = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    level_names = fields.List(fields.String(), dump_only=True)
    modules = fields.List(fields.String(), dump_only=True)
    time_zone = fields.String(dump_only=True)


# --- hierarchy -------------------------------------------------------------------------------


class NodeRefSchema(ApiSchema):
    """A node named in passing (breadcrumbs)."""

    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    level = fields.Integer(dump_only=True)


class CountsSchema(ApiSchema):
    children = fields.Integer(dump_only=True, metadata={"description": "直接下级（在用）"})
    grids = fields.Integer(dump_only=True, metadata={"description": "下辖网格数"})
    staff = fields.Integer(dump_only=True, metadata={"description": "下辖在岗人员数"})


class StoredFileSchema(ApiSchema):
    """An uploaded file (photo, scan, spreadsheet) as lists and uploads show it."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    content_type = fields.String(dump_only=True, metadata={"description": "由文件内容判定"})
    size = fields.Integer(dump_only=True, metadata={"description": "字节"})


class UserRefSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    phone = fields.String(dump_only=True, metadata={"description": "工作电话（公示用）"})


class NodeSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    level = fields.Integer(dump_only=True, metadata={"description": "0 为最高一级"})
    level_name = fields.Function(lambda node: _level_name(node.level), dump_only=True)
    parent_id = fields.Integer(dump_only=True, allow_none=True)
    boundary = fields.Dict(
        dump_only=True, allow_none=True, metadata={"description": "GeoJSON Polygon/MultiPolygon"}
    )
    is_retired = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    retired_at = fields.DateTime(dump_only=True, allow_none=True)


class NodeWithCountsSchema(NodeSchema):
    counts = fields.Nested(CountsSchema, dump_only=True)


class NodeDetailSchema(NodeWithCountsSchema):
    ancestors = fields.List(
        fields.Nested(NodeRefSchema), dump_only=True, metadata={"description": "上级，自上而下"}
    )
    responsible_worker = fields.Nested(
        UserRefSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "本网格的网格员（一格一员）；非网格或空缺时为 null"},
    )


class NodeVersionSchema(ApiSchema):
    """What a node was called and where it hung during a period."""

    node_id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    parent_id = fields.Integer(dump_only=True, allow_none=True)
    level = fields.Integer(dump_only=True)
    change = fields.String(
        dump_only=True,
        metadata={"description": "create/rename/boundary/move/split/merge/retire"},
    )
    boundary = fields.Dict(
        dump_only=True,
        allow_none=True,
        metadata={"description": "这一版的四至界限（GeoJSON，WGS 84）"},
    )
    valid_from = fields.DateTime(dump_only=True)
    valid_to = fields.DateTime(dump_only=True, allow_none=True)
    is_retired = fields.Boolean(dump_only=True)


class NodeListArgsSchema(QueryArgsSchema):
    include_retired = fields.Boolean(load_default=False)


class LocateArgsSchema(QueryArgsSchema):
    lat = latitude_field(required=True, metadata={"description": "纬度（WGS 84）"})
    lng = longitude_field(required=True, metadata={"description": "经度（WGS 84）"})


class LocatedSchema(ApiSchema):
    """The basic grid holding a point, with the nodes above it."""

    grid = fields.Nested(NodeRefSchema, dump_only=True)
    path = fields.List(
        fields.Nested(NodeRefSchema), dump_only=True, metadata={"description": "自上而下，含本网格"}
    )
    in_scope = fields.Boolean(
        dump_only=True, metadata={"description": "调用者能否在这个网格上报、办理"}
    )


class BoundaryImportArgsSchema(QueryArgsSchema):
    dry_run = fields.Boolean(
        load_default=True, metadata={"description": "只检查，不保存（默认）；false：保存"}
    )
    code_field = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "要素中存放节点编码的属性名；不填时依次尝试 code、编码、网格编码 …"
        },
    )


class BoundaryFileSchema(ApiSchema):
    class Meta:
        unknown = ma.EXCLUDE

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class BoundaryProblemSchema(ApiSchema):
    feature = fields.Integer(dump_only=True, metadata={"description": "文件中的第几个要素"})
    code = fields.String(dump_only=True, allow_none=True)
    reason = fields.String(dump_only=True)


class BoundaryOverlapSchema(ApiSchema):
    codes = fields.List(fields.String(), dump_only=True)
    share = fields.Float(dump_only=True, metadata={"description": "重叠面积占较小者的比例"})


class BoundaryGapSchema(ApiSchema):
    code = fields.String(dump_only=True, metadata={"description": "上级节点编码"})
    share = fields.Float(dump_only=True, metadata={"description": "下级未覆盖的面积比例"})


class BoundaryReportSchema(ApiSchema):
    format = fields.String(dump_only=True, metadata={"description": "geojson/kml/kmz/shapefile"})
    features = fields.Integer(dump_only=True)
    matched = fields.List(
        fields.String(), dump_only=True, metadata={"description": "匹配的节点编码"}
    )
    changed = fields.List(
        fields.String(), dump_only=True, metadata={"description": "其中边界有变化的"}
    )
    unmatched = fields.List(fields.Nested(BoundaryProblemSchema), dump_only=True)
    invalid = fields.List(fields.Nested(BoundaryProblemSchema), dump_only=True)
    overlaps = fields.List(fields.Nested(BoundaryOverlapSchema), dump_only=True)
    gaps = fields.List(fields.Nested(BoundaryGapSchema), dump_only=True)
    without_boundary = fields.List(
        fields.String(), dump_only=True, metadata={"description": "同级中仍没有边界的节点编码"}
    )
    stored = fields.Boolean(dump_only=True)


class AsOfArgsSchema(QueryArgsSchema):
    at = fields.DateTime(
        required=True,
        metadata={"description": "ISO 8601；不带时区时按本县时区（默认 Asia/Shanghai）"},
    )


_BOUNDARY_DOC = {"description": "四至界限：GeoJSON Polygon 或 MultiPolygon（WGS 84 经纬度）"}


class NodeCreateSchema(ApiSchema):
    parent_id = Id(load_default=None, allow_none=True, metadata={"description": "null：最高一级"})
    code = fields.String(required=True, metadata={"maxLength": 64})
    name = fields.String(required=True, metadata={"maxLength": 200})
    boundary = fields.Dict(load_default=None, allow_none=True, metadata=_BOUNDARY_DOC)


class NodeUpdateSchema(ApiSchema):
    code = fields.String(metadata={"maxLength": 64})
    name = fields.String(metadata={"maxLength": 200})
    boundary = fields.Dict(
        allow_none=True, metadata={"description": _BOUNDARY_DOC["description"] + "；null 清除"}
    )


class NodeMoveSchema(ApiSchema):
    parent_id = Id(required=True, metadata={"description": "新的上级（高一级）"})


class PartSchema(ApiSchema):
    code = fields.String(required=True, metadata={"maxLength": 64})
    name = fields.String(required=True, metadata={"maxLength": 200})
    boundary = fields.Dict(load_default=None, allow_none=True, metadata=_BOUNDARY_DOC)
    children = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "划给这个新节点的原下级节点的编码"},
    )


class NodeSplitSchema(ApiSchema):
    parts = fields.List(fields.Nested(PartSchema), required=True)


class NodeMergeSchema(ApiSchema):
    node_ids = fields.List(Id(), required=True, metadata={"description": "同一上级下的同级节点"})
    code = fields.String(required=True, metadata={"maxLength": 64})
    name = fields.String(required=True, metadata={"maxLength": 200})
    boundary = fields.Dict(load_default=None, allow_none=True, metadata=_BOUNDARY_DOC)


# --- accounts --------------------------------------------------------------------------------

ROLE_VALUES = [role.value for role in Role]


class AssignmentSchema(ApiSchema):
    node_id = fields.Integer(dump_only=True)
    is_responsible = fields.Boolean(
        dump_only=True, metadata={"description": "是否本网格的责任网格员"}
    )


class UserSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    role = fields.String(dump_only=True, metadata={"enum": ROLE_VALUES})
    role_label = fields.Function(lambda user: role_label(user.role), dump_only=True)
    phone = fields.String(dump_only=True, allow_none=True)
    locale = fields.String(dump_only=True, allow_none=True)
    is_active = fields.Boolean(dump_only=True)
    last_login_at = fields.DateTime(
        dump_only=True, allow_none=True, metadata={"description": "null：从未登录"}
    )
    created_at = fields.DateTime(dump_only=True)
    assignments = fields.List(fields.Nested(AssignmentSchema), dump_only=True)


class TokenSchema(ApiSchema):
    """A token as it is kept: never the token itself (shown once, when it is made)."""

    id = fields.Integer(dump_only=True)
    scope = fields.String(dump_only=True, metadata={"description": "空格分隔的权限范围"})
    description = fields.String(dump_only=True)
    state = fields.Function(
        lambda record: accounts.token_state(record, utcnow()),
        dump_only=True,
        metadata={"enum": ["active", "expired", "revoked"]},
    )
    created_at = fields.DateTime(dump_only=True)
    expires_at = fields.DateTime(dump_only=True, allow_none=True)
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)
    last_used_at = fields.DateTime(
        dump_only=True, allow_none=True, metadata={"description": "null：从未使用"}
    )


class UserCreateSchema(ApiSchema):
    username = fields.String(required=True)
    name = fields.String(required=True, metadata={"maxLength": 100})
    role = fields.String(required=True, metadata={"enum": ROLE_VALUES})
    phone = fields.String(load_default=None, allow_none=True)
    password = fields.String(
        load_default=None,
        allow_none=True,
        load_only=True,
        metadata={"description": "不填则暂不能登录"},
    )
    locale = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["zh_CN", "en"], error=str(_("只能是 zh_CN 或 en"))),
    )


class UserUpdateSchema(ApiSchema):
    name = fields.String(metadata={"maxLength": 100})
    role = fields.String(metadata={"enum": ROLE_VALUES})
    phone = fields.String(allow_none=True)
    is_active = fields.Boolean()
    locale = fields.String(
        allow_none=True,
        validate=validate.OneOf(["zh_CN", "en"], error=str(_("只能是 zh_CN 或 en"))),
    )


class AssignmentsSchema(ApiSchema):
    node_ids = fields.List(
        Id(),
        required=True,
        metadata={"description": "该用户负责的全部节点；未列出的分配将被取消"},
    )


class UserListArgsSchema(QueryArgsSchema):
    role = fields.String(
        validate=validate.OneOf(ROLE_VALUES, error=str(_("未知角色：{input}"))),
    )
    node_id = Id(metadata={"description": "分配在该节点或其下级的人员"})
    is_active = fields.Boolean()


class MeSchema(ApiSchema):
    user = fields.Nested(UserSchema, dump_only=True)
    county = fields.Nested(CountySchema, dump_only=True)
    scopes = fields.List(fields.String(), dump_only=True, metadata={"description": "令牌的权限"})


# --- audit -----------------------------------------------------------------------------------


_MASKED = {"description": "个人信息已脱敏"}


class AuditEventSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    at = fields.DateTime(dump_only=True)
    actor_type = fields.String(
        dump_only=True,
        metadata={"description": "user/operator/console/system/anonymous（命令行；登录失败者）"},
    )
    actor_id = fields.Integer(dump_only=True, allow_none=True)
    actor_name = fields.String(dump_only=True)
    action = fields.String(dump_only=True, metadata={"description": "如 node.split"})
    object_type = fields.String(dump_only=True)
    object_id = fields.String(dump_only=True)
    before = fields.Dict(dump_only=True, allow_none=True, metadata=_MASKED)
    after = fields.Dict(dump_only=True, allow_none=True, metadata=_MASKED)
    ip = fields.String(dump_only=True, allow_none=True)
    seq = fields.Integer(dump_only=True, metadata={"description": "在本县哈希链中的序号"})
    prev_hash = fields.String(dump_only=True, metadata={"description": "前一条记录的哈希"})
    hash = fields.String(
        dump_only=True, metadata={"description": "SHA-256(prev_hash + 本条内容)，可供核验"}
    )

    @ma.post_dump
    def _masked_again(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        # Masked again as read: an event stored in an older, weaker form shows today's.
        for key in ("before", "after"):
            if key in data:
                data[key] = mask_personal(data[key])
        return data


class AuditArgsSchema(QueryArgsSchema):
    object_type = fields.String(metadata={"description": "如 node、user、tenant"})
    object_id = fields.String()
    action = fields.String(metadata={"description": "前缀匹配，如 node. 或 node.split"})


# --- departments -----------------------------------------------------------------------------


class DepartmentSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    node = fields.Nested(
        NodeRefSchema, dump_only=True, metadata={"description": "服务范围：该节点及其下级"}
    )
    phone = fields.String(dump_only=True, allow_none=True, metadata={"description": "值班电话"})
    is_active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    officers = fields.List(
        fields.Nested(UserRefSchema), dump_only=True, metadata={"description": "部门人员"}
    )


class DepartmentCreateSchema(ApiSchema):
    code = fields.String(required=True, metadata={"maxLength": 64})
    name = fields.String(
        required=True, metadata={"maxLength": 200, "description": "如 县消防救援大队"}
    )
    node_id = Id(required=True, metadata={"description": "服务范围的节点（县或乡镇）"})
    phone = fields.String(load_default=None, allow_none=True)


class DepartmentUpdateSchema(ApiSchema):
    name = fields.String(metadata={"maxLength": 200})
    node_id = Id()
    phone = fields.String(allow_none=True)
    is_active = fields.Boolean()


class DepartmentListArgsSchema(QueryArgsSchema):
    include_inactive = fields.Boolean(load_default=False)


class OfficersSchema(ApiSchema):
    user_ids = fields.List(
        Id(),
        required=True,
        metadata={"description": "部门的全部人员（角色须为部门人员）；未列出的将被移除"},
    )


def failure_field() -> fields.Function:
    """Why a file job (an import, an export) failed, for its reader; null unless it failed."""
    return fields.Function(
        runs.failure,
        dump_only=True,
        allow_none=True,
        metadata={"description": "失败时：原因；否则为 null"},
    )


def kept_until_field(file_attribute: str) -> fields.Function:
    """Until when the file a job wrote (an export, rejected rows) is kept before it is deleted,
    in ISO 8601; null when there is no file (not written yet, or already deleted)."""

    def kept_until(run: Any) -> str | None:
        if getattr(run, file_attribute) is None:
            return None
        at = files.kept_until(run.finished_at)
        return at.isoformat() if at is not None else None

    return fields.Function(
        kept_until,
        dump_only=True,
        allow_none=True,
        metadata={"description": "文件保留到此时，之后自动删除（GRIDGOV_KEEP_EXPORTS_DAYS）"},
    )
