"""Declarative forms: every field type is checked, hidden fields are neither required nor
stored, and a submission keeps rendering with the version of the form it was made with."""

from __future__ import annotations

import pytest

from gridgov.core.forms import service as forms
from gridgov.core.forms.definitions import (
    Choice,
    Field,
    FieldType,
    FormDefinition,
    ShowIf,
    definition_problems,
)
from gridgov.core.forms.service import FormInvalid
from tests.factories import build_county

GRADES = (Choice("minor", "一般", "Minor"), Choice("major", "重大", "Major"))
EVERY_TYPE = FormDefinition(
    "fire_safety.patrol",
    "消防巡查",
    "Fire patrol",
    (
        Field("place", FieldType.TEXT, "场所", "Place", required=True, min=2, max=20),
        Field("notes", FieldType.TEXTAREA, "情况", "Notes"),
        Field("extinguishers", FieldType.INTEGER, "灭火器数", "Extinguishers", min=0, max=50),
        Field("width", FieldType.DECIMAL, "通道宽度(米)", "Exit width (m)", min=0.5),
        Field("checked_on", FieldType.DATE, "检查日期", "Checked on", required=True),
        Field("exits_clear", FieldType.BOOLEAN, "疏散通道畅通", "Exits clear", required=True),
        Field(
            "blocked_photo",
            FieldType.PHOTO,
            "堵塞照片",
            "Photo of the blockage",
            required=True,
            show_if=ShowIf("exits_clear", False),
        ),
        Field("grade", FieldType.CHOICE, "隐患等级", "Grade", choices=GRADES),
        Field("hazards", FieldType.MULTI_CHOICE, "隐患", "Hazards", choices=GRADES),
        Field("permit", FieldType.FILE, "许可证", "Permit"),
        Field(
            "checklist",
            FieldType.GROUP,
            "检查项",
            "Checklist",
            required=True,
            min=1,
            max=3,
            fields=(
                Field("item", FieldType.TEXT, "项目", "Item", required=True),
                Field("ok", FieldType.BOOLEAN, "合格", "OK"),
            ),
        ),
    ),
)
VALID = {
    "place": "东街小饭馆",
    "checked_on": "2026-05-08",
    "exits_clear": True,
    "checklist": [{"item": "消火栓", "ok": True}],
}


def test_the_example_form_is_sound():
    assert definition_problems(EVERY_TYPE) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("place", "x"),
        ("notes", 5),
        ("extinguishers", "many"),
        ("extinguishers", 51),
        ("width", "0.2"),
        ("checked_on", "08/05/2026"),
        ("exits_clear", "perhaps"),
        ("grade", "catastrophic"),
        ("hazards", ["minor", "unknown"]),
        ("permit", "a file"),
        ("checklist", []),
        ("checklist", [{"item": "甲"}] * 4),
        ("checklist", [{"ok": True}]),
    ],
)
def test_a_bad_value_of_each_field_type_is_named(app, field, value):
    with app.test_request_context(), pytest.raises(FormInvalid) as refused:
        forms.validate_submission(EVERY_TYPE, {**VALID, field: value})
    assert field in refused.value.field_errors()


def test_required_fields_are_named_when_missing(app):
    with app.test_request_context(), pytest.raises(FormInvalid) as refused:
        forms.validate_submission(EVERY_TYPE, {})
    assert set(refused.value.field_errors()) == {"place", "checked_on", "exits_clear", "checklist"}


def test_a_field_shown_by_an_answer_becomes_required(app):
    with app.test_request_context(), pytest.raises(FormInvalid) as refused:
        forms.validate_submission(EVERY_TYPE, {**VALID, "exits_clear": False})
    assert list(refused.value.field_errors()) == ["blocked_photo"]


def test_a_hidden_field_is_not_stored(app):
    with app.test_request_context():
        values = forms.validate_submission(EVERY_TYPE, {**VALID, "blocked_photo": 99})
    assert "blocked_photo" not in values


def test_valid_values_are_stored_as_plain_json(app):
    data = {**VALID, "width": "1.20", "hazards": ["minor"], "extinguishers": 3}
    with app.test_request_context():
        values = forms.validate_submission(EVERY_TYPE, data)
    assert values["width"] == "1.20"
    assert values["checked_on"] == "2026-05-08"
    assert values["checklist"] == [{"item": "消火栓", "ok": True}]


def test_unknown_fields_are_refused(app):
    with app.test_request_context(), pytest.raises(FormInvalid) as refused:
        forms.validate_submission(EVERY_TYPE, {**VALID, "colour": "red"})
    assert "colour" in refused.value.field_errors()


def test_an_old_submission_keeps_the_version_it_was_made_with(app, session):
    county = build_county(session)
    with app.test_request_context():
        old = forms.submit_form(
            session,
            county.workers[0],
            EVERY_TYPE,
            module="fire_safety",
            node=county.grids[0],
            data=VALID,
        )
        changed = FormDefinition(
            EVERY_TYPE.code,
            "消防巡查（新版）",
            "Fire patrol v2",
            (Field("place", FieldType.TEXT, "场所名称", "Place", required=True),),
        )
        new = forms.submit_form(
            session,
            county.workers[0],
            changed,
            module="fire_safety",
            node=county.grids[0],
            data={"place": "西街"},
        )
    assert old.form_version_id != new.form_version_id
    assert forms.definition_of(old) == EVERY_TYPE
    assert forms.definition_of(new).title == "消防巡查（新版）"


def test_the_same_definition_is_stored_once(app, session):
    county = build_county(session)
    with app.test_request_context():
        first = forms.submit_form(
            session,
            county.workers[0],
            EVERY_TYPE,
            module="fire_safety",
            node=county.grids[0],
            data=VALID,
        )
        second = forms.submit_form(
            session,
            county.workers[1],
            EVERY_TYPE,
            module="fire_safety",
            node=county.grids[1],
            data=VALID,
        )
    assert first.form_version_id == second.form_version_id


def test_someone_elses_upload_cannot_be_named_in_a_submission(app, session):
    county = build_county(session)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with app.test_request_context():
        theirs = forms.store_upload(
            session, county.workers[1], FieldType.PHOTO, name="a.png", data=png, field="photo"
        )
        with pytest.raises(FormInvalid):
            forms.submit_form(
                session,
                county.workers[0],
                EVERY_TYPE,
                module="fire_safety",
                node=county.grids[0],
                data={**VALID, "exits_clear": False, "blocked_photo": theirs.id},
            )
