"""Tags for special populations (特殊人群) and kinds of sites: what a tag means, whom it applies
to and how often the tagged must be visited. The core declares its own here; department
modules declare more through the plugin host (``gridgov_tags``), with the same type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class TagSubject(StrEnum):
    PERSON = "person"
    SITE = "site"


@dataclass(frozen=True)
class TagDefinition:
    """One tag. ``code`` is the identifier stored on tagged records: lowercase ASCII, unique
    across the core and every module (a module's tags start with its name, e.g.
    ``fire_safety.leader``). ``visit_interval_days`` makes visits fall due: a person with the
    tag must be visited at least that often (None: no schedule)."""

    code: str
    label: str  # Simplified Chinese, shown first
    label_en: str
    subject: TagSubject = TagSubject.PERSON
    visit_interval_days: int | None = None
    module: str | None = None  # None: a core tag


# DOMAIN.md "Base data": the special populations every county tracks. Intervals follow common
# county practice (elderly living alone monthly, people under supervision every two weeks); a
# county changes them in its settings.
CORE_TAGS: tuple[TagDefinition, ...] = (
    TagDefinition("empty_nest_elderly", "空巢老人", "Empty-nest elderly", visit_interval_days=30),
    TagDefinition("left_behind_elderly", "留守老人", "Left-behind elderly", visit_interval_days=30),
    TagDefinition("left_behind_child", "留守儿童", "Left-behind child", visit_interval_days=30),
    TagDefinition("disabled", "残疾人", "Person with a disability", visit_interval_days=90),
    TagDefinition("hardship", "困难群众", "Person in hardship", visit_interval_days=30),
    TagDefinition("subsistence_allowance", "低保对象", "Subsistence allowance recipient"),
    TagDefinition("serious_illness", "大病患者", "Serious illness", visit_interval_days=30),
    TagDefinition(
        "community_correction",
        "社区矫正对象",
        "Under community correction",
        visit_interval_days=14,
    ),
    TagDefinition(
        "key_supervision", "重点监管对象", "Under key supervision", visit_interval_days=14
    ),
    TagDefinition("family_planning", "计生对象", "Family-planning target"),
)


def tag_catalogue(extra: Iterable[TagDefinition] = ()) -> dict[str, TagDefinition]:
    """Every known tag by code: the core's, then ``extra`` (the plugin host passes the tags of
    the modules a county has enabled). A code declared twice is a programming error."""
    catalogue: dict[str, TagDefinition] = {}
    for definition in (*CORE_TAGS, *extra):
        if definition.code in catalogue:
            raise ValueError(f"tag {definition.code!r} is declared twice")
        catalogue[definition.code] = definition
    return catalogue


def visit_interval(definition: TagDefinition, settings: Mapping[str, Any]) -> int | None:
    """Days between visits of someone with this tag: the county's override in its settings
    (``registry.visit_intervals.<code>``; 0 switches the schedule off) or the tag's default."""
    overrides = settings.get("registry", {}).get("visit_intervals", {})
    days = overrides.get(definition.code, definition.visit_interval_days)
    return days or None
