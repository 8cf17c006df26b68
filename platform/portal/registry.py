"""People and places in the portal: a grid worker on a phone finds a person by name or ID,
opens a dwelling, adds a household member, tags a person and records a visit; county staff
import spreadsheets and watch the import's progress, and export lists (masked per role).

Records outside the user's scope answer 404, like the rest of the portal; roles that see no
residents (volunteers, the audit administrator) get 404 for every page here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from gridgov.core import personal_data
from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope
from gridgov.core.admission.activation import county_tags
from gridgov.core.db import db_session
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files import runs
from gridgov.core.files import service as files
from gridgov.core.i18n import _
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import access, disclosure, exports, imports, quality
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import (
    Dwelling,
    ExportRun,
    Household,
    ImportRun,
    Person,
    Relation,
)
from gridgov.core.registry.service import PersonInput
from gridgov.portal.forms import PortalForm, show_domain_error
from gridgov.portal.paging import page_number, paginate
from gridgov.portal.shell import (
    bp,
    is_htmx,
    me,
    roles_required,
    run_change,
    scope_roots,
    user_scope,
    visible_node,
)
from gridgov.web import current_tenant, id_value

T = TypeVar("T")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

RELATION_LABELS = {
    "head": _("户主"),
    "spouse": _("配偶"),
    "child": _("子女"),
    "parent": _("父母"),
    "grandchild": _("孙子女"),
    "grandparent": _("祖父母"),
    "sibling": _("兄弟姐妹"),
    "other": _("其他"),
}
RESIDENCE_LABELS = {"registered": _("户籍人口"), "floating": _("流动人口")}
SEX_LABELS = {"male": _("男"), "female": _("女")}
FIELD_LABELS = {PersonalField.ID_NUMBER: _("公民身份号码"), PersonalField.PHONE: _("联系电话")}
KIND_LABELS = {
    "people": _("人口"),
    "households": _("户（含成员）"),
    "dwellings": _("房屋"),
    "sites": _("单位场所"),
}
RUN_STATUS_LABELS = {
    "queued": _("排队中"),
    "running": _("进行中"),
    "done": _("已完成"),
    "failed": _("失败"),
    "expired": _("文件已删除"),
}


# --- forms -----------------------------------------------------------------------------------


class MemberForm(PortalForm):
    name = StringField(_("姓名"), validators=[DataRequired(_("请填写姓名")), Length(max=100)])
    id_number = StringField(_("公民身份号码"), validators=[Optional()])
    phone = StringField(_("联系电话"), validators=[Optional()])
    # No relation is taken for granted: 户主 is offered first only to a household without one
    # (``_member_form``), and the core refuses a second head.
    relation = SelectField(
        _("与户主关系"),
        choices=lambda: [
            SelectChoice("", _("请选择")),
            *(SelectChoice(k, v) for k, v in RELATION_LABELS.items()),
        ],
    )
    residence_type = SelectField(
        _("人口类型"), choices=lambda: [SelectChoice(k, v) for k, v in RESIDENCE_LABELS.items()]
    )


class VisitForm(PortalForm):
    notes = TextAreaField(_("走访记录"), validators=[Length(max=2000)])


class TagForm(PortalForm):
    tag = SelectField(
        _("标签"),
        choices=lambda: [SelectChoice(d.code, d.label) for d in county_tags().values()],
    )


class UnmaskForm(PortalForm):
    field = SelectField(
        _("查看"), choices=lambda: [SelectChoice(f.value, FIELD_LABELS[f]) for f in PersonalField]
    )
    reason = StringField(_("理由（写入审计日志）"), validators=[DataRequired(_("请说明理由"))])


class RentalForm(PortalForm):
    landlord_id_number = StringField(
        _("房东的公民身份号码"), validators=[DataRequired(_("请填写房东的公民身份号码"))]
    )
    renters = SelectMultipleField(_("承租人（本房屋已登记的人员）"), coerce=int)
    starts_on = DateField(_("租期开始"), validators=[DataRequired(_("请填写日期"))])
    ends_on = DateField(_("租期结束"), validators=[Optional()])


class MergeForm(PortalForm):
    keep = SelectField(_("保留哪一条"), coerce=int)
    duplicate = SelectField(_("并入的重复记录"), coerce=int)


class ExportForm(PortalForm):
    q = StringField()  # the search form's own box: an export sits in that form
    reason = StringField(
        _("导出完整号码的理由（留空则脱敏导出）"), validators=[Optional(), Length(max=200)]
    )


class ImportForm(PortalForm):
    kind = SelectField(
        _("导入内容"), choices=lambda: [SelectChoice(k, v) for k, v in KIND_LABELS.items()]
    )
    file = FileField(_("Excel 文件（.xlsx）"), validators=[FileRequired(_("请选择文件"))])
    dry_run = BooleanField(_("只检查，不保存"))
    strict = BooleanField(_("严格模式：有一行错误就全部不保存"))
    mapping = TextAreaField(
        _("表头对应（表头与标准列名不同时填写）"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 3, "placeholder": "身份证 = 公民身份号码\n手机 = 联系电话"},
    )


def mapping_lines(text: str | None) -> dict[str, str]:
    """The import form's 表头对应: one "表格中的列名 = 标准列名" per line (a full-width ＝ too);
    DomainError on the field for a line without one."""
    mapping: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        header, sep, column = line.replace("＝", "=").partition("=")
        if not sep:
            raise DomainError(
                _("第 %(n)d 行应写成“表格中的列名 = 标准列名”", n=number), field="mapping"
            )
        mapping[header.strip()] = column.strip()
    return mapping


# --- access ----------------------------------------------------------------------------------


def _reader() -> None:
    if not access.may_read(me()):
        abort(404)


def _editor() -> None:
    if not access.may_edit(me()):
        abort(404)


def visible_or_404(lookup: Callable[[Session, User, Scope, int], T], object_id: int) -> T:
    """The record ``lookup`` (an access rule of gridgov.core.registry.access) lets the user
    see, else 404 (for roles that see no residents too)."""
    _reader()
    try:
        return lookup(db_session(), me(), user_scope(), object_id)
    except NotFound:
        abort(404)


def _person(person_id: int) -> Person:
    return visible_or_404(access.visible_person, person_id)


def _dwelling(dwelling_id: int) -> Dwelling:
    return visible_or_404(access.visible_dwelling, dwelling_id)


def _household(household_id: int) -> Household:
    return visible_or_404(access.visible_household, household_id)


def masked(person: Person, field: str) -> str:
    """The ID number or phone of ``person`` as the user's role is shown it."""
    return registry.masked_value(person, PersonalField(field), me().role) or ""


