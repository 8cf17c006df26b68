"""The module's forms, declared as data: a hazard patrol checklist per kind of site and the
"four abilities" check, and how a filled-in checklist names its findings.

Every checklist item is one yes/no question ("疏散通道畅通?"); answering "no" shows what a
hazard needs — a photo, its grade (排查定级) and a note — so that each failed item becomes one
hazard. Hydrants and extinguishers also record what the brigade's statistics ask for (whether
a hydrant is missing, dry or damaged; how many extinguishers, when they expire).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gridgov.sdk.forms import Choice, Field, FieldType, FormDefinition, ShowIf
from gridgov.sdk.i18n import Localized

NAME = "fire_safety"
ABILITY_FORM = f"{NAME}.four_abilities"
PATROL_PREFIX = f"{NAME}.patrol_"
OTHER = "other"  # a hazard outside the checklist's items (其他隐患)


@dataclass(frozen=True)
class Item:
    """One line of a checklist: the question whose "no" is a hazard, and the hazard's name."""

    code: str
    question: Localized  # answered yes when all is well
    hazard: Localized  # what the hazard is called in the ledger


ITEMS: dict[str, Item] = {
    item.code: item
    for item in (
        Item(
            "hydrant",
            Localized("消火栓完好、有水", "Hydrant present, with water, undamaged"),
            Localized("消火栓缺失、无水或损坏", "Hydrant missing, dry or damaged"),
        ),
        Item(
            "extinguisher",
            Localized("灭火器数量足够、在有效期内", "Enough extinguishers, within date"),
            Localized("灭火器缺少或过期", "Extinguishers missing or expired"),
        ),
        Item(
            "evacuation",
            Localized("疏散通道畅通", "Evacuation routes clear"),
            Localized("疏散通道堵塞", "Evacuation route blocked"),
        ),
        Item(
            "exits",
            Localized("安全出口畅通、未锁闭", "Exits clear and unlocked"),
            Localized("安全出口堵塞或锁闭", "Exit blocked or locked"),
        ),
        Item(
            "wiring",
            Localized(
                "电气线路规范（无私拉乱接、无楼道充电）",
                "Wiring safe (no improvised cables, no charging in stairwells)",
            ),
            Localized("电气线路私拉乱接", "Unsafe electrical wiring"),
        ),
        Item(
            "open_flame",
            Localized("无违规用火", "No unsafe open flames"),
            Localized("违规用火", "Unsafe open flame"),
        ),
        Item(
            "straw",
            Localized("柴草堆垛远离房屋", "Straw and firewood stacked away from houses"),
            Localized("柴草堆垛靠近房屋", "Straw stacked against houses"),
        ),
        Item(
            "flammables",
            Localized("无易燃可燃物违规堆放", "No flammables stored unsafely"),
            Localized("易燃可燃物违规堆放", "Flammables stored unsafely"),
        ),
        Item(
            "billboard",
            Localized("户外广告牌不影响灭火救援", "Outdoor boards do not block rescue"),
            Localized("户外广告牌影响灭火救援", "Outdoor board blocks rescue"),
        ),
        Item(
            "facilities",
            Localized(
                "建筑消防设施（报警、喷淋）完好有效",
                "Building fire systems (alarm, sprinklers) work",
            ),
            Localized("建筑消防设施瘫痪或关停", "Building fire systems out of order"),
        ),
        Item(
            OTHER,
            Localized("其他", "Other"),
            Localized("其他火灾隐患", "Other fire hazard"),
        ),
    )
}


@dataclass(frozen=True)
class SiteType:
    """A kind of site with a checklist of its own (the items that matter there)."""

    code: str
    label: Localized
    items: tuple[str, ...]

    @property
    def form_code(self) -> str:
        return f"{PATROL_PREFIX}{self.code}"


