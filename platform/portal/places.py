"""Places in the portal: compounds 小区 → buildings 楼栋 → units 单元 → dwellings, and sites
单位场所 with their key-site flag. Staff register them in their scope; a grid worker opens a
building and finds its dwellings unit by unit.

Compounds and buildings filed above the user's scope (a compound under the community) are
shown, as they hold no personal data; anything else outside it answers 404.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import BooleanField, FloatField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from gridgov.core.db import db_session
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.registry import access
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import Building, Compound, Site, SiteKind
from gridgov.portal.forms import PortalForm
from gridgov.portal.paging import paginate
from gridgov.portal.registry import visible_or_404
from gridgov.portal.shell import bp, me, roles_required, run_change, user_scope
from gridgov.web import current_tenant, id_or_none

SITE_KIND_LABELS = {
    SiteKind.SCHOOL: _("学校"),
    SiteKind.MARKET: _("市场"),
    SiteKind.HOSPITAL: _("医院"),
    SiteKind.SHOP: _("商铺"),
    SiteKind.INDIVIDUAL_BUSINESS: _("个体工商户"),
    SiteKind.ENTERPRISE: _("企业"),
    SiteKind.OTHER: _("其他"),
}


def grid_choices() -> list[SelectChoice]:
    """The active basic grids of the user's scope, for a "which grid" select."""
    query = select(Node).where(
        Node.level == current_tenant().grid_level,
        Node.retired_at.is_(None),
        user_scope().node_filter(),
    )
    return [
        SelectChoice(str(n.id), f"{n.name}（{n.code}）")
        for n in db_session().scalars(query.order_by(Node.path).limit(1000))
    ]


def _grid(node_id: str | None) -> Node:
    # The select offers only grids in scope; a forged value is NotFound like any other.
    return access.editable_grid(db_session(), me(), user_scope(), id_or_none(node_id) or 0)


# --- forms -----------------------------------------------------------------------------------


class CompoundForm(PortalForm):
    name = StringField(_("小区名称"), validators=[DataRequired(_("请填写名称")), Length(max=200)])
    address = StringField(_("地址"), validators=[Optional(), Length(max=300)])
    node = SelectField(_("所在网格"), choices=lambda: grid_choices())


class BuildingForm(PortalForm):
    name = StringField(_("楼栋名称"), validators=[DataRequired(_("请填写名称")), Length(max=100)])
    node = SelectField(_("所在网格"), choices=lambda: grid_choices())


class DwellingForm(PortalForm):
    unit = StringField(_("单元"), validators=[Optional(), Length(max=32)])
    number = StringField(_("房号"), validators=[Optional(), Length(max=32)])
    address = StringField(
        _("房屋地址"), validators=[DataRequired(_("请填写地址")), Length(max=300)]
    )
    node = SelectField(_("所在网格"), choices=lambda: grid_choices())
    is_rental = BooleanField(_("出租屋"))


def _latitude_field() -> Any:
    return FloatField(
        _("纬度"),
        validators=[Optional(), NumberRange(-90, 90, _("纬度须在 -90 到 90 之间"))],
        description=_("WGS 84，如 30.123456；重点单位场所填了位置才上电子地图"),
    )


def _longitude_field() -> Any:
    return FloatField(
        _("经度"),
        validators=[Optional(), NumberRange(-180, 180, _("经度须在 -180 到 180 之间"))],
    )