def born(person: Person) -> int | None:
    """The birth year of ``person`` (the most any role is shown of the date)."""
    return disclosure.disclosure(me().role).birth(person.birth_date)


def _may_unmask() -> bool:
    return any(disclosure.may_unmask(me().role, f) for f in PersonalField)


# --- people ----------------------------------------------------------------------------------


class SearchForm(PortalForm):
    q = StringField(_("姓名、公民身份号码或电话"))

    def for_role(self, role: str) -> SearchForm:
        """The form as ``role`` is offered it: by name only, where exact searches are not."""
        if not disclosure.may_search_exact(role):
            self.q.label.text = str(_("姓名"))
        return self


# The search is a POST: an ID number or phone typed into it must not end up in a URL, where
# access logs, proxies and the browser history would keep it. Paging through names uses GET,
# and a GET that carries an ID number or phone anyway is not searched.
@bp.route("/people", methods=["GET", "POST"])
@roles_required(access.READER_ROLES)
def people() -> Any:
    form = SearchForm().for_role(me().role)
    if form.validate_on_submit():
        q = (form.q.data or "").strip()
    else:
        q = (request.args.get("q") or "").strip()
        if registry.names_personal_data(q):
            q = ""
    return _people_page(q, page_number(), form, ExportForm(formdata=None))


