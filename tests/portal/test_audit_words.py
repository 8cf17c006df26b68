"""Every code the system writes to the audit log has words for the people who review it: each
action, object and field of every ``audit.record(...)`` call in the core and in the built-in
modules (read from the source, so a new call without words fails here), and the values a
reviewer knows by name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gridgov.core.hierarchy.models import NodeChange
from gridgov.core.i18n import Localized
from gridgov.portal import audit_labels as labels

ROOT = Path(__file__).resolve().parents[2]


def _strings(arg: ast.expr, constants: dict[str, object]) -> list[str]:
    """The strings an argument can be: a literal, a module constant, or either of an ``if``."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.Name) and isinstance(constants.get(arg.id), str):
        return [str(constants[arg.id])]
    if isinstance(arg, ast.IfExp):
        return _strings(arg.body, constants) + _strings(arg.orelse, constants)
    return []  # an f-string: its actions are checked one by one below


def _recorded(folder: Path) -> list[tuple[str, str, str | None, str | None, list[str]]]:
    """(file, module folder, action, object type, fields) of each ``audit.record`` call whose
    action and object are plain strings (or a choice of two)."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name)
        }

        for call in ast.walk(tree):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "record"
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "audit"
                and len(call.args) >= 4
            ):
                continue
            fields = [
                key.value
                for keyword in call.keywords
                if keyword.arg in ("before", "after") and isinstance(keyword.value, ast.Dict)
                for key in keyword.value.keys
                if isinstance(key, ast.Constant)
            ]
            relative = path.relative_to(ROOT)
            objects = _strings(call.args[3], constants) or [None]
            for action in _strings(call.args[2], constants) or [None]:
                for obj in objects:
                    found.append((str(relative), relative.parts[1], action, obj, fields))
    return found


CORE_CALLS = _recorded(ROOT / "platform")
MODULE_CALLS = _recorded(ROOT / "plugins")


def test_the_source_scan_finds_the_calls():
    assert len(CORE_CALLS) > 60 and len(MODULE_CALLS) > 10


@pytest.mark.parametrize("call", CORE_CALLS, ids=lambda c: f"{c[0]}:{c[2]}")
def test_every_core_action_object_and_field_has_words(call):
    _file, _folder, action, obj, fields = call
    assert action is None or action.startswith("task.") or action in labels.ACTIONS
    assert obj is None or obj in labels.OBJECTS
    assert [f for f in fields if f not in labels.FIELDS] == []


@pytest.mark.parametrize("call", MODULE_CALLS, ids=lambda c: f"{c[0]}:{c[2]}")
def test_every_module_action_object_and_field_has_the_modules_words(app, call):
    _file, module, action, obj, fields = call
    with app.app_context():
        words = labels.module_words()
        assert action is None or action in words
        assert obj is None or obj in words or obj in labels.OBJECTS  # its own, or the core's
        assert [f for f in fields if f not in words and f not in labels.FIELDS] == []
        assert isinstance(words[module], Localized)  # the module's title, for its name


def test_every_kind_of_node_change_has_words():
    assert [c.value for c in NodeChange if f"node.{c.value}" not in labels.ACTIONS] == []


def test_coded_values_read_as_words_in_the_readers_language(app):
    with app.test_request_context():
        assert labels.value_label("state", "in_review") == "待审议"
        assert labels.value_label("risk_level", "high", "disputes") == "重大"  # the module's
        assert labels.value_label("module", "fire_safety") == "消防安全"
        assert labels.value_label("tag", "empty_nest_elderly") == "空巢老人"
        assert labels.value_label("role", "grid_worker") == "网格员"
        assert labels.value_label("form", "fire_safety.four_abilities") == "四个能力建设检查"
        assert labels.value_label("note", "in_review") == "in_review"  # free text stays
        rows = labels.changes({"state": "in_review"}, {"state": "approved", "is_kept": True})
        assert [(str(r.label), r.before, r.after) for r in rows] == [
            ("状态", "待审议", "已准入"),
            ("协议履行", None, "是"),  # a field only a module names: its word
        ]
        # A module's object reads in that module's words, even where the core has its own.
        rows = labels.changes({}, {"state": "approved"}, "family_planning_entitlement")
        assert [(str(r.label), r.after) for r in rows] == [("状态", "已审批，未发放")]
        rows = labels.changes({}, {"is_kept": True}, "disputes_case")
        assert [(str(r.label), r.after) for r in rows] == [("协议履行", "是")]
        # A module's action on a core object (a person) reads in the module's words too.
        rows = labels.changes({}, {"kind": "money"}, "person", "civil_affairs.assistance.record")
        assert [(str(r.label), r.after) for r in rows] == [("类别", "资金")]
