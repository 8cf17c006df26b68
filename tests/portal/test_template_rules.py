"""Who may see a menu entry or a link is decided by the access rules of each area (the
``may`` flags of the page shell), never by a template comparing role names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    [
        *(ROOT / "platform" / "portal" / "templates").rglob("*.html"),
        *(ROOT / "plugins").rglob("*.html"),
    ]
)
# A role compared in a template: `.role ==`, `.role !=`, `.role in …`, `.role not in …`.
ROLE_RULE = re.compile(r"\.role\s*(==|!=|(not\s+)?in\b)")


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_decides_by_role_name(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    assert ROLE_RULE.findall(text) == []
