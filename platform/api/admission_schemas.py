"""Marshmallow schemas of the admission API: applications, decisions and the modules map."""

from __future__ import annotations

from marshmallow import fields, validate

from gridgov.api.schemas import ApiSchema, Id, NodeRefSchema, QueryArgsSchema, StoredFileSchema
from gridgov.core.admission.models import AdmissionState
from gridgov.core.admission.service import MAX_TEXT


def _text(description: str, **kwargs: object) -> fields.String:
    return fields.String(
        validate=validate.Length(max=MAX_TEXT), metadata={"description": description}, **kwargs
    )


class DepartmentRefSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)


class AdmissionAttachmentSchema(ApiSchema):
    file_id = Id(required=True, metadata={"description": "POST /admissions/files 的返回"})
    requirement = fields.String(
        load_default=None, allow_none=True, metadata={"description": "所答复的模块材料要求编码"}
    )


class AdmissionFileSchema(ApiSchema):
    requirement = fields.String(dump_only=True, allow_none=True)
    file = fields.Nested(StoredFileSchema, dump_only=True)


class AdmissionEventSchema(ApiSchema):
    action = fields.String(dump_only=True)
    state = fields.String(dump_only=True)
    actor_name = fields.String(dump_only=True)
    note = fields.String(dump_only=True)
    at = fields.DateTime(dump_only=True)


class PilotNodeSchema(ApiSchema):
    node = fields.Nested(NodeRefSchema, dump_only=True)


class AdmissionSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    module = fields.String(dump_only=True)
    department = fields.Nested(DepartmentRefSchema, dump_only=True)
    state = fields.String(dump_only=True, metadata={"enum": [s.value for s in AdmissionState]})
    is_pilot = fields.Boolean(dump_only=True)
    pilot_nodes = fields.List(fields.Nested(PilotNodeSchema), dump_only=True)
    applied_at = fields.DateTime(dump_only=True)
    meeting_date = fields.Date(dump_only=True, allow_none=True)
    decided_at = fields.DateTime(dump_only=True, allow_none=True)


class AdmissionDetailSchema(AdmissionSchema):
    reason = fields.String(dump_only=True, metadata={"description": "明确事由"})
    tasks = fields.String(dump_only=True, metadata={"description": "明确具体任务"})
    authority = fields.String(dump_only=True, metadata={"description": "工作授权到位"})
    training = fields.String(dump_only=True, metadata={"description": "业务培训到位"})
    funding = fields.String(dump_only=True, metadata={"description": "工作经费到位"})
    requirements = fields.Dict(keys=fields.String(), values=fields.String(), dump_only=True)
    minutes = fields.String(dump_only=True, allow_none=True)
    rejection_reasons = fields.String(dump_only=True, allow_none=True)
    files = fields.List(fields.Nested(AdmissionFileSchema), dump_only=True)
    events = fields.List(fields.Nested(AdmissionEventSchema), dump_only=True)


class AdmissionApplySchema(ApiSchema):
    department_id = Id(required=True)
    module = fields.String(required=True, validate=validate.Length(max=63))
    reason = _text("明确事由", required=True)
    tasks = _text("明确具体任务", required=True)
    authority = _text("工作授权到位", required=True)
    training = _text("业务培训到位", required=True)
    funding = _text("工作经费到位", required=True)
    requirements = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    attachments = fields.List(fields.Nested(AdmissionAttachmentSchema), load_default=list)


class ApproveSchema(ApiSchema):
    meeting_date = fields.Date(required=True, metadata={"description": "综治委主任办公会日期"})
    minutes = _text("会议纪要", required=True)
    pilot_node_ids = fields.List(
        Id(), load_default=list, metadata={"description": "试点乡镇；空：全县"}
    )


class RejectSchema(ApiSchema):
    meeting_date = fields.Date(required=True)
    reasons = _text("不予准入的理由", required=True)


class WidenSchema(ApiSchema):
    node_ids = fields.List(
        Id(), load_default=list, metadata={"description": "增加的试点；空：推广到全县"}
    )


class ReasonSchema(ApiSchema):
    reason = _text("理由", required=True)


class AdmissionListArgsSchema(QueryArgsSchema):
    module = fields.String()
    state = fields.String(validate=validate.OneOf([s.value for s in AdmissionState]))


class ModuleStatusSchema(ApiSchema):
    name = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    department = fields.String(dump_only=True)
    version = fields.String(dump_only=True)
    icon = fields.String(dump_only=True)
    state = fields.String(dump_only=True, allow_none=True, metadata={"description": "null：未申请"})
    pilot_nodes = fields.List(fields.Nested(NodeRefSchema), dump_only=True)
    admission_id = fields.Integer(dump_only=True, allow_none=True)
