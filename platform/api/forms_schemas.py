"""Marshmallow schemas of the forms API. A form's fields travel as its canonical JSON; the
values of a submission are checked by the schema built from the form itself."""

from __future__ import annotations

from marshmallow import fields, validate

from gridgov.api.schemas import ApiSchema, Id, NodeRefSchema, QueryArgsSchema


class FormSchema(ApiSchema):
    code = fields.String(dump_only=True)
    module = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    title_en = fields.String(dump_only=True)
    version = fields.String(dump_only=True, metadata={"description": "定义的 sha256"})
    fields_ = fields.List(
        fields.Dict(),
        dump_only=True,
        data_key="fields",
        attribute="fields",
        metadata={
            "description": "字段：name、type、label、label_en、required、choices、"
            "min、max、show_if、fields"
        },
    )


class SubmitSchema(ApiSchema):
    node_id = Id(required=True, metadata={"description": "填报所在的节点（网格）"})
    data = fields.Dict(required=True, metadata={"description": "字段值，按表单定义校验"})


class SubmissionSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    form_code = fields.String(dump_only=True)
    module = fields.String(dump_only=True)
    node = fields.Nested(NodeRefSchema, dump_only=True)
    data = fields.Dict(dump_only=True)
    submitted_by_id = fields.Integer(dump_only=True, allow_none=True)
    submitted_at = fields.DateTime(dump_only=True)


class SubmissionDetailSchema(SubmissionSchema):
    form = fields.Nested(FormSchema, dump_only=True, metadata={"description": "填报时的表单版本"})


class UploadArgsSchema(QueryArgsSchema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["photo", "file"]),
        metadata={"description": "photo：照片；file：PDF 或 Office 文件"},
    )


class ModuleFigureSchema(ApiSchema):
    module = fields.String(dump_only=True)
    code = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    label_en = fields.String(dump_only=True)
    value = fields.Float(dump_only=True)
    unit = fields.String(dump_only=True)
    extra = fields.Dict(
        dump_only=True, metadata={"description": "模块给出的细分，如按等级、按层级"}
    )
