"""Marshmallow schemas of the registry API. ID numbers, phones and birth dates are always
answered masked as the caller's role is shown them (gridgov.core.registry.disclosure); the
clear value comes only from the unmask endpoint (a reason, a permission, an audit event)."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import ValidationError, fields, validate

from gridgov.api.access import current_caller
from gridgov.api.schemas import (
    ApiSchema,
    Id,
    QueryArgsSchema,
    failure_field,
    kept_until_field,
    latitude_field,
    longitude_field,
)
from gridgov.core.i18n import _
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import disclosure
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import Person, Relation, ResidenceType, Sex, SiteKind

_ID_DOC = {
    "description": "公民身份号码（18 位，GB 11643 校验）；返回时脱敏，只留地区码，"
    "如 420102************（督导员、职能部门只留省份：42****************）"
}
_PHONE_DOC = {"description": "手机号或带区号的固话；返回时脱敏，只留前 3 位，如 138********"}
_BIRTH_YEAR_DOC = {"description": "出生年份（出生日期不返回：与脱敏的身份证号合起来会泄露号码）"}


def _role() -> str:
    return current_caller().user.role


def _masked(field: PersonalField) -> Any:
    return lambda p: registry.masked_value(p, field, _role())


def _birth_year(person: Person) -> int | None:
    return disclosure.disclosure(_role()).birth(person.birth_date)


def _change_value(index: int) -> Any:
    return lambda c: registry.history_shown(c, _role())[index]


def _choices(enum: type) -> list[str]:
    return [e.value for e in enum]


class PersonSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    residence_type = fields.String(
        dump_only=True, metadata={"description": "registered 户籍 / floating 流动"}
    )
    sex = fields.String(dump_only=True, allow_none=True)
    birth_year = fields.Function(
        _birth_year,
        dump_only=True,
        allow_none=True,
        metadata={"type": "integer", **_BIRTH_YEAR_DOC},
    )
    id_number = fields.Function(_masked(PersonalField.ID_NUMBER), metadata=_ID_DOC)
    phone = fields.Function(_masked(PersonalField.PHONE), metadata=_PHONE_DOC)
    grid_id = fields.Integer(attribute="node_id", dump_only=True)
    dwelling_id = fields.Integer(dump_only=True, allow_none=True)
    household_id = fields.Integer(dump_only=True, allow_none=True)
    relation = fields.String(dump_only=True, allow_none=True)
    tags = fields.Function(lambda p: [t.tag for t in p.tags], dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class PersonFieldsSchema(ApiSchema):
    """What may be set on a person; every value is checked by the service."""

    name = fields.String(metadata={"maxLength": 100})
    residence_type = fields.String(validate=validate.OneOf(_choices(ResidenceType)))
    id_number = fields.String(metadata=_ID_DOC)
    phone = fields.String(metadata=_PHONE_DOC)
    sex = fields.String(validate=validate.OneOf(_choices(Sex)))
    birth_date = fields.Date()
    relation = fields.String(validate=validate.OneOf(_choices(Relation)))


class PersonCreateSchema(PersonFieldsSchema):
    name = fields.String(required=True, metadata={"maxLength": 100})
    grid_id = Id(metadata={"description": "所在网格；给了 household_id 或 dwelling_id 时可省"})
    dwelling_id = Id()
    household_id = Id(metadata={"description": "加入这一户，须同时给 relation"})


class PersonUpdateSchema(PersonFieldsSchema):
    household_id = Id(metadata={"description": "迁入这一户（连同房屋与网格）"})


class PeopleArgsSchema(QueryArgsSchema):
    q = fields.String(
        metadata={
            "description": "姓名前缀（公民身份号码、电话不放在网址里：用 POST /people/search）"
        }
    )
    grid_id = Id()
    tag = fields.String()
    dwelling_id = Id()
    residence_type = fields.String(
        validate=validate.OneOf(_choices(ResidenceType)),
        metadata={"description": "registered 户籍 / floating 流动"},
    )


class PeopleSearchSchema(ApiSchema):
    """The same search as ``GET /people``, in the body: the only way to look for an ID number
    or a phone, so that they never appear in a URL. Such a search is for the roles whose work
    needs it (county, township, station, grid workers), limited per user and audited."""

    q = fields.String(
        load_default="",
        metadata={"description": "姓名前缀，或完整的公民身份号码、电话（精确匹配）"},
    )
    grid_id = Id()
    tag = fields.String()
    dwelling_id = Id()
    residence_type = fields.String(
        validate=validate.OneOf(_choices(ResidenceType)),
        metadata={"description": "registered 户籍 / floating 流动"},
    )


class UnmaskSchema(ApiSchema):
    field = fields.String(required=True, validate=validate.OneOf(_choices(PersonalField)))
    reason = fields.String(required=True, metadata={"description": "查看理由，写入审计日志"})


class UnmaskedSchema(ApiSchema):
    field = fields.String(dump_only=True)
    value = fields.String(dump_only=True, allow_none=True)


class TagSchema(ApiSchema):
    tag = fields.String(required=True, metadata={"description": "标签代码，如 empty_nest_elderly"})


class MergeSchema(ApiSchema):
    keep_id = Id(required=True)
    duplicate_id = Id(required=True)


_TEXT = {"type": "string", "description": "个人信息按角色脱敏"}


class ChangeSchema(ApiSchema):
    object_type = fields.String(dump_only=True)
    object_id = fields.Integer(dump_only=True)
    action = fields.String(dump_only=True)
    field = fields.String(dump_only=True, allow_none=True)
    old_value = fields.Function(_change_value(0), dump_only=True, allow_none=True, metadata=_TEXT)
    new_value = fields.Function(_change_value(1), dump_only=True, allow_none=True, metadata=_TEXT)
    actor_name = fields.String(dump_only=True)
    at = fields.DateTime(dump_only=True)


class DwellingSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    grid_id = fields.Integer(attribute="node_id", dump_only=True)
    building_id = fields.Integer(dump_only=True, allow_none=True)
    unit = fields.String(dump_only=True)
    number = fields.String(dump_only=True)
    address = fields.String(dump_only=True)
    is_rental = fields.Boolean(dump_only=True)


class HouseholdSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    dwelling_id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    members = fields.List(fields.Nested(PersonSchema), dump_only=True)


class DwellingDetailSchema(DwellingSchema):
    households = fields.List(fields.Nested(HouseholdSchema), dump_only=True)


class DwellingCreateSchema(ApiSchema):
    grid_id = Id(required=True)
    address = fields.String(required=True, metadata={"maxLength": 300})
    building_id = Id(load_default=None, allow_none=True, metadata={"description": "所在楼栋"})
    unit = fields.String(load_default="")
    number = fields.String(load_default="")
    is_rental = fields.Boolean(load_default=False)


class DwellingMoveSchema(ApiSchema):
    grid_id = Id(required=True)


class DwellingArgsSchema(QueryArgsSchema):
    grid_id = Id()
    building_id = Id()
    q = fields.String(metadata={"description": "地址中的一段"})


class CompoundSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    node_id = Id(required=True, metadata={"description": "所属节点，通常是社区"})
    name = fields.String(required=True, metadata={"maxLength": 100})
    address = fields.String(load_default="")


class BuildingSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    node_id = Id(required=True, metadata={"description": "所在节点（网格或社区）"})
    compound_id = Id(load_default=None, allow_none=True)
    name = fields.String(required=True, metadata={"maxLength": 100, "description": "如 3号楼"})


class CompoundDetailSchema(CompoundSchema):
    buildings = fields.List(fields.Nested(BuildingSchema), dump_only=True)


class UnitSchema(ApiSchema):
    unit = fields.String(dump_only=True, metadata={"description": "单元，如 2单元（空：不分单元）"})
    dwellings = fields.List(fields.Nested(DwellingSchema), dump_only=True)


class BuildingDetailSchema(BuildingSchema):
    units = fields.List(fields.Nested(UnitSchema), dump_only=True)


class CompoundArgsSchema(QueryArgsSchema):
    node_id = Id()


class RentalSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    dwelling_id = Id(required=True)
    landlord_id = Id(required=True, metadata={"description": "房东（已登记的人员）"})
    occupant_ids = fields.List(
        Id(),
        load_default=list,
        metadata={"description": "承租人（已登记的人员）"},
    )
    starts_on = fields.Date(required=True, metadata={"description": "租期开始"})
    ends_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "租期结束"})


class RentalArgsSchema(QueryArgsSchema):
    dwelling_id = Id(required=True)


class HouseholdCreateSchema(ApiSchema):
    dwelling_id = Id(required=True)
    number = fields.String(load_default="")


class VisitSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    household_id = fields.Integer(dump_only=True)
    visited_by_name = fields.String(dump_only=True)
    visited_at = fields.DateTime()
    notes = fields.String(load_default="")


class DueVisitSchema(ApiSchema):
    person = fields.Nested(PersonSchema, dump_only=True)
    tag = fields.Function(lambda d: d.tag.code, dump_only=True)
    last_visit = fields.DateTime(dump_only=True, allow_none=True)
    due_on = fields.Date(
        dump_only=True, allow_none=True, metadata={"description": "null：从未走访"}
    )


class DueArgsSchema(QueryArgsSchema):
    grid_id = Id()


class SiteSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    grid_id = fields.Integer(attribute="node_id", dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)
    address = fields.String(dump_only=True)
    contact_name = fields.String(dump_only=True)
    is_key = fields.Boolean(dump_only=True, metadata={"description": "重点单位场所"})
    latitude = fields.Float(dump_only=True, allow_none=True, metadata={"description": "WGS 84"})
    longitude = fields.Float(dump_only=True, allow_none=True, metadata={"description": "WGS 84"})


class SiteCreateSchema(ApiSchema):
    grid_id = Id(required=True)
    name = fields.String(required=True, metadata={"maxLength": 100})
    kind = fields.String(required=True, validate=validate.OneOf(_choices(SiteKind)))
    address = fields.String(load_default="")
    contact_name = fields.String(load_default="")
    contact_phone = fields.String(load_default=None, allow_none=True, metadata=_PHONE_DOC)
    is_key = fields.Boolean(load_default=False)
    latitude = latitude_field(load_default=None, allow_none=True)
    longitude = longitude_field(load_default=None, allow_none=True)


class SitePlaceSchema(ApiSchema):
    """Where a site stands: both coordinates, or both null to take it off the map."""

    latitude = latitude_field(required=True, allow_none=True)
    longitude = longitude_field(required=True, allow_none=True)


class SiteArgsSchema(QueryArgsSchema):
    grid_id = Id()
    is_key = fields.Boolean()


class PeriodArgsSchema(QueryArgsSchema):
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)


class GridChangesSchema(ApiSchema):
    grid_id = fields.Integer(attribute="node_id", dump_only=True)
    records = fields.Integer(dump_only=True, metadata={"description": "变更过的人、户、房记录数"})


class ImportFileSchema(ApiSchema):
    class Meta:
        unknown = "exclude"

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class JsonObject(fields.String):
    """A JSON object of text values given as one string (a query parameter of a multipart
    upload cannot be nested)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            raise ValidationError(str(_('须为 JSON 对象，如 {"身份证": "公民身份号码"}')))
        return parsed