def _people_page(q: str, number: int, form: SearchForm, export_form: ExportForm) -> tuple[str, int]:
    """The list page and its status: an exact search refused (not for this role, or too many
    of them) shows the whole list with the reason next to the search box."""
    session, status = db_session(), 200
    try:
        query = registry.search_people(session, me(), user_scope(), q)
        session.commit()  # an exact search's audit event
    except DomainError as error:
        session.rollback()
        show_domain_error(form, error)
        q, status = "", error.status
        query = registry.search_people(session, me(), user_scope(), q)
    # The pager's links carry a name searched for, never an ID number or phone (URLs end up in
    # logs and the browser's history): those searches are POSTed and have one page.
    args = {"q": q} if q and not q.isdigit() else {}
    page = render_template(
        "registry/people.html",
        page=paginate(session, query, counted=False, number=number, args=args),
        q=q,
        form=form,
        export_form=export_form,
        may_unmask=_may_unmask(),
        masked=masked,
        residence_labels=RESIDENCE_LABELS,
    )
    return page, status


# An export is a job with a progress bar (a county's list runs to 100,000s of rows). The
# search text travels in the POST body, and the run keeps an ID number only as its hash.
@bp.post("/people/exports")
@roles_required(access.READER_ROLES)
def people_export() -> Any:
    form = ExportForm()
    started: list[ExportRun] = []
    if form.validate_on_submit() and run_change(
        form,
        lambda: started.append(
            exports.start_export(
                db_session(), me(), q=form.q.data, reason=(form.reason.data or "").strip() or None
            )
        ),
        {"q": ""},  # an exact search refused: said above the form (its q is the search box's)
    ):
        return redirect(url_for("portal.people_export_run", export_id=started[0].id))
    search = SearchForm(formdata=None).for_role(me().role)
    return _people_page(form.q.data or "", 1, search, form)[0], 422


@bp.get("/people/exports/<int:export_id>")
@roles_required(access.READER_ROLES)
def people_export_run(export_id: int) -> Any:
    run = _export_run(export_id)
    template = "registry/_export_status.html" if is_htmx() else "registry/export.html"
    return render_template(template, run=run, progress=runs.progress(run))


@bp.get("/people/exports/<int:export_id>/people.xlsx")
@roles_required(access.READER_ROLES)
def people_export_file(export_id: int) -> Any:
    session = db_session()
    try:
        stored = runs.output_file(session, _export_run(export_id))
    except NotFound:
        abort(404)
    return send_file(
        files.file_path(stored), mimetype=XLSX, as_attachment=True, download_name=stored.name
    )


def _export_run(export_id: int) -> ExportRun:
    try:
        return runs.visible_run(db_session(), ExportRun, me(), export_id)
    except NotFound:
        abort(404)


@bp.route("/people/duplicates", methods=["GET", "POST"])
@roles_required(access.READER_ROLES)
def people_duplicates() -> Any:
    session = db_session()
    groups = registry.duplicate_groups(session, user_scope())
    if request.method == "GET":
        return _duplicates_page(groups, {})
    if not access.may_edit(me()):
        abort(404)
    index = request.args.get("group", -1, type=int)
    if not 0 <= index < len(groups):
        abort(404)
    form = _merge_form(groups[index], index)

    def merge() -> None:
        people = {p.id: p for p in groups[index]}
        registry.merge_people(
            session, current_tenant(), me(), people[form.keep.data], people[form.duplicate.data]
        )

    if form.validate_on_submit() and run_change(form, merge, {"duplicate_id": "duplicate"}):
        flash(_("已合并重复记录。"), "success")
        return redirect(url_for("portal.people_duplicates"))
    return _duplicates_page(groups, {index: form}), 422


def _merge_form(group: list[Person], index: int, **kwargs: Any) -> MergeForm:
    form = MergeForm(prefix=f"merge{index}", **kwargs)
    choices = [(p.id, f"{p.name} #{p.id} {masked(p, 'id_number')}") for p in group]
    form.keep.choices, form.duplicate.choices = choices, choices[1:] + choices[:1]
    return form


def _duplicates_page(groups: list[list[Person]], forms: dict[int, MergeForm]) -> str:
    for index, group in enumerate(groups):
        forms.setdefault(index, _merge_form(group, index, formdata=None))
    return render_template(
        "registry/duplicates.html",
        groups=groups,
        forms=forms,
        masked=masked,
        born=born,
        may_edit=access.may_edit(me()),
    )


