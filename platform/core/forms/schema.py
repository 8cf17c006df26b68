"""A declared form turned into a marshmallow schema: the one validation path of the API and
the portal (the portal first turns its posted fields into the same JSON shape)."""

from __future__ import annotations

import decimal
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from gridgov.core.forms.definitions import CHOICE_TYPES, Field, FieldType, FormDefinition
from gridgov.core.i18n import _
from gridgov.core.text import MAX_ID, bad_character

EMPTY = (None, "", [])


def schema_for(form: FormDefinition) -> ma.Schema:
    """A fresh schema validating submissions of ``form`` (unknown fields are refused)."""
    return _schema_class(form.code, form.fields)()


def _schema_class(name: str, declared: tuple[Field, ...]) -> type[ma.Schema]:
    class FormSchema(ma.Schema):
        """Hidden fields (``show_if`` not met) are dropped before validation, so they are
        neither required nor stored; required fields are checked once visibility is known."""

        class Meta:
            unknown = ma.RAISE

        error_messages = {  # noqa: RUF012 - marshmallow reads it from the class
            "type": str(_("必须是 JSON 对象")),
            "unknown": str(_("表单中没有这一项")),
        }

        @ma.pre_load
        def drop_hidden_and_empty(self, data: Any, **_kwargs: Any) -> Any:
            if not isinstance(data, dict):
                return data
            kept = {key: value for key, value in data.items() if value not in EMPTY}
            self.missing_required: list[str] = []
            for f in declared:
                if not _is_shown(self, f, kept):
                    kept.pop(f.name, None)
                elif f.required and f.name not in kept:
                    self.missing_required.append(f.name)
            return kept

        @ma.validates_schema(skip_on_field_errors=False)
        def check_required(self, _data: Any, **_kwargs: Any) -> None:
            missing = getattr(self, "missing_required", [])
            if missing:
                raise ma.ValidationError({name: [str(_("此项必填"))] for name in missing})

    FormSchema.__name__ = f"Form_{name.replace('.', '_')}"
    for f in declared:
        FormSchema._declared_fields[f.name] = marshmallow_field(f)
    return FormSchema


def _is_shown(schema: ma.Schema, f: Field, raw: dict[str, Any]) -> bool:
    if f.show_if is None:
        return True
    controlling = schema.fields[f.show_if.field]
    if f.show_if.field not in raw:
        value: Any = None
    else:
        try:
            value = controlling.deserialize(raw[f.show_if.field])
        except ma.ValidationError:
            return False
    if isinstance(value, list):
        return f.show_if.value in value
    return value == f.show_if.value


def _checked_text(value: str) -> None:
    problem = bad_character(value)
    if problem is not None:
        raise ma.ValidationError(problem)


def marshmallow_field(f: Field) -> fields.Field:
    """The marshmallow field checking values of ``f``, with Chinese messages."""
    kind = FieldType(f.type)
    not_null = {"null": str(_("不能为空"))}
    if kind in (FieldType.TEXT, FieldType.TEXTAREA):
        return fields.String(
            validate=[_length(f) or validate.Length(max=10000), _checked_text],
            error_messages={**not_null, "invalid": str(_("必须是文本"))},
        )
    if kind == FieldType.INTEGER:
        return fields.Integer(
            strict=False,
            validate=_range(f),
            error_messages={**not_null, "invalid": str(_("必须是整数"))},
        )
    if kind == FieldType.DECIMAL:
        return fields.Decimal(
            as_string=True,
            validate=_range(f),
            error_messages={**not_null, "invalid": str(_("必须是数字")), "special": "NaN"},
        )
    if kind == FieldType.DATE:
        return fields.Date(
            error_messages={**not_null, "invalid": str(_("必须是日期，如 2026-05-01"))}
        )
    if kind == FieldType.BOOLEAN:
        return fields.Boolean(error_messages={**not_null, "invalid": str(_("必须是“是”或“否”"))})
    if kind in CHOICE_TYPES:
        one = fields.String(
            validate=validate.OneOf([c.value for c in f.choices], error=str(_("不是可选的一项"))),
            error_messages={"invalid": str(_("必须是文本"))},
        )
        if kind == FieldType.CHOICE:
            return one
        return fields.List(one, error_messages={**not_null, "invalid": str(_("必须是列表"))})
    if kind in (FieldType.PHOTO, FieldType.FILE):
        return fields.Integer(
            strict=True,
            validate=validate.Range(min=1, max=MAX_ID, error=str(_("不是已上传的文件"))),
            error_messages={**not_null, "invalid": str(_("必须是已上传文件的编号"))},
        )
    rows = fields.Nested(_schema_class(f.name, f.fields))
    return fields.List(
        rows,
        validate=_length(f),
        error_messages={**not_null, "invalid": str(_("必须是列表"))},
    )


def _range(f: Field) -> validate.Range | None:
    if f.min is None and f.max is None:
        return None
    low = None if f.min is None else decimal.Decimal(str(f.min))
    high = None if f.max is None else decimal.Decimal(str(f.max))
    return validate.Range(min=low, max=high, error=_bounds_message(f))


def _length(f: Field) -> validate.Length | None:
    if f.min is None and f.max is None:
        return None
    low = None if f.min is None else int(f.min)
    high = None if f.max is None else int(f.max)
    return validate.Length(min=low, max=high, error=_bounds_message(f))


def _bounds_message(f: Field) -> str:
    def shown(x: float | None) -> str:
        return "" if x is None else f"{x:g}"

    if f.type == FieldType.GROUP:
        return str(_("须填 %(lo)s–%(hi)s 行", lo=shown(f.min), hi=shown(f.max)))
    if f.type in (FieldType.TEXT, FieldType.TEXTAREA):
        return str(_("长度须在 %(lo)s–%(hi)s 字之间", lo=shown(f.min), hi=shown(f.max)))
    return str(_("须在 %(lo)s–%(hi)s 之间", lo=shown(f.min), hi=shown(f.max)))


def file_ids(form: FormDefinition, data: dict[str, Any]) -> list[int]:
    """The stored-file ids a validated submission refers to (in groups too)."""
    found: list[int] = []

    def walk(declared: tuple[Field, ...], values: dict[str, Any]) -> None:
        for f in declared:
            if f.name not in values:
                continue
            if f.type in (FieldType.PHOTO, FieldType.FILE):
                found.append(values[f.name])
            elif f.type == FieldType.GROUP:
                for row in values[f.name]:
                    walk(f.fields, row)

    walk(form.fields, data)
    return found


def to_json(form: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    """A validated submission as JSON data (dates as ISO text, decimals as text)."""

    def plain(declared: tuple[Field, ...], values: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in declared:
            if f.name not in values:
                continue
            value = values[f.name]
            if f.type == FieldType.DATE:
                value = value.isoformat()
            elif f.type == FieldType.DECIMAL:
                value = str(value)
            elif f.type == FieldType.GROUP:
                value = [plain(f.fields, row) for row in value]
            out[f.name] = value
        return out

    return plain(form.fields, data)
