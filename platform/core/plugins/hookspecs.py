"""The hooks department modules implement. Project name ``gridgov``; every hook name carries
the ``gridgov_`` prefix and is called with keyword arguments only (an implementation may take
a subset of the arguments, never with defaults: pluggy does not pass them).

Declarations (module info, admission requirements, forms, task types, tags, scoring rules,
blueprints, portal pages, map layers, periodic jobs) are collected once at start, checked, and
kept by the host; hooks that react or compute something for a county (task transitions,
dashboard and period figures) are called when it happens, and only for the modules that county
admitted. ``gridgov.core.plugins.manager.PluginHost`` is the only caller; docs/plugins.md
lists every hook with an example.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gridgov.core.accounts.models import User
    from gridgov.core.accounts.scope import Scope
    from gridgov.core.forms.definitions import FormDefinition
    from gridgov.core.registry.tags import TagDefinition
    from gridgov.core.tasks.models import Task
    from gridgov.core.tasks.workflow import TaskType
    from gridgov.core.tenancy.county_time import Period
    from gridgov.core.tenancy.models import Tenant

hookspec = pluggy.HookspecMarker("gridgov")
hookimpl = pluggy.HookimplMarker("gridgov")


# --- what hooks return ------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleInfo:
    """What a department module says about itself (shown to operators and county admins)."""

    name: str  # identifier, lowercase ASCII, e.g. "fire_safety"; prefixes the module's codes
    title: str  # shown in the UI, Chinese, e.g. "消防安全"
    department: str  # e.g. "县消防救援大队"
    version: str
    icon: str = ""  # a short symbol shown next to the title in menus, e.g. "🧯"
    title_en: str = ""
    # The words for the codes the module writes to the county's audit log, each as (Chinese,
    # English): its actions ("fire_safety.hazard.publish"), the objects they touch
    # ("fire_safety_hazard") and the fields of their changes ("is_revisit"). The log's
    # reviewers read these words; a code without one is shown as it is.
    audit_words: Mapping[str, tuple[str, str]] = field(default_factory=dict)


class RequirementKind(StrEnum):
    TEXT = "text"  # the department states it in words
    FILE = "file"  # the department attaches a document (a PDF, a scan)


@dataclass(frozen=True)
class AdmissionRequirement:
    """Something a department must state or provide when it applies for the module, on top of
    the five items every application states (两明确、三到位)."""

    code: str  # unique within the module, lowercase ASCII
    label: str
    label_en: str
    kind: RequirementKind = RequirementKind.TEXT


@dataclass(frozen=True)
class ScoringContext:
    """What a scoring rule is given: one grid worker of one county over one period of the
    county's days (``period.starts_at`` … ``period.ends_at`` for timestamp columns)."""

    session: Session
    tenant_id: int
    user_id: int  # the grid worker assessed
    period: Period  # the county days assessed, e.g. a month (gridgov.core.tenancy.county_time)

    @property
    def period_start(self) -> dt.date:
        """The first county day of the period, inclusive."""
        return self.period.first

    @property
    def period_end(self) -> dt.date:
        """The last county day of the period, inclusive."""
        return self.period.last


# The four categories of the assessment: 德、能、勤、绩 (integrity, ability, diligence, results).
ASSESSMENT_CATEGORIES = ("integrity", "ability", "diligence", "results")