@bp.get("/registry/quality")
@roles_required(access.READER_ROLES)
def registry_quality() -> Any:
    session = db_session()
    node_id = request.args.get("node_id", type=id_value)
    if node_id is None:
        roots = scope_roots()
        if not roots:
            abort(404)
        node_id = roots[0].id
    # "Records changed" counts this county month's changes.
    month_start = current_tenant().clock.this_month().starts_at
    figures = quality.quality(session, visible_node(node_id), since=month_start)
    return render_template("registry/quality.html", figures=figures)


@bp.get("/people/<int:person_id>")
@roles_required(access.READER_ROLES)
def person(person_id: int) -> Any:
    return _person_page(_person(person_id))


@bp.post("/people/<int:person_id>/tags")
@roles_required(access.EDITOR_ROLES)
def person_tag(person_id: int) -> Any:
    found, form = _person(person_id), TagForm(prefix="tag")
    if form.validate_on_submit() and run_change(
        form,
        lambda: registry.tag_person(
            db_session(), me(), found, form.tag.data, catalogue=county_tags()
        ),
    ):
        flash(_("已加标签。"), "success")
        return redirect(url_for("portal.person", person_id=found.id))
    return _person_page(found, tag_form=form), 422


@bp.post("/people/<int:person_id>/unmask")
@roles_required(access.READER_ROLES)
def person_unmask(person_id: int) -> Any:
    found, form = _person(person_id), UnmaskForm(prefix="unmask")
    if not _may_unmask():
        abort(404)
    shown: dict[str, Any] = {}

    def reveal() -> None:
        field = PersonalField(form.field.data)
        shown[field] = registry.reveal(db_session(), me(), found, field, form.reason.data)

    if form.validate_on_submit() and run_change(form, reveal):
        return _person_page(found, revealed=shown)
    return _person_page(found, unmask_form=form), 422


# How a person's change history reads (the log keeps codes: create, update, node_id, tag …).
HISTORY_ACTIONS = {
    "create": _("登记"),
    "update": _("修改"),
    "move": _("迁移"),
    "merge": _("合并"),
    "merged": _("并入另一条记录"),
}
HISTORY_FIELDS = {
    "name": _("姓名"),
    "sex": _("性别"),
    "birth_date": _("出生日期"),
    "residence_type": _("人口类型"),
    "relation": _("与户主关系"),
    "node_id": _("所在网格"),
    "household": _("户"),
    "dwelling": _("房屋"),
    "tag": _("标签"),
    **FIELD_LABELS,
}


@dataclass(frozen=True)
class HistoryRow:
    at: Any
    actor: Any
    action: Any
    field: Any | None
    old: str
    new: str


def _history_rows(changes: list[Any], catalogue: dict[str, Any]) -> list[HistoryRow]:
    """The person's changes in words: a tag by its label, a relation or type by its name, the
    system as 系统, nothing as a dash."""
    values: dict[str, dict[str, Any]] = {
        "tag": {code: d.label for code, d in catalogue.items()},
        "relation": RELATION_LABELS,
        "residence_type": RESIDENCE_LABELS,
    }

    def shown(field: str | None, value: str | None) -> str:
        if value is None or value == "":
            return "—"
        return str(values.get(field or "", {}).get(value, value))

    rows = []
    for c in changes:
        old, new = registry.history_shown(c, me().role)
        rows.append(
            HistoryRow(
                at=c.at,
                actor=_("系统") if c.actor_name == "system" else c.actor_name,
                action=HISTORY_ACTIONS.get(c.action, c.action),
                field=HISTORY_FIELDS.get(c.field, c.field) if c.field else None,
                old=shown(c.field, old),
                new=shown(c.field, new),
            )
        )
    return rows


def _person_page(found: Person, *, revealed: dict[str, Any] | None = None, **forms: Any) -> str:
    session = db_session()
    catalogue = county_tags()
    return render_template(
        "registry/person.html",
        person=found,
        masked=masked,
        born=born,
        revealed=revealed or {},
        tags=[catalogue[t.tag].label if t.tag in catalogue else t.tag for t in found.tags],
        history=_history_rows(registry.history(session, "person", found.id)[-20:], catalogue),
        may_edit=access.may_edit(me()),
        may_unmask=_may_unmask(),
        tag_form=forms.get("tag_form") or TagForm(prefix="tag", formdata=None),
        unmask_form=forms.get("unmask_form") or UnmaskForm(prefix="unmask", formdata=None),
        relation_labels=RELATION_LABELS,
        residence_labels=RESIDENCE_LABELS,
        sex_labels=SEX_LABELS,
    )


