"""环保巡查 (environmental patrol): an example department module written as a third party would
write it — only the hookspecs and ``gridgov.sdk``, no change to the core.

The county's 生态环境分局 asks grid workers to inspect small workshops, farms and restaurants
for smoke, waste water and noise; each inspection is a form, and the number of inspections a
worker files in a month earns up to 5 assessment points. A pollution lead (污染线索), reported
by a grid worker or a resident, is a task of the module's own type, verified and closed by
township staff; waste water discharged straight into a river is urgent from the start.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.views import MethodView
from marshmallow import fields

from gridgov.core.plugins.hookspecs import (
    AdmissionRequirement,
    MenuEntry,
    ModuleInfo,
    PortalPages,
    ScoringContext,
    ScoringRule,
    hookimpl,
)
from gridgov.sdk import api as sdk_api
from gridgov.sdk import forms
from gridgov.sdk.caller import Role
from gridgov.sdk.forms import Choice, Field, FieldType, FormDefinition, ShowIf
from gridgov.sdk.i18n import Localized
from gridgov.sdk.storage import db_session
from gridgov.sdk.tasks import Reach, State, TaskType, TransitionRule

NAME = "env_patrol"
INSPECTION = f"{NAME}.inspection"
POINTS_PER_INSPECTION = 1.0

KINDS = (
    Choice("workshop", "小作坊", "Workshop"),
    Choice("farm", "养殖场", "Farm"),
    Choice("restaurant", "餐饮店", "Restaurant"),
)
POLLUTANTS = (
    Choice("smoke", "烟尘", "Smoke"),
    Choice("water", "污水", "Waste water"),
    Choice("noise", "噪声", "Noise"),
    Choice("waste", "固体废物", "Solid waste"),
)

INSPECTION_FORM = FormDefinition(
    code=INSPECTION,
    title="环保巡查记录",
    title_en="Environmental inspection",
    fields=(
        Field("site", FieldType.TEXT, "场所名称", "Site", required=True, min=2, max=50),
        Field("kind", FieldType.CHOICE, "场所类型", "Kind of site", required=True, choices=KINDS),
        Field("inspected_on", FieldType.DATE, "巡查日期", "Inspected on", required=True),
        Field("compliant", FieldType.BOOLEAN, "是否达标", "Compliant", required=True),
        Field(
            "pollutants",
            FieldType.MULTI_CHOICE,
            "发现的污染",
            "Pollution found",
            required=True,
            choices=POLLUTANTS,
            show_if=ShowIf("compliant", False),
        ),
        Field(
            "violation_photo",
            FieldType.PHOTO,
            "现场照片",
            "Photo",
            show_if=ShowIf("compliant", False),
        ),
        Field("chimneys", FieldType.INTEGER, "烟囱数", "Chimneys", min=0, max=20),
        Field("ph", FieldType.DECIMAL, "排水 pH 值", "pH of the outflow", min=0, max=14),
        Field("permit", FieldType.FILE, "排污许可证", "Discharge permit"),
        Field("notes", FieldType.TEXTAREA, "情况说明", "Notes", max=500),
        Field(
            "checks",
            FieldType.GROUP,
            "检查项",
            "Checks",
            required=True,
            min=1,
            max=10,
            fields=(
                Field("item", FieldType.TEXT, "检查项目", "Item", required=True, max=50),
                Field("passed", FieldType.BOOLEAN, "合格", "Passed"),
            ),
        ),
    ),
)

POLLUTION = f"{NAME}.pollution"
DISCHARGE = "污水直排"
STAFF = frozenset({Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN})

POLLUTION_TYPE = TaskType(
    name=POLLUTION,
    label=Localized("污染线索", "Pollution lead"),
    categories=(DISCHARGE, "烟尘扰民", "噪声扰民"),
    initial="reported",
    public=True,
    states=(
        State("reported", Localized("待核实", "To verify"), sla_hours=8),
        State("verified", Localized("已核实", "Verified"), sla_hours=40),
        State("closed", Localized("已办结", "Closed"), is_open=False),
    ),
    transitions=(
        TransitionRule(
            "verify", Localized("核实", "Verify"), ("reported",), "verified", STAFF, Reach.OWNER
        ),
        TransitionRule(
            "close",
            Localized("办结", "Close"),
            ("verified",),
            "closed",
            STAFF,
            Reach.OWNER,
            needs_comment=True,
            answers_resident=True,
        ),
    ),
)

api = sdk_api.Blueprint("env_patrol_api", __name__, description="环保巡查模块")
pages = Blueprint("env_patrol_pages", __name__, template_folder="templates")


class EnvPatrolSummarySchema(sdk_api.ApiSchema):
    module = fields.String()
    inspections = fields.Integer()


@api.route("/summary")
class Summary(MethodView):
    @api.requires("forms:read")
    @api.response(200, EnvPatrolSummarySchema)
    def get(self):
        """How many inspections the caller's county has on file"""
        return {"module": NAME, "inspections": _count_inspections()}


@pages.get("/")
def overview():
    return render_template("env_patrol/overview.html", inspections=_count_inspections())


def _count_inspections() -> int:
    return forms.count_all_submissions(db_session(), INSPECTION)


def inspection_points(context: ScoringContext) -> float:
    done = forms.count_submissions(
        context.session,
        INSPECTION,
        user_id=context.user_id,
        period=context.period,
    )
    return done * POINTS_PER_INSPECTION


@hookimpl
def gridgov_module_info():
    return ModuleInfo(
        name=NAME,
        title="环保巡查",
        department="县生态环境分局",
        version="0.1.0",
        icon="🌿",
        title_en="Environmental patrol",
    )


@hookimpl
def gridgov_admission_requirements():
    return [AdmissionRequirement("monitoring_points", "监测点位清单", "Monitoring points")]


@hookimpl
def gridgov_forms():
    return [INSPECTION_FORM]


@hookimpl
def gridgov_task_types():
    return [POLLUTION_TYPE]


@hookimpl
def gridgov_task_transition(task, action):
    if task.task_type == POLLUTION and action == "report" and task.category == DISCHARGE:
        task.priority = 1


@hookimpl
def gridgov_scoring_rules():
    return [
        ScoringRule(
            f"{NAME}.inspections",
            "环保巡查",
            "Environmental inspections",
            max_points=5,
            compute=inspection_points,
        )
    ]


@hookimpl
def gridgov_api_blueprints():
    return [api]


@hookimpl
def gridgov_portal_pages():
    return [PortalPages(pages, menu=(MenuEntry("overview", "环保巡查", "Environmental patrol"),))]