class ImportFormSchema(QueryArgsSchema):
    kind = fields.String(
        required=True, validate=validate.OneOf(["people", "households", "dwellings", "sites"])
    )
    dry_run = fields.Boolean(load_default=False, metadata={"description": "只检查，不保存"})
    strict = fields.Boolean(load_default=False, metadata={"description": "有一行错就全部不保存"})
    mapping = JsonObject(
        load_default=None,
        metadata={
            "description": "表头对应（JSON 对象）：表格中的列名 → 标准列名或字段，"
            '如 {"身份证": "公民身份号码", "手机": "phone"}'
        },
    )


class ImportRunSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "queued/running/done/failed"})
    is_dry_run = fields.Boolean(dump_only=True)
    is_strict = fields.Boolean(dump_only=True)
    mapping = fields.Dict(
        dump_only=True, allow_none=True, metadata={"description": "表格中的列名 → 字段"}
    )
    progress = fields.Dict(dump_only=True, allow_none=True, metadata={"description": "done/total"})
    report = fields.Dict(dump_only=True, allow_none=True)
    error = fields.String(dump_only=True, allow_none=True)
    has_rejected_file = fields.Function(lambda r: r.rejected_file_id is not None, dump_only=True)
    rejected_file_kept_until = kept_until_field("rejected_file_id")
    created_at = fields.DateTime(dump_only=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)