# --- dwellings, households, visits -----------------------------------------------------------


@bp.get("/dwellings/<int:dwelling_id>")
@roles_required(access.READER_ROLES)
def dwelling(dwelling_id: int) -> Any:
    return _dwelling_page(_dwelling(dwelling_id))


@bp.post("/households/<int:household_id>/members")
@roles_required(access.EDITOR_ROLES)
def household_member(household_id: int) -> Any:
    household = _household(household_id)
    form = MemberForm(prefix=f"member{household.id}")
    already: list[int] = []

    def add() -> None:
        try:
            _create_member(household, form)
        except registry.AlreadyRegistered as error:
            already.append(error.person_id)
            raise

    if form.validate_on_submit() and run_change(form, add):
        flash(_("已添加户成员 %(name)s。", name=form.name.data), "success")
        return redirect(url_for("portal.dwelling", dwelling_id=household.dwelling_id))
    existing = {household.id: _registered(already[0])} if already else {}
    page = _dwelling_page(
        household.dwelling, forms={f"member{household.id}": form}, existing=existing
    )
    return page, 422


def _registered(person_id: int) -> Person | None:
    """The record an ID number is registered on, if the user may open it (None: outside their
    scope — the page says so instead of linking)."""
    try:
        return access.visible_person(db_session(), me(), user_scope(), person_id)
    except DomainError:
        return None


def _create_member(household: Household, form: MemberForm) -> None:
    registry.create_person(
        db_session(),
        current_tenant(),
        me(),
        PersonInput(
            name=form.name.data,
            id_number=form.id_number.data or None,
            phone=form.phone.data or None,
            relation=form.relation.data or None,
            residence_type=form.residence_type.data,
        ),
        household=household,
    )


@bp.post("/households/<int:household_id>/visits")
@roles_required(access.EDITOR_ROLES)
def household_visit(household_id: int) -> Any:
    household = _household(household_id)
    form = VisitForm(prefix=f"visit{household.id}")
    if form.validate_on_submit() and run_change(
        form,
        lambda: registry.record_visit(db_session(), me(), household, notes=form.notes.data or ""),
    ):
        flash(_("已记录走访。"), "success")
        return redirect(url_for("portal.dwelling", dwelling_id=household.dwelling_id))
    return _dwelling_page(household.dwelling, forms={f"visit{household.id}": form}), 422


@bp.post("/dwellings/<int:dwelling_id>/rentals")
@roles_required(access.EDITOR_ROLES)
def dwelling_rental(dwelling_id: int) -> Any:
    found = _dwelling(dwelling_id)
    form = _rental_form(found)

    def create() -> None:
        session, scope = db_session(), user_scope()
        number = personal_data.clean_id_number(
            form.landlord_id_number.data, field="landlord_id_number"
        )
        # An exact search like any other: for the roles that need it, limited and audited, and
        # kept in the audit log when it finds nobody (the refusal below rolls back the rest).
        landlord = session.scalars(registry.search_people(session, me(), scope, number)).first()
        session.commit()
        if landlord is None:
            raise DomainError(_("没有登记这个人员，请先登记房东"), field="landlord_id_number")
        registry.create_rental(
            session,
            me(),
            dwelling=found,
            landlord=landlord,
            occupants=[p for p in _residents(found) if p.id in set(form.renters.data or [])],
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
        )

    if form.validate_on_submit() and run_change(form, create):
        flash(_("已登记出租信息。"), "success")
        return redirect(url_for("portal.dwelling", dwelling_id=found.id))
    return _dwelling_page(found, forms={"rental": form}), 422


def _residents(dwelling: Dwelling) -> list[Person]:
    return list(db_session().scalars(registry.people_query(user_scope(), dwelling_id=dwelling.id)))


def _rental_form(dwelling: Dwelling, **kwargs: Any) -> RentalForm:
    form = RentalForm(prefix="rental", **kwargs)
    form.renters.choices = [(p.id, p.name) for p in _residents(dwelling)]
    return form


