"""Forms declared as data: the field types, a form's definition, the check of a definition
and its canonical JSON (what a stored version is)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


class FieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    PHOTO = "photo"  # an image, stored through gridgov.core.files
    FILE = "file"  # a PDF or office document
    GROUP = "group"  # a repeatable group of sub-fields, e.g. the lines of a checklist


CHOICE_TYPES = frozenset({FieldType.CHOICE, FieldType.MULTI_CHOICE})
FILE_TYPES = frozenset({FieldType.PHOTO, FieldType.FILE})
# min/max bound the value for numbers, the length for text, the number of rows for a group.
BOUNDED_TYPES = frozenset(
    {FieldType.TEXT, FieldType.TEXTAREA, FieldType.INTEGER, FieldType.DECIMAL, FieldType.GROUP}
)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    label_en: str


@dataclass(frozen=True)
class ShowIf:
    """Conditional visibility: the field is shown only when field ``field`` (of the same form,
    or of the same group row) has ``value`` (for a multi-choice: contains it)."""

    field: str
    value: Any


@dataclass(frozen=True)
class Field:
    """One field. A hidden field (``show_if`` not met) is neither required nor stored."""

    name: str
    type: FieldType | str
    label: str
    label_en: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    show_if: ShowIf | None = None
    fields: tuple[Field, ...] = ()  # the sub-fields of a group


@dataclass(frozen=True)
class FormDefinition:
    """A form a module declares. ``code`` is "<module>.<name>"."""

    code: str
    title: str
    title_en: str
    fields: tuple[Field, ...]

    def canonical(self) -> dict[str, Any]:
        """The definition as plain JSON data, the same for the same definition."""
        return {
            "code": self.code,
            "title": self.title,
            "title_en": self.title_en,
            "fields": [_field_data(f) for f in self.fields],
        }

    def digest(self) -> str:
        """sha256 of the canonical JSON: equal digests, equal definitions."""
        text = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _field_data(f: Field) -> dict[str, Any]:
    return {
        "name": f.name,
        "type": str(f.type),
        "label": f.label,
        "label_en": f.label_en,
        "required": f.required,
        "choices": [[c.value, c.label, c.label_en] for c in f.choices],
        "min": f.min,
        "max": f.max,
        "show_if": None if f.show_if is None else [f.show_if.field, f.show_if.value],
        "fields": [_field_data(sub) for sub in f.fields],
    }


def definition_from_canonical(data: dict[str, Any]) -> FormDefinition:
    """The definition a stored version holds (the inverse of ``FormDefinition.canonical``)."""
    return FormDefinition(
        code=data["code"],
        title=data["title"],
        title_en=data["title_en"],
        fields=tuple(_field_from_data(f) for f in data["fields"]),
    )


def _field_from_data(data: dict[str, Any]) -> Field:
    return Field(
        name=data["name"],
        type=FieldType(data["type"]),
        label=data["label"],
        label_en=data["label_en"],
        required=data["required"],
        choices=tuple(Choice(*c) for c in data["choices"]),
        min=data["min"],
        max=data["max"],
        show_if=None if data["show_if"] is None else ShowIf(*data["show_if"]),
        fields=tuple(_field_from_data(sub) for sub in data["fields"]),
    )


def definition_problems(form: FormDefinition) -> list[str]:
    """What is wrong with a declared form, in words for the operator; [] when it is sound."""
    problems: list[str] = []
    if not CODE_RE.match(form.code):
        problems.append(f"form code {form.code!r} is not lowercase dotted ASCII")
    if not form.fields:
        problems.append(f"form {form.code} has no fields")
    _check_fields(form.code, form.fields, problems)
    return problems


def _check_fields(where: str, fields: tuple[Field, ...], problems: list[str]) -> None:
    names = [f.name for f in fields]
    for f in fields:
        at = f"{where}.{f.name}"
        if not re.match(r"^[a-z][a-z0-9_]*$", f.name):
            problems.append(f"field name {at!r} is not lowercase ASCII")
        if names.count(f.name) > 1:
            problems.append(f"field {at} is declared twice")
        if f.type not in set(FieldType):
            problems.append(f"field {at} has an unknown type {f.type!r}")
            continue
        if f.type in CHOICE_TYPES and not f.choices:
            problems.append(f"field {at} offers no choices")
        if f.type not in CHOICE_TYPES and f.choices:
            problems.append(f"field {at} has choices but is not a choice field")
        if f.type not in BOUNDED_TYPES and (f.min is not None or f.max is not None):
            problems.append(f"field {at} of type {f.type} cannot have min or max")
        if f.min is not None and f.max is not None and f.min > f.max:
            problems.append(f"field {at} has min above max")
        if f.show_if is not None and f.show_if.field not in names[: names.index(f.name)]:
            problems.append(f"field {at} depends on {f.show_if.field!r}, not a field before it")
        if f.type == FieldType.GROUP:
            if not f.fields:
                problems.append(f"group {at} has no fields")
            if any(sub.type == FieldType.GROUP for sub in f.fields):
                problems.append(f"group {at} holds another group")
            _check_fields(at, f.fields, problems)
        elif f.fields:
            problems.append(f"field {at} has sub-fields but is not a group")
