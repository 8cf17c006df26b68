"""The API schemas' own dump of plain fields (``ApiSchema._serialize``) answers exactly what
marshmallow's does, for every kind of value and field option, and leaves everything else to
marshmallow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
import pytest
from marshmallow import fields

from gridgov.api import schemas as api_schemas
from gridgov.api.schemas import ApiSchema
from gridgov.api.tasks_schemas import TaskSchema, TransitionSchema

BEIJING = dt.timezone(dt.timedelta(hours=8))


def marshmallows(schema: ma.Schema, obj: Any, *, many: bool = False) -> str:
    """What marshmallow's own _serialize answers for ``obj``, as repr (2 and 2.0 differ)."""
    return repr(ma.Schema._serialize(schema, obj, many=many))


def ours(schema: ApiSchema, obj: Any, *, many: bool = False) -> str:
    return repr(schema._serialize(obj, many=many))


class EveryKind(ApiSchema):
    text = fields.String()
    number = fields.Integer()
    number_text = fields.Integer(as_string=True)
    share = fields.Float()
    flag = fields.Boolean()
    raw = fields.Raw()
    at = fields.DateTime()
    at_rfc = fields.DateTime(format="rfc")
    at_custom = fields.DateTime(format="%Y年%m月%d日")
    aware = fields.AwareDateTime(default_timezone=dt.UTC)
    renamed = fields.String(data_key="shown_as")
    elsewhere = fields.String(attribute="hidden")
    nested_attribute = fields.Integer(attribute="inner.value")
    defaulted = fields.String(dump_default="默认")
    computed = fields.Method("_compute")
    listed = fields.List(fields.String())

    def _compute(self, obj: Any) -> str:
        return f"{obj.text}!"


@dataclass
class Inner:
    value: int


class Thing:
    """An object read by attribute, as the ORM's rows are (no ``__getitem__``)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


FULL = {
    "text": "巡查",
    "number": 7,
    "number_text": 8,
    "share": 2,  # an int a Float turns into 2.0
    "flag": True,
    "raw": {"a": [1, 2]},
    "at": dt.datetime(2026, 12, 4, 9, 30, tzinfo=BEIJING),
    "at_rfc": dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC),
    "at_custom": dt.datetime(2026, 12, 4, 9, 30),
    "aware": dt.datetime(2026, 12, 4, 9, 30),
    "renamed": b"bytes",
    "hidden": 12,  # a String of a number
    "inner": Inner(3),
    "listed": ["一", "二"],
}


@pytest.mark.parametrize(
    "values",
    [
        FULL,
        {**FULL, **{key: None for key in FULL if key != "inner"}, "inner": Inner(0)},
        {key: value for key, value in FULL.items() if key not in {"text", "flag", "hidden"}},
    ],
    ids=["every value", "every value None", "attributes missing"],
)
def test_every_kind_of_field_dumps_as_marshmallow_dumps_it(app, values):
    schema = EveryKind()
    obj = Thing(**values)
    if "text" not in values:
        schema = EveryKind(exclude=("computed",))  # the method reads obj.text
    with app.test_request_context():
        assert ours(schema, obj) == marshmallows(schema, obj)
        assert repr(schema.dump(obj)) == repr(ma.Schema.dump(schema, obj))


def test_what_is_read_by_key_goes_through_marshmallow(app):
    row = {"text": "键", "number": 1, "hidden": "藏", "inner": {"value": 2}}
    schema = EveryKind(only=("text", "number", "elsewhere", "nested_attribute"))
    assert ours(schema, row) == marshmallows(schema, row)


def test_a_schema_with_its_own_get_attribute_goes_through_marshmallow():
    used = []

    class Reading(ApiSchema):
        text = fields.String()

        def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
            used.append(attr)
            return "读"

    assert Reading()._serialize(Thing(text="不读")) == {"text": "读"}
    assert used == ["text"]


def test_the_plain_fields_are_exactly_those_converted_inline():
    plan = {name: convert for _key, name, _attr, convert, _f in api_schemas._dump_plan(EveryKind())}
    inline = {name for name, convert in plan.items() if convert is not None}
    assert inline == {"text", "number", "share", "flag", "raw", "at", "at_rfc", "at_custom",
                      "renamed", "elsewhere", "defaulted"}  # fmt: skip


def test_tasks_and_their_log_dump_as_marshmallow_dumps_them(session, app):
    from sqlalchemy import select

    from gridgov.core.tasks import reporting
    from gridgov.core.tasks.models import TaskTransition
    from tests.factories import build_county

    county = build_county(session)
    task, _created = reporting.file_task(
        session,
        county.workers[0],
        county.grids[0],
        reporting.Report(category="民生事项", title="路灯不亮", description="第三根"),
    )
    session.flush()
    log = session.scalars(select(TaskTransition).where(TaskTransition.task_id == task.id)).all()
    with app.test_request_context():
        assert ours(TaskSchema(), [task], many=True) == marshmallows(
            TaskSchema(), [task], many=True
        )
        assert ours(TransitionSchema(), log, many=True) == marshmallows(
            TransitionSchema(), log, many=True
        )
