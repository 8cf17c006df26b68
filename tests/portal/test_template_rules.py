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


TITLE_BLOCK = re.compile(r"{%-?\s*block title\s*-?%}(.*?){%-?\s*endblock", re.S)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_page_title_holds_text_only(template: Path) -> None:
    """What goes in <title> is words: markup there (a list put in the wrong block) is shown
    nowhere on the page and garbles the browser's tab."""
    for title in TITLE_BLOCK.findall(template.read_text(encoding="utf-8")):
        assert "<" not in title, title[:80]