class ExportCreateSchema(PeopleSearchSchema):
    """What to export: the same search as ``POST /people/search``."""

    reason = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "给出理由时，有权的角色导出完整号码（写入审计日志）"},
    )


class ExportRunSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    status = fields.String(
        dump_only=True,
        metadata={"description": "queued/running/done/failed/expired（文件已过保存期限并删除）"},
    )
    progress = fields.Dict(dump_only=True, allow_none=True, metadata={"description": "done/total"})
    count = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "导出人数"})
    is_masked = fields.Function(lambda r: r.reason is None, dump_only=True)
    error = failure_field()
    has_file = fields.Function(lambda r: r.file_id is not None, dump_only=True)
    file_kept_until = kept_until_field("file_id")
    created_at = fields.DateTime(dump_only=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)


class QualityArgsSchema(QueryArgsSchema):
    node_id = Id(required=True, metadata={"description": "该节点及其下级的数据质量"})
    since = fields.DateTime(metadata={"description": "统计自此时起变更过的人、户、房记录数"})


class QualityFiguresSchema(ApiSchema):
    node_id = fields.Function(lambda q: q.node.id, dump_only=True)
    node_name = fields.Function(lambda q: q.node.name, dump_only=True)
    people = fields.Integer(dump_only=True)
    completeness = fields.Float(
        dump_only=True, allow_none=True, metadata={"description": "身份证号、电话、房屋齐全的比例"}
    )
    id_number_rate = fields.Float(
        dump_only=True, allow_none=True, metadata={"description": "有有效身份证号的比例"}
    )
    match_rate = fields.Float(
        dump_only=True, allow_none=True, metadata={"description": "匹配到房屋的比例（匹配率）"}
    )
    duplicates = fields.Integer(
        dump_only=True, metadata={"description": "同名同生日的疑似重复记录数"}
    )
    changed = fields.Integer(
        dump_only=True, metadata={"description": "自 since 起变更过的人、户、房记录数"}
    )


class QualitySchema(QualityFiguresSchema):
    children = fields.List(fields.Nested(QualityFiguresSchema), dump_only=True)