SITE_TYPES: dict[str, SiteType] = {
    site_type.code: site_type
    for site_type in (
        SiteType(
            "residential",
            Localized("住宅楼栋", "Residential building"),
            ("hydrant", "extinguisher", "evacuation", "exits", "wiring", "flammables"),
        ),
        SiteType(
            "shop",
            Localized("商铺（九小场所）", "Shop (small premises)"),
            (
                "extinguisher",
                "evacuation",
                "exits",
                "wiring",
                "open_flame",
                "flammables",
                "billboard",
            ),
        ),
        SiteType(
            "market",
            Localized("集贸市场", "Market"),
            (
                "hydrant",
                "extinguisher",
                "evacuation",
                "exits",
                "wiring",
                "open_flame",
                "flammables",
                "billboard",
            ),
        ),
        SiteType(
            "school",
            Localized("学校", "School"),
            ("hydrant", "extinguisher", "evacuation", "exits", "wiring", "flammables"),
        ),
        SiteType(
            "village_household",
            Localized("农村住户", "Village household"),
            ("extinguisher", "wiring", "open_flame", "straw", "flammables"),
        ),
        SiteType(
            "key_site",
            Localized("重点单位", "Key site"),
            (
                "facilities",
                "hydrant",
                "extinguisher",
                "evacuation",
                "exits",
                "wiring",
                "open_flame",
                "flammables",
                "billboard",
            ),
        ),
    )
}

GRADES = (
    Choice("general", "一般隐患", "General"),
    Choice("major", "重大隐患", "Major"),
)
HYDRANT_PROBLEMS = (
    Choice("missing", "未设置", "Missing"),
    Choice("dry", "无水", "No water"),
    Choice("damaged", "损坏", "Damaged"),
)
EXTINGUISHER_PROBLEMS = (
    Choice("too_few", "数量不足", "Too few"),
    Choice("expired", "过期失效", "Expired"),
    Choice("no_pressure", "压力不足", "Low pressure"),
)
PROBLEMS = {"hydrant": HYDRANT_PROBLEMS, "extinguisher": EXTINGUISHER_PROBLEMS}


def _item_fields(item: Item) -> tuple[Field, ...]:
    """The question of ``item`` and, shown when the answer is no, what its hazard needs."""
    ok = f"{item.code}_ok"
    failed = ShowIf(ok, False)
    fields = [Field(ok, FieldType.BOOLEAN, item.question.zh, item.question.en, required=True)]
    if item.code in PROBLEMS:
        fields.append(
            Field(
                f"{item.code}_problems",
                FieldType.MULTI_CHOICE,
                "存在的问题",
                "Problems found",
                required=True,
                choices=PROBLEMS[item.code],
                show_if=failed,
            )
        )
    fields += [
        Field(
            f"{item.code}_grade",
            FieldType.CHOICE,
            "隐患等级",
            "Grade",
            required=True,
            choices=GRADES,
            show_if=failed,
        ),
        Field(f"{item.code}_photo", FieldType.PHOTO, "隐患照片", "Photo", show_if=failed),
        Field(f"{item.code}_note", FieldType.TEXT, "情况说明", "Note", max=200, show_if=failed),
    ]
    return tuple(fields)


def _patrol_form(site_type: SiteType) -> FormDefinition:
    fields: list[Field] = [
        Field(
            "place", FieldType.TEXT, "场所或楼栋名称", "Site or building", required=True, max=200
        ),
        Field("inspected_on", FieldType.DATE, "检查日期", "Inspected on", required=True),
    ]
    if "extinguisher" in site_type.items:
        fields += [
            Field(
                "extinguisher_count",
                FieldType.INTEGER,
                "灭火器数量（具）",
                "Extinguishers (count)",
                required=True,
                min=0,
                max=999,
            ),
            Field(
                "extinguisher_expiry",
                FieldType.DATE,
                "灭火器最早到期日",
                "Earliest extinguisher expiry",
            ),
        ]
    for code in site_type.items:
        fields += _item_fields(ITEMS[code])
    fields += [
        Field(
            "other_hazards",
            FieldType.GROUP,
            "其他隐患",
            "Other hazards",
            max=3,
            fields=(
                Field("description", FieldType.TEXT, "隐患描述", "Hazard", required=True, max=200),
                Field(
                    "grade",
                    FieldType.CHOICE,
                    "隐患等级",
                    "Grade",
                    required=True,
                    choices=GRADES,
                ),
                Field("photo", FieldType.PHOTO, "隐患照片", "Photo"),
            ),
        ),
        Field(
            "deadline",
            FieldType.DATE,
            "整改期限（不填按县里规定的天数）",
            "Rectify by (empty: the county's default)",
        ),
        Field("notes", FieldType.TEXTAREA, "备注", "Notes", max=1000),
    ]
    return FormDefinition(
        code=site_type.form_code,
        title=f"消防巡查检查单 · {site_type.label.zh}",
        title_en=f"Fire patrol checklist · {site_type.label.en}",
        fields=tuple(fields),
    )