def _member_form(household: Household, key: str) -> MemberForm:
    """An empty member form: 户主 chosen for a household that has none, nothing otherwise."""
    has_head = any(m.relation == Relation.HEAD for m in household.members)
    return MemberForm(prefix=key, formdata=None, relation="" if has_head else Relation.HEAD.value)


def _dwelling_page(
    found: Dwelling,
    forms: dict[str, FlaskForm] | None = None,
    existing: dict[int, Person | None] | None = None,
) -> str:
    session, forms = db_session(), forms or {}
    households = registry.households_of(session, found)
    rentals = registry.rentals_of(session, found)
    mentioned = {r.landlord_id for r in rentals} | {i for r in rentals for i in r.occupant_ids}
    named = dict(
        session.execute(select(Person.id, Person.name).where(Person.id.in_(mentioned))).all()
    )
    forms.setdefault("rental", _rental_form(found, formdata=None))
    for household in households:
        key = f"member{household.id}"
        forms.setdefault(key, _member_form(household, key))
        key = f"visit{household.id}"
        forms.setdefault(key, VisitForm(prefix=key, formdata=None))
    return render_template(
        "registry/dwelling.html",
        dwelling=found,
        households=households,
        rentals=rentals,
        named=named,
        visits={h.id: registry.visits_of(session, h)[:3] for h in households},
        forms=forms,
        masked=masked,
        may_edit=access.may_edit(me()),
        relation_labels=RELATION_LABELS,
        existing=existing or {},
    )


@bp.get("/visits/due")
@roles_required(access.READER_ROLES)
def due_visits() -> Any:
    due = registry.due_visits(
        db_session(),
        current_tenant(),
        user_scope(),
        today=current_tenant().clock.today(),
        catalogue=county_tags(),
    )
    return render_template("registry/due.html", due=due[:200], total=len(due))


# --- imports ---------------------------------------------------------------------------------


@bp.get("/registry/imports")
@roles_required(access.IMPORTER_ROLES)
def registry_imports() -> Any:
    return _imports_page(ImportForm(formdata=None))


@bp.post("/registry/imports")
@roles_required(access.IMPORTER_ROLES)
def new_registry_import() -> Any:
    form = ImportForm()
    started: list[ImportRun] = []

    def start() -> None:
        upload = form.file.data
        started.append(
            imports.start_import(
                db_session(),
                me(),
                kind=form.kind.data,
                name=upload.filename or "import.xlsx",
                data=upload.stream,
                dry_run=form.dry_run.data,
                strict=form.strict.data,
                mapping=mapping_lines(form.mapping.data),
            )
        )

    if form.validate_on_submit() and run_change(form, start):
        return redirect(url_for("portal.registry_import", run_id=started[0].id))
    return _imports_page(form), 422


@bp.get("/registry/imports/<int:run_id>")
@roles_required(access.IMPORTER_ROLES)
def registry_import(run_id: int) -> Any:
    run = _run(run_id)
    template = "registry/_import_status.html" if is_htmx() else "registry/import.html"
    return render_template(
        template,
        run=run,
        progress=runs.progress(run),
        kind_labels=KIND_LABELS,
    )


@bp.get("/registry/imports/<int:run_id>/rejected.xlsx")
@roles_required(access.IMPORTER_ROLES)
def registry_import_rejected(run_id: int) -> Any:
    run = _run(run_id)
    try:
        stored = imports.rejected_file(db_session(), me(), run)
    except NotFound:
        abort(404)
    return send_file(
        files.file_path(stored), mimetype=XLSX, as_attachment=True, download_name=stored.name
    )


def _run(run_id: int) -> ImportRun:
    try:
        return imports.visible_import_run(db_session(), me(), run_id)
    except NotFound:
        abort(404)


def _imports_page(form: ImportForm) -> str:
    return render_template(
        "registry/imports.html",
        form=form,
        runs=imports.import_runs(db_session(), me()),
        kind_labels=KIND_LABELS,
        status_labels=RUN_STATUS_LABELS,
        standard_headers={
            kind: "、".join(column.header for column in imports.KINDS[kind]) for kind in KIND_LABELS
        },
    )
