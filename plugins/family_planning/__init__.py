"""计划生育 (family planning): the module of a township's 卫生健康和计划生育办公室, built on the
hooks and ``gridgov.sdk`` only, as a third-party module would be.

Grid workers find the county's family-planning targets (计生对象) and register them as the
module's person tags, one per kind with its follow-up schedule: women of child-bearing age
(育龄妇女), families with a newborn (新生儿家庭, monthly in the child's first year, from a birth
registered to the household) and special families (计生特殊家庭: the only child died or is
disabled). They file follow-ups on the phone with the module's form, which also records the
household visit so the registry's schedule resets. Reward and assistance (奖励扶助、特别扶助)
go from the application through the township's check and the office's approval to the
payment, with the lists of who is due and who is overdue. The module scores grid workers'
follow-ups and targets found, and gives the dashboard and the period reports its figures.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from gridgov.core.plugins.hookspecs import (
    AdmissionRequirement,
    ModuleInfo,
    PeriodicJob,
    hookimpl,
)
from gridgov.sdk.caller import Scope
from gridgov.sdk.county import Period, Tenant
from gridgov.sdk.registry import TagDefinition
from gridgov_plugins.family_planning import demo, entitlements, figures, targets
from gridgov_plugins.family_planning.access import MODULE
from gridgov_plugins.family_planning.api import api
from gridgov_plugins.family_planning.follow_ups import FORM
from gridgov_plugins.family_planning.models import Birth, Entitlement, FollowUp, Target
from gridgov_plugins.family_planning.pages import PAGES

__all__ = ["Birth", "Entitlement", "FollowUp", "Target"]  # the tables load with the module


@hookimpl
def gridgov_module_info() -> ModuleInfo:
    return ModuleInfo(
        name=MODULE,
        title="计划生育",
        department="卫生健康和计划生育办公室",
        version="1.0",
        icon="👶",
        title_en="Family planning",
        audit_words=AUDIT_WORDS,
    )


# What the module writes to the county's audit log, in words for those who review it.
AUDIT_WORDS = {
    "family_planning.target.register": ("登记计生对象", "Target registered"),
    "family_planning.birth.register": ("登记出生", "Birth registered"),
    "family_planning.birth.link": ("关联新生儿人口信息", "Child's registry record linked"),
    "family_planning.follow_up.file": ("登记随访", "Follow-up filed"),
    "family_planning.entitlement.apply": ("申请扶助", "Entitlement applied for"),
    "family_planning.entitlement.check": ("审核扶助", "Entitlement checked"),
    "family_planning.entitlement.approve": ("审批扶助", "Entitlement approved"),
    "family_planning.entitlement.refuse": ("不予通过扶助", "Entitlement refused"),
    "family_planning.entitlement.pay": ("登记扶助发放", "Entitlement paid"),
    "family_planning_target": ("计生对象", "Family-planning target"),
    "family_planning_birth": ("出生登记", "Birth"),
    "family_planning_follow_up": ("计生随访", "Follow-up"),
    "family_planning_entitlement": ("奖励扶助、特别扶助", "Entitlement"),
    "household_id": ("户", "Household"),
    "born_on": ("出生日期", "Born on"),
    "child_id": ("新生儿（人口库）", "Child (registry)"),
    "target_id": ("计生对象", "Target"),
    "visited_on": ("随访日期", "Visited on"),
    "special_kind": ("特殊家庭类别", "Kind of special family"),
    "scheme": ("扶助项目", "Scheme"),
    "year": ("年度", "Year"),
    **{
        f"{field}={value}": (label.zh, label.en)
        for field, labels in (
            ("kind", targets.KIND_LABELS),
            ("special_kind", targets.SPECIAL_LABELS),
            ("scheme", entitlements.SCHEME_LABELS),
            ("state", entitlements.STATE_LABELS),
        )
        for value, label in labels.items()
    },
}


@hookimpl
def gridgov_migrations() -> str:
    return str(Path(__file__).parent / "migrations")


@hookimpl
def gridgov_admission_requirements() -> list[AdmissionRequirement]:
    return [
        AdmissionRequirement(
            "follow_up_rules",
            "计生对象随访要求（对象类别、随访周期、随访内容）",
            "Follow-up rules for each kind of target",
        )
    ]


@hookimpl
def gridgov_tags() -> list[TagDefinition]:
    return list(targets.TAGS.values())


@hookimpl
def gridgov_forms():
    return [FORM]


@hookimpl
def gridgov_scoring_rules():
    return list(figures.SCORING_RULES)


@hookimpl
def gridgov_api_blueprints():
    return [api]


@hookimpl
def gridgov_portal_pages():
    return [PAGES]


@hookimpl
def gridgov_periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob(
            f"{MODULE}.newborn_year",
            "新生儿满一周岁后结束按月随访",
            "End monthly follow-ups after a newborn's first year",
            every=timedelta(days=1),
            run=targets.end_newborn_years,
        )
    ]


@hookimpl
def gridgov_demo_data(session: Session, tenant: Tenant) -> list[str]:
    return demo.load(session, tenant)


@hookimpl
def gridgov_dashboard_figures(session: Session, scope: Scope):
    return figures.dashboard_figures(session, scope)


@hookimpl
def gridgov_period_figures(session: Session, scope: Scope, period: Period):
    return figures.period_figures(session, scope, period)