@dataclass(frozen=True)
class ScoringResult:
    """What a scoring rule may return instead of a bare number, so the worker's sheet can
    explain the line: the figures in words (both languages) and the ids of the records counted
    by kind (a module's own kinds, e.g. ``{"hazard": [3, 9]}``)."""

    points: float
    detail: str = ""
    detail_en: str = ""
    evidence: dict[str, list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoringRule:
    """One line of the monthly assessment (考核) a module contributes: up to ``max_points``
    points, computed from the module's own records by ``compute`` (a number, or a
    ``ScoringResult`` explaining it). ``category`` is where the county's default scheme puts
    the line (integrity, ability, diligence or results); the county may move it. The line only
    counts for workers whose grids lie where the module is admitted, in months it was."""

    code: str  # "<module>.<name>", unique across all modules
    label: str
    label_en: str
    max_points: float
    compute: Callable[[ScoringContext], float | ScoringResult]
    category: str = "results"

    def result(self, context: ScoringContext) -> ScoringResult:
        """The rule's result for ``context``, its points kept within 0 … ``max_points``."""
        found = self.compute(context)
        if not isinstance(found, ScoringResult):
            found = ScoringResult(float(found))
        points = max(0.0, min(float(found.points), self.max_points))
        return ScoringResult(points, found.detail, found.detail_en, dict(found.evidence))

    def score(self, context: ScoringContext) -> float:
        """The rule's points for ``context``, kept within 0 … ``max_points``."""
        return self.result(context).points


@dataclass(frozen=True)
class MenuEntry:
    """A link in the portal's navigation to one of the module's pages."""

    endpoint: str  # the view's name inside the module's blueprint, e.g. "ledger"
    label: str
    label_en: str


@dataclass(frozen=True)
class PortalPages:
    """A module's portal pages: a blueprint served under ``/t/<slug>/m/<module>/`` to logged-in
    staff of counties that admitted the module, and the menu entries leading to it."""

    blueprint: Any  # a flask Blueprint (the web layer checks)
    menu: tuple[MenuEntry, ...] = ()
    # Who is shown the menu entries: ``visible(session, user)``; None, every user of a county
    # that admitted the module. Give the rule the pages apply, so no entry leads to a 404.
    visible: Callable[[Session, User], bool] | None = None


@dataclass(frozen=True)
class PeriodicJob:
    """Work a module needs done regularly in every county that admitted it. ``run`` is given
    a session scoped to the county and the county's id, and must be idempotent."""

    code: str  # "<module>.<name>"
    label: str
    label_en: str
    every: dt.timedelta
    run: Callable[[Session, int], None]


@dataclass(frozen=True)
class DashboardFigure:
    """One number on a county's dashboard, e.g. open fire hazards in the viewer's scope."""

    code: str  # "<module>.<name>"
    label: str
    label_en: str
    value: float
    unit: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MapKind:
    """One kind of thing on a map layer (a hazard's grade, a site's type): its colour on the
    map and its words in the legend and the filter."""

    code: str  # the value of the layer's ``kind`` column, e.g. "major"
    label: str
    label_en: str
    colour: str  # a CSS colour "#rrggbb"


@dataclass(frozen=True)
class MapLayer:
    """Things of the module's drawn on the county's electronic map (电子地图), which a user
    switches on and filters by kind; clustered by the core when many are in view.

    ``points(session, user, scope)`` gives a SELECT of what ``user`` may read in ``scope``,
    with these labelled columns: ``id`` (the record), ``node_id`` (its basic grid),
    ``latitude``, ``longitude`` (WGS 84; rows without a position are left off the map),
    ``title`` (one line, shown on the marker) and ``kind`` (one of ``kinds``); or None when the
    user's role may not read these records (the layer is then not offered). The core adds the
    view, the node shown and the kinds asked for, counts and clusters.

    ``per_grid(grid_filter)``, when given, makes the layer a figure the map's areas can be
    coloured by: a SELECT of (basic grid id, count), ``grid_filter(column)`` being the
    condition on the grid-id column that the core supplies (the grids under the node shown).

    ``endpoint`` names the view of the module's portal blueprint that shows one record; it is
    called with the record's id as its only argument, ``id_argument``."""

    code: str  # "<module>.<name>"
    label: str
    label_en: str
    points: Callable[[Session, User, Scope], Any]
    kinds: tuple[MapKind, ...]
    endpoint: str = ""
    id_argument: str = "id"
    per_grid: Callable[[Callable[[Any], Any]], Any] | None = None


# --- the hooks --------------------------------------------------------------------------------


@hookspec
def gridgov_module_info() -> ModuleInfo:
    """Describe the module. Every department module implements this hook; a plugin without it
    is reported and skipped.

    Example::

        @hookimpl
        def gridgov_module_info():
            return ModuleInfo(name="fire_safety", title="消防安全",
                              department="县消防救援大队", version="1.0", icon="🧯")
    """


@hookspec
def gridgov_migrations() -> str:
    """The folder of the module's Alembic migrations, if it keeps tables of its own. They are
    a branch of the platform's history labelled with the module's name: the first script has
    ``down_revision = None``, ``branch_labels = ("<module>",)`` and ``depends_on`` the core
    revision whose tables it refers to. ``gridgov db upgrade`` runs them with the core's.
    Tables are declared on ``gridgov.core.db.Base`` with the ``TenantScoped`` mixin and
    protected with ``gridgov.migrations.rls.protect_tenant_table`` like the core's.

    Example::

        @hookimpl
        def gridgov_migrations():
            return str(Path(__file__).parent / "migrations")
    """


@hookspec
def gridgov_admission_requirements() -> list[AdmissionRequirement]:
    """What a department applying for the module must state or attach, beyond the five items
    of 两明确、三到位 that every application carries.

    Example::

        @hookimpl
        def gridgov_admission_requirements():
            return [
                AdmissionRequirement("hazard_catalogue", "隐患排查目录", "Hazard catalogue",
                                     RequirementKind.FILE),
            ]
    """


@hookspec
def gridgov_forms() -> list[FormDefinition]:
    """The module's forms, declared as data. The core builds the API schema and the portal
    form from each definition, validates submissions and keeps every version of a definition,
    so submissions made with an older version still render.

    Example::

        @hookimpl
        def gridgov_forms():
            return [FormDefinition(
                code="fire_safety.patrol", title="消防巡查", title_en="Fire patrol",
                fields=(
                    Field("hydrant_ok", FieldType.BOOLEAN, "消火栓完好", "Hydrant in order"),
                    Field("photo", FieldType.PHOTO, "现场照片", "Photo",
                          show_if=ShowIf("hydrant_ok", False)),
                ),
            )]
    """


@hookspec
def gridgov_task_types() -> list[TaskType]:
    """The module's kinds of task, each with its workflow (states, transitions, who may take
    them) and the SLA of each stage in working hours. Names start with the module's name.
    Tasks of these types go through the core's task engine (lists, cards, supervision,
    dashboard); they can be reported only where the module is admitted and are read-only
    while it is suspended or withdrawn. ``public=True`` lets residents report one through the
    public channel; such a type marks the step whose comment answers the resident
    (``answers_resident=True``, shown on the tracking page) and may have a rating step
    (``effect=Effect.RATE``) and a revisit that carries the rating (``carries_rating=True``).

    Example::

        @hookimpl
        def gridgov_task_types():
            return [TaskType(
                name="fire_safety.report", label=Localized("消防举报", "Fire report"),
                categories=("消防隐患举报",), initial="received", public=True,
                states=(State("received", Localized("已受理", "Received"), sla_hours=8),
                        State("closed", Localized("已反馈", "Answered"), is_open=False)),
                transitions=(TransitionRule("answer", Localized("反馈", "Answer"),
                                            ("received",), "closed",
                                            frozenset({Role.DEPARTMENT_OFFICER}),
                                            Reach.OWNER, needs_comment=True,
                                            answers_resident=True),),
            )]
    """


@hookspec
def gridgov_task_transition(
    session: Session,
    tenant: Tenant,
    task: Task,
    action: str,
    from_state: str | None,
    actor: User | None,
    comment: str,
) -> None:
    """React to a task of the county changing state: ``action`` was taken (``"report"`` with
    ``from_state=None`` when the task was filed) and ``task.state`` is the new state. Called
    for every task type, after the engine's own work and in the same transaction: raising a
    ``DomainError`` refuses the step with its message. Only modules the county admitted
    are called.

    Example::

        @hookimpl
        def gridgov_task_transition(session, task, action):
            if task.task_type == "fire_safety.hazard" and action == "close":
                mark_rectified(session, task)
    """


@hookspec
def gridgov_tags() -> list[TagDefinition]:
    """Person or site tags (special populations, kinds of sites) the module adds, with their
    visit schedules. Codes start with the module's name and must not clash with the core's.

    Example::

        @hookimpl
        def gridgov_tags():
            return [TagDefinition("fire_safety.leader", "消防带头人", "Building fire leader")]
    """


@hookspec
def gridgov_scoring_rules() -> list[ScoringRule]:
    """Lines the module adds to the monthly assessment of grid workers (考核).

    Example::

        @hookimpl
        def gridgov_scoring_rules():
            return [ScoringRule("fire_safety.patrols", "消防巡查完成率", "Fire patrols done",
                                max_points=5, compute=patrol_points)]
    """


@hookspec
def gridgov_api_blueprints() -> list[Any]:
    """Blueprints of the module's API, served under ``/t/<slug>/api/v1/modules/<module>/``
    only in counties (and, for a pilot, parts of counties) that admitted the module. A
    ``gridgov.sdk.api.Blueprint`` (flask-smorest) lands in ``/api/openapi.json`` with its
    schemas; a plain Flask blueprint is served but left out of the spec.

    Example::

        ledger = Blueprint("fire_safety_ledger", __name__)  # from gridgov.sdk.api

        @hookimpl
        def gridgov_api_blueprints():
            return [ledger]
    """


@hookspec
def gridgov_portal_pages() -> list[PortalPages]:
    """The module's portal pages and their menu entries, shown only where admitted.

    Example::

        pages = Blueprint("fire_safety_pages", __name__, template_folder="templates")

        @hookimpl
        def gridgov_portal_pages():
            return [PortalPages(pages, menu=(MenuEntry("ledger", "整改台帐", "Ledger"),))]
    """


@hookspec
def gridgov_map_layers() -> list[MapLayer]:
    """Layers of the module's records on the county's electronic map (电子地图), offered in
    counties that admitted the module to users whose role may read the records.

    Example::

        @hookimpl
        def gridgov_map_layers():
            return [MapLayer("fire_safety.hazards", "火灾隐患", "Fire hazards",
                             points=open_hazards, per_grid=open_hazards_per_grid,
                             kinds=(MapKind("major", "重大隐患", "Major", "#c81e1e"),
                                    MapKind("general", "一般隐患", "General", "#e6aa00")),
                             endpoint="hazard", id_argument="hazard_id")]
    """


@hookspec
def gridgov_periodic_jobs() -> list[PeriodicJob]:
    """Work to run regularly in each county that admitted the module.

    Example::

        @hookimpl
        def gridgov_periodic_jobs():
            return [PeriodicJob("fire_safety.overdue", "整改超期提醒", "Overdue rectifications",
                                every=timedelta(hours=1), run=remind_overdue)]
    """


@hookspec
def gridgov_demo_data(session: Session, tenant: Tenant) -> list[str]:
    """Fill the demo county with fictional records of the module (hazards, cases …) so that
    ``gridgov demo`` shows it at work. Called only by ``gridgov demo``, only for a county that
    admitted the module, inside the county's tenant scope; must be idempotent. Returns lines
    for the demo's printout.

    Example::

        @hookimpl
        def gridgov_demo_data(session, tenant):
            made = add_demo_hazards(session, tenant)
            return [f"  消防安全: {made} demo hazards"]
    """


@hookspec
def gridgov_dashboard_figures(
    session: Session, tenant: Tenant, scope: Scope
) -> list[DashboardFigure]:
    """Figures for the dashboard of a user who sees ``scope`` in ``tenant``. Called per request,
    only for modules the county admitted.

    Example::

        @hookimpl
        def gridgov_dashboard_figures(session, scope):
            return [DashboardFigure("fire_safety.open", "未整改隐患", "Open hazards",
                                    value=count_open(session, scope), unit="处")]
    """


@hookspec
def gridgov_period_figures(
    session: Session, tenant: Tenant, scope: Scope, period: Period
) -> list[DashboardFigure]:
    """The module's figures for a period report (期间报表) of ``scope`` — the subtree the
    report is for — over the county days of ``period`` (``period.first`` … ``period.last``;
    ``period.starts_at`` … ``period.ends_at`` as UTC moments for timestamp columns), e.g.
    "排查火灾隐患 X 起、已整改 Y 起" for this year. Count what was found or reported in the
    period, and say in the label what the figure counts. Called per report, only for modules
    admitted where ``scope`` reaches; a hook that fails is logged and left out.

    Example::

        @hookimpl
        def gridgov_period_figures(session, scope, period):
            found, rectified = count_hazards(session, scope, period.first, period.last)
            return [DashboardFigure("fire_safety.found", "排查火灾隐患", "Hazards found",
                                    value=found, unit="起"),
                    DashboardFigure("fire_safety.rectified", "已整改", "Rectified",
                                    value=rectified, unit="起")]
    """