class SiteForm(PortalForm):
    name = StringField(_("单位名称"), validators=[DataRequired(_("请填写名称")), Length(max=100)])
    kind = SelectField(
        _("单位类型"), choices=lambda: [SelectChoice(k, v) for k, v in SITE_KIND_LABELS.items()]
    )
    node = SelectField(_("所在网格"), choices=lambda: grid_choices())
    address = StringField(_("地址"), validators=[Optional(), Length(max=300)])
    contact_name = StringField(_("联系人"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_("联系电话"), validators=[Optional()])
    is_key = BooleanField(_("重点单位场所"))
    latitude = _latitude_field()
    longitude = _longitude_field()


class SitePositionForm(PortalForm):
    latitude = _latitude_field()
    longitude = _longitude_field()


# --- compounds, buildings, units -------------------------------------------------------------


@bp.route("/compounds", methods=["GET", "POST"])
@roles_required(access.READER_ROLES)
def compounds() -> Any:
    form = CompoundForm()
    if request.method == "POST":
        if not access.may_edit(me()):
            abort(404)
        created: list[Compound] = []
        if form.validate_on_submit() and run_change(
            form,
            lambda: created.append(
                registry.create_compound(
                    db_session(),
                    me(),
                    node=_grid(form.node.data),
                    name=form.name.data,
                    address=form.address.data or "",
                )
            ),
            {"node_id": "node"},
        ):
            flash(_("已登记小区 %(name)s。", name=form.name.data), "success")
            return redirect(url_for("portal.compound", compound_id=created[0].id))
        return _compounds_page(form), 422
    return _compounds_page(CompoundForm(formdata=None))


def _compounds_page(form: CompoundForm) -> str:
    query = registry.compounds_query(user_scope())
    return render_template(
        "places/compounds.html",
        page=paginate(db_session(), query, counted=False, args={}),
        form=form,
        may_edit=access.may_edit(me()),
    )


@bp.route("/compounds/<int:compound_id>", methods=["GET", "POST"])
@roles_required(access.READER_ROLES)
def compound(compound_id: int) -> Any:
    found = visible_or_404(access.visible_compound, compound_id)
    form = BuildingForm()
    if request.method == "POST":
        if not access.may_edit(me()):
            abort(404)
        created: list[Building] = []
        if form.validate_on_submit() and run_change(
            form,
            lambda: created.append(
                registry.create_building(
                    db_session(),
                    me(),
                    node=_grid(form.node.data),
                    name=form.name.data,
                    compound=found,
                )
            ),
            {"node_id": "node"},
        ):
            flash(_("已登记楼栋 %(name)s。", name=form.name.data), "success")
            return redirect(url_for("portal.building", building_id=created[0].id))
        return _compound_page(found, form), 422
    return _compound_page(found, BuildingForm(formdata=None))


def _compound_page(found: Compound, form: BuildingForm) -> str:
    return render_template(
        "places/compound.html",
        compound=found,
        buildings=registry.buildings_of(db_session(), found),
        form=form,
        may_edit=access.may_edit(me()),
    )


@bp.route("/buildings/<int:building_id>", methods=["GET", "POST"])
@roles_required(access.READER_ROLES)
def building(building_id: int) -> Any:
    found = visible_or_404(access.visible_building, building_id)
    form = DwellingForm()
    if request.method == "POST":
        if not access.may_edit(me()):
            abort(404)
        if form.validate_on_submit() and run_change(
            form,
            lambda: registry.create_dwelling(
                db_session(),
                current_tenant(),
                me(),
                grid=_grid(form.node.data),
                building=found,
                address=form.address.data,
                unit=form.unit.data or "",
                number=form.number.data or "",
                is_rental=form.is_rental.data,
            ),
            {"grid_id": "node"},
        ):
            flash(_("已登记房屋。"), "success")
            return redirect(url_for("portal.building", building_id=found.id))
        return _building_page(found, form), 422
    return _building_page(found, DwellingForm(formdata=None))


def _building_page(found: Building, form: DwellingForm) -> str:
    session = db_session()
    return render_template(
        "places/building.html",
        building=found,
        compound=session.get(Compound, found.compound_id) if found.compound_id else None,
        units=registry.units_of(session, user_scope(), found),
        form=form,
        may_edit=access.may_edit(me()),
    )


# --- sites -----------------------------------------------------------------------------------


@bp.get("/sites")
@roles_required(access.READER_ROLES)
def sites() -> Any:
    key_only = request.args.get("key") == "1"
    query = registry.sites_query(user_scope(), is_key=True if key_only else None)
    return render_template(
        "places/sites.html",
        page=paginate(db_session(), query, counted=False, args={"key": 1} if key_only else {}),
        key_only=key_only,
        kind_labels=SITE_KIND_LABELS,
        may_edit=access.may_edit(me()),
    )


@bp.route("/sites/new", methods=["GET", "POST"])
@roles_required(access.EDITOR_ROLES)
def new_site() -> Any:
    form = SiteForm()
    created: list[Site] = []
    if form.validate_on_submit() and run_change(
        form,
        lambda: created.append(
            registry.create_site(
                db_session(),
                current_tenant(),
                me(),
                grid=_grid(form.node.data),
                name=form.name.data,
                kind=form.kind.data,
                address=form.address.data or "",
                contact_name=form.contact_name.data or "",
                contact_phone=form.contact_phone.data or None,
                is_key=form.is_key.data,
                latitude=form.latitude.data,
                longitude=form.longitude.data,
            )
        ),
        {"grid_id": "node"},
    ):
        flash(_("已登记单位场所 %(name)s。", name=form.name.data), "success")
        return redirect(url_for("portal.site", site_id=created[0].id))
    status = 422 if request.method == "POST" else 200
    return render_template("places/site_new.html", form=form), status


@bp.get("/sites/<int:site_id>")
@roles_required(access.READER_ROLES)
def site(site_id: int) -> Any:
    found = visible_or_404(access.visible_site, site_id)
    return render_template(
        "places/site.html",
        site=found,
        grid=db_session().get(Node, found.node_id),
        kind_labels=SITE_KIND_LABELS,
        phone=registry.masked_site_phone(found),
        position=SitePositionForm(obj=found) if access.may_edit(me()) else None,
    )


@bp.post("/sites/<int:site_id>/position")
@roles_required(access.EDITOR_ROLES)
def place_site(site_id: int) -> Any:
    """Set or clear where a site stands on the map (both coordinates, or neither)."""
    found = visible_or_404(access.visible_site, site_id)
    form = SitePositionForm()
    if form.validate_on_submit() and run_change(
        form,
        lambda: registry.place_site(
            db_session(), me(), found, form.latitude.data, form.longitude.data
        ),
    ):
        flash(_("已保存 %(name)s 的位置。", name=found.name), "success")
        return redirect(url_for("portal.site", site_id=found.id))
    html = render_template(
        "places/site.html",
        site=found,
        grid=db_session().get(Node, found.node_id),
        kind_labels=SITE_KIND_LABELS,
        phone=registry.masked_site_phone(found),
        position=form,
    )
    return html, 422
