"""A manifest is refused, quickly and with a message that says why, when it is built to exhaust
the reader (a YAML alias bomb, endless nesting, a huge file) or when its node tree is a cycle."""

from __future__ import annotations

import time

import pytest

from gridgov.core.onboarding import manifest as manifest_module
from gridgov.core.onboarding.manifest import ManifestError, load_manifest, parse_manifest

HEAD = "slug: bomb\nname: 炸弹县\nlevels: [县, 乡镇, 村]\n"

# "Billion laughs": nine lines that would expand to 10⁹ nodes when the aliases are followed.
ALIAS_BOMB = (
    HEAD
    + "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
    )
    + "nodes: [{code: A, name: 甲, children: *i}]\n"
)


def refusal(text: str) -> str:
    with pytest.raises(ManifestError) as refused:
        parse_manifest(text, source="x.yaml")
    return str(refused.value)


def test_a_yaml_alias_bomb_is_refused_before_it_expands():
    started = time.perf_counter()
    message = refusal(ALIAS_BOMB)
    assert time.perf_counter() - started < 1
    assert "x.yaml:5: 清单不能使用 YAML 别名（*a）" in message


def test_a_node_that_is_its_own_descendant_through_an_alias_is_called_a_cycle():
    text = HEAD + "nodes:\n  - &top\n    code: A\n    name: 甲\n    children: [*top]\n"
    message = refusal(text)
    assert "节点树中有循环" in message and "*top" in message
    assert message.startswith("x.yaml:8:")


def test_a_node_listed_again_under_itself_is_called_a_cycle():
    text = HEAD + (
        "nodes:\n"
        "  - code: A\n    name: 甲\n    children:\n"
        "      - code: B\n        name: 乙\n        children:\n"
        "          - code: A\n            name: 甲\n"
    )
    assert "节点树中有循环：编码 A 出现在它自己（第 5 行）的下级中" in refusal(text)


def test_nesting_deeper_than_a_manifest_is_refused():
    assert "嵌套超过" in refusal(HEAD + "nodes: " + "[" * 10_000 + "]" * 10_000 + "\n")


def test_a_file_larger_than_a_manifest_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(manifest_module, "MAX_MANIFEST_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text(HEAD + "# " + "x" * 2000 + "\n", encoding="utf-8")
    with pytest.raises(ManifestError) as refused:
        load_manifest(path)
    assert "清单文件过大" in str(refused.value)