PATROL_FORMS: dict[str, FormDefinition] = {
    site_type.form_code: _patrol_form(site_type) for site_type in SITE_TYPES.values()
}

# 四个能力: what a site must be able to do itself; the building's fire systems out of order
# fail the whole check (一票否决), as the seed's county rules have it.
ABILITIES = (
    Choice("eliminate", "检查消除火灾隐患能力", "Finding and removing hazards"),
    Choice("extinguish", "扑救初起火灾能力", "Putting out a starting fire"),
    Choice("evacuate", "组织疏散逃生能力", "Organising evacuation"),
    Choice("educate", "消防宣传教育能力", "Fire-safety education"),
)
FACILITIES = Choice("facilities", "建筑消防设施完好有效（一票否决）", "Building fire systems work")

ABILITY_FORM_DEFINITION = FormDefinition(
    code=ABILITY_FORM,
    title="四个能力建设检查",
    title_en="Four abilities check",
    fields=(
        Field("place", FieldType.TEXT, "单位场所名称", "Site", required=True, max=200),
        Field("checked_on", FieldType.DATE, "检查日期", "Checked on", required=True),
        *(
            Field(ability.value, FieldType.BOOLEAN, ability.label, ability.label_en, required=True)
            for ability in (*ABILITIES, FACILITIES)
        ),
        Field("notes", FieldType.TEXTAREA, "检查情况与指导意见", "Findings and advice", max=1000),
    ),
)


def site_type_of(form_code: str) -> SiteType | None:
    """The site type whose checklist ``form_code`` is, or None for another form."""
    if not form_code.startswith(PATROL_PREFIX):
        return None
    return SITE_TYPES.get(form_code.removeprefix(PATROL_PREFIX))


@dataclass(frozen=True)
class Finding:
    """A hazard a checklist found: which item, how serious, what was seen, its photo."""

    item: str
    grade: str
    description: str
    photo_id: int | None = None


def findings(site_type: SiteType, data: dict[str, Any]) -> list[Finding]:
    """The hazards a validated checklist of ``site_type`` names: each item answered "no", an
    expired extinguisher even when the item was answered "yes", and each other hazard."""
    found = []
    inspected_on = dt.date.fromisoformat(data["inspected_on"])
    for code in site_type.items:
        if data.get(f"{code}_ok") is False:
            problems = _problem_labels(code, data.get(f"{code}_problems", []))
            note = data.get(f"{code}_note", "")
            found.append(
                Finding(
                    item=code,
                    grade=data[f"{code}_grade"],
                    description="；".join(part for part in (problems, note) if part),
                    photo_id=data.get(f"{code}_photo"),
                )
            )
        elif code == "extinguisher" and _expired(data, inspected_on):
            found.append(
                Finding(
                    item=code,
                    grade="general",
                    description=f"灭火器已于 {data['extinguisher_expiry']} 过期",
                )
            )
    for row in data.get("other_hazards", []):
        found.append(
            Finding(
                item=OTHER,
                grade=row["grade"],
                description=row["description"],
                photo_id=row.get("photo"),
            )
        )
    return found


def _problem_labels(code: str, values: list[str]) -> str:
    labels = {choice.value: choice.label for choice in PROBLEMS.get(code, ())}
    return "、".join(labels[value] for value in values if value in labels)


def _expired(data: dict[str, Any], inspected_on: dt.date) -> bool:
    expiry = data.get("extinguisher_expiry")
    return expiry is not None and dt.date.fromisoformat(expiry) < inspected_on


def failed_abilities(data: dict[str, Any]) -> list[str]:
    """The abilities (and the fire systems) a validated four-abilities check found wanting."""
    return [choice.value for choice in (*ABILITIES, FACILITIES) if data.get(choice.value) is False]


def ability_label(code: str) -> Localized:
    """The name of an ability (or of the fire systems) in both languages."""
    choice = next(c for c in (*ABILITIES, FACILITIES) if c.value == code)
    return Localized(choice.label, choice.label_en)


FORMS: tuple[FormDefinition, ...] = (*PATROL_FORMS.values(), ABILITY_FORM_DEFINITION)
