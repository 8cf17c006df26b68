"""The registry API: people, dwellings, households, visits and sites of the caller's scope.

ID numbers, phones and birth dates are answered masked as the caller's role is shown them;
``POST /people/<id>/unmask`` gives one clear value to a role allowed to see it, with a reason,
and writes the audit log. Personal data never travels in a URL: searches by ID number or phone
and exports are POSTed.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from flask import send_file
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.orm import Session

from gridgov.api import access as api_access
from gridgov.api.access import Caller, current_caller
from gridgov.api.blueprint import ApiBlueprint, page_of
from gridgov.api.registry_schemas import (
    BuildingDetailSchema,
    BuildingSchema,
    ChangeSchema,
    CompoundArgsSchema,
    CompoundDetailSchema,
    CompoundSchema,
    DueArgsSchema,
    DueVisitSchema,
    DwellingArgsSchema,
    DwellingCreateSchema,
    DwellingDetailSchema,
    DwellingMoveSchema,
    DwellingSchema,
    ExportCreateSchema,
    ExportRunSchema,
    GridChangesSchema,
    HouseholdCreateSchema,
    HouseholdSchema,
    ImportFileSchema,
    ImportFormSchema,
    ImportRunSchema,
    MergeSchema,
    PeopleArgsSchema,
    PeopleSearchSchema,
    PeriodArgsSchema,
    PersonCreateSchema,
    PersonSchema,
    PersonUpdateSchema,
    QualityArgsSchema,
    QualitySchema,
    RentalArgsSchema,
    RentalSchema,
    SiteArgsSchema,
    SiteCreateSchema,
    SitePlaceSchema,
    SiteSchema,
    TagSchema,
    UnmaskedSchema,
    UnmaskSchema,
    VisitSchema,
)
from gridgov.core.admission.activation import county_tags
from gridgov.core.db import db_session
from gridgov.core.files import runs
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind
from gridgov.core.i18n import _
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import access, exports, imports, quality
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import Dwelling, ExportRun, Household, ImportRun, Person
from gridgov.core.registry.service import PersonInput
from gridgov.web import current_tenant

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

blp = ApiBlueprint(
    "registry",
    __name__,
    url_prefix="/t/<slug>/api/v1",
    description="人口与房屋：实有人口、房屋、户、走访、单位场所（身份证号与电话脱敏，查看原文须说明理由并留痕）",
)


def _reader() -> Caller:
    caller = current_caller()
    access.check_may_read(caller.user)
    return caller


def _editor() -> Caller:
    caller = current_caller()
    access.check_may_edit(caller.user)
    return caller


def _person_input(data: dict[str, Any]) -> PersonInput:
    return PersonInput(**{k: data.get(k) for k in PersonInput.__dataclass_fields__})


def _people(session: Session, caller: Caller, args: dict[str, Any]) -> Any:
    filters = {k: args[k] for k in ("grid_id", "tag", "dwelling_id", "residence_type") if k in args}
    query = registry.search_people(session, caller.user, caller.scope, args.get("q"), **filters)
    session.commit()  # an exact search's audit event, before any page of it is answered
    return query


def _grid(caller: Caller, grid_id: int | None) -> Any:
    if grid_id is None:
        return None
    return access.editable_grid(db_session(), caller.user, caller.scope, grid_id)


# --- people ----------------------------------------------------------------------------------


@blp.route("/people/search")
class PeopleSearch(MethodView):
    @blp.requires("registry:read")
    @blp.arguments(PeopleSearchSchema)
    @blp.response(200, PersonSchema(many=True))
    @blp.paginate()
    def post(self, args: dict[str, Any], pagination_parameters: Any) -> list[Person]:
        """Find people by name prefix, or by a whole ID number or phone (exact match)

        A search, not a change: it needs only ``registry:read``. POST so that an ID number or
        a phone never appears in a URL. Values are masked. A search by ID number or phone is
        only for county administrators, township and station staff and grid workers (403 for
        others), limited per user (429 past ``GRIDGOV_EXACT_SEARCH_LIMITS``, by default 30 an
        hour and 100 a day) and written to the audit log with the value's search hash.
        """
        session, caller = db_session(), _reader()
        return page_of(_people(session, caller, args), pagination_parameters)


@blp.route("/people")
class People(MethodView):
    @blp.requires("registry:read")
    @blp.arguments(PeopleArgsSchema, location="query")
    @blp.response(200, PersonSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Person]:
        """People the caller may see, by name

        ``q`` is a name prefix (an ID number or a phone is refused here: search for those with
        ``POST /people/search``, which keeps them out of URLs and access logs). Filter by
        ``grid_id``, ``tag``, ``dwelling_id`` and ``residence_type``. Values are masked.
        """
        if registry.names_personal_data(args.get("q")):
            abort(
                422,
                errors={
                    "query": {
                        "q": [str(_("身份证号和电话请用 POST /people/search 查询，不要放在网址里"))]
                    }
                },
            )
        session, caller = db_session(), _reader()
        return page_of(_people(session, caller, args), pagination_parameters)

    @blp.requires("registry:write")
    @blp.arguments(PersonCreateSchema)
    @blp.response(201, PersonSchema)
    def post(self, data: dict[str, Any]) -> Person:
        """Register a person

        In a household (give ``relation``), a dwelling or a grid. An ID number already
        registered in the county answers 409: open the existing record instead.
        """
        session, caller = db_session(), _editor()
        household = dwelling = None
        if "household_id" in data:
            household = access.visible_household(
                session, caller.user, caller.scope, data["household_id"]
            )
        elif "dwelling_id" in data:
            dwelling = access.visible_dwelling(
                session, caller.user, caller.scope, data["dwelling_id"]
            )
        person = registry.create_person(
            session,
            current_tenant(),
            caller.user,
            _person_input(data),
            grid=_grid(caller, data.get("grid_id")),
            dwelling=dwelling,
            household=household,
        )
        session.commit()
        return person


@blp.route("/people/<int:person_id>")
class PersonById(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, PersonSchema)
    def get(self, person_id: int) -> Person:
        """A person (ID number and phone masked)"""
        caller = _reader()
        return access.visible_person(db_session(), caller.user, caller.scope, person_id)

    @blp.requires("registry:write")
    @blp.arguments(PersonUpdateSchema)
    @blp.response(200, PersonSchema)
    def patch(self, data: dict[str, Any], person_id: int) -> Person:
        """Change a person's fields; each change is kept in the history"""
        session, caller = db_session(), _editor()
        person = access.visible_person(session, caller.user, caller.scope, person_id)
        household = None
        if "household_id" in data:
            household = access.visible_household(
                session, caller.user, caller.scope, data["household_id"]
            )
        registry.update_person(
            session, current_tenant(), caller.user, person, _person_input(data), household=household
        )
        session.commit()
        return person


@blp.route("/people/<int:person_id>/unmask")
class PersonUnmask(MethodView):
    @blp.requires("registry:unmask")
    @blp.arguments(UnmaskSchema)
    @blp.response(200, UnmaskedSchema)
    def post(self, data: dict[str, Any], person_id: int) -> dict[str, Any]:
        """Show one personal value in clear (audited)

        Only for roles allowed to (ID number: county admin, station staff; phone: also township
        staff and grid workers), with a reason; each call is written to the audit log.
        """
        session, caller = db_session(), _reader()
        person = access.visible_person(session, caller.user, caller.scope, person_id)
        field = PersonalField(data["field"])
        value = registry.reveal(session, caller.user, person, field, data["reason"])
        session.commit()
        return {"field": field.value, "value": value}


@blp.route("/people/<int:person_id>/tags")
class PersonTags(MethodView):
    @blp.requires("registry:write")
    @blp.arguments(TagSchema)
    @blp.response(201, PersonSchema)
    def post(self, data: dict[str, Any], person_id: int) -> Person:
        """Tag a person (a special-population tag of the catalogue)"""
        session, caller = db_session(), _editor()
        person = access.visible_person(session, caller.user, caller.scope, person_id)
        registry.tag_person(session, caller.user, person, data["tag"], catalogue=county_tags())
        session.commit()
        return person


@blp.route("/people/<int:person_id>/tags/<tag>")
class PersonTag(MethodView):
    @blp.requires("registry:write")
    @blp.response(204)
    def delete(self, person_id: int, tag: str) -> None:
        """Take a tag off a person"""
        session, caller = db_session(), _editor()
        person = access.visible_person(session, caller.user, caller.scope, person_id)
        registry.untag_person(session, caller.user, person, tag)
        session.commit()


@blp.route("/people/<int:person_id>/history")
class PersonHistory(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, ChangeSchema(many=True))
    @blp.paginate()
    def get(self, person_id: int, pagination_parameters: Any) -> Any:
        """The changes of a person, oldest first (personal values masked)"""
        session, caller = db_session(), _reader()
        person = access.visible_person(session, caller.user, caller.scope, person_id)
        return page_of(registry.history(session, "person", person.id), pagination_parameters)


@blp.route("/people/merge")
class PeopleMerge(MethodView):
    @blp.requires("registry:write")
    @blp.arguments(MergeSchema)
    @blp.response(200, PersonSchema)
    def post(self, data: dict[str, Any]) -> Person:
        """Merge a duplicate record into the one kept"""
        session, caller = db_session(), _editor()
        keep = access.visible_person(session, caller.user, caller.scope, data["keep_id"])
        duplicate = access.visible_person(session, caller.user, caller.scope, data["duplicate_id"])
        registry.merge_people(session, current_tenant(), caller.user, keep, duplicate)
        session.commit()
        return keep


# --- dwellings and households ----------------------------------------------------------------


def _dwelling_detail(dwelling: Dwelling) -> dict[str, Any]:
    households = registry.households_of(db_session(), dwelling)
    return {**DwellingSchema().dump(dwelling), "households": households}


@blp.route("/dwellings")
class Dwellings(MethodView):
    @blp.requires("registry:read")
    @blp.arguments(DwellingArgsSchema, location="query")
    @blp.response(200, DwellingSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """Dwellings the caller may see, by address (filter by ``grid_id``, address ``q``)"""
        caller = _reader()
        query = registry.dwellings_query(
            caller.scope,
            grid_id=args.get("grid_id"),
            q=args.get("q"),
            building_id=args.get("building_id"),
        )
        return page_of(query, pagination_parameters)

    @blp.requires("registry:write")
    @blp.arguments(DwellingCreateSchema)
    @blp.response(201, DwellingSchema)
    def post(self, data: dict[str, Any]) -> Dwelling:
        """Register a dwelling in a basic grid"""
        session, caller = db_session(), _editor()
        building = (
            access.visible_building(session, caller.user, caller.scope, data["building_id"])
            if data["building_id"] is not None
            else None
        )
        dwelling = registry.create_dwelling(
            session,
            current_tenant(),
            caller.user,
            grid=_grid(caller, data["grid_id"]),
            building=building,
            address=data["address"],
            unit=data["unit"],
            number=data["number"],
            is_rental=data["is_rental"],
        )
        session.commit()
        return dwelling


@blp.route("/dwellings/<int:dwelling_id>")
class DwellingById(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, DwellingDetailSchema)
    def get(self, dwelling_id: int) -> dict[str, Any]:
        """A dwelling with its households and their members"""
        caller = _reader()
        dwelling = access.visible_dwelling(db_session(), caller.user, caller.scope, dwelling_id)
        return _dwelling_detail(dwelling)


@blp.route("/dwellings/<int:dwelling_id>/move")
class DwellingMove(MethodView):
    @blp.requires("registry:write")
    @blp.arguments(DwellingMoveSchema)
    @blp.response(200, DwellingSchema)
    def post(self, data: dict[str, Any], dwelling_id: int) -> Dwelling:
        """Move a dwelling to another grid (re-gridding); its people follow, history kept"""
        session, caller = db_session(), _editor()
        dwelling = access.visible_dwelling(session, caller.user, caller.scope, dwelling_id)
        grid = _grid(caller, data["grid_id"])
        registry.move_dwelling(session, current_tenant(), caller.user, dwelling, grid)
        session.commit()
        return dwelling


# --- compounds, buildings, units, rentals -----------------------------------------------------


@blp.route("/compounds")
class Compounds(MethodView):
    @blp.requires("registry:read")
    @blp.arguments(CompoundArgsSchema, location="query")
    @blp.response(200, CompoundSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """Compounds (小区) filed in or above the caller's scope, by name"""
        caller = _reader()
        query = registry.compounds_query(caller.scope, node_id=args.get("node_id"))
        return page_of(query, pagination_parameters)

    @blp.requires("registry:write")
    @blp.arguments(CompoundSchema)
    @blp.response(201, CompoundSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a compound (小区) under a node of the caller's scope"""
        session, caller = db_session(), _editor()
        node = _grid(caller, data["node_id"])
        compound = registry.create_compound(
            session, caller.user, node=node, name=data["name"], address=data["address"]
        )
        session.commit()
        return compound


@blp.route("/compounds/<int:compound_id>")
class CompoundById(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, CompoundDetailSchema)
    def get(self, compound_id: int) -> dict[str, Any]:
        """A compound and its buildings"""
        session, caller = db_session(), _reader()
        compound = access.visible_compound(session, caller.user, caller.scope, compound_id)
        return {
            **CompoundSchema().dump(compound),
            "buildings": registry.buildings_of(session, compound),
        }


@blp.route("/buildings")
class Buildings(MethodView):
    @blp.requires("registry:write")
    @blp.arguments(BuildingSchema)
    @blp.response(201, BuildingSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a building (楼栋), in a compound if given"""
        session, caller = db_session(), _editor()
        compound = (
            access.visible_compound(session, caller.user, caller.scope, data["compound_id"])
            if data["compound_id"] is not None
            else None
        )
        building = registry.create_building(
            session,
            caller.user,
            node=_grid(caller, data["node_id"]),
            name=data["name"],
            compound=compound,
        )
        session.commit()
        return building


@blp.route("/buildings/<int:building_id>")
class BuildingById(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, BuildingDetailSchema)
    def get(self, building_id: int) -> dict[str, Any]:
        """A building and, unit by unit (单元), its dwellings the caller may see"""
        session, caller = db_session(), _reader()
        building = access.visible_building(session, caller.user, caller.scope, building_id)
        units = registry.units_of(session, caller.scope, building)
        return {
            **BuildingSchema().dump(building),
            "units": [{"unit": unit, "dwellings": found} for unit, found in units.items()],
        }


@blp.route("/rentals")
class Rentals(MethodView):
    @blp.requires("registry:read")
    @blp.arguments(RentalArgsSchema, location="query")
    @blp.response(200, RentalSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """The leases (出租屋) of a dwelling, the latest first"""
        session, caller = db_session(), _reader()
        dwelling = access.visible_dwelling(session, caller.user, caller.scope, args["dwelling_id"])
        return registry.rentals_of(session, dwelling)

    @blp.requires("registry:write")
    @blp.arguments(RentalSchema)
    @blp.response(201, RentalSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a lease of a dwelling (出租屋): landlord, renters and lease period

        The landlord and the renters are people already registered that the caller may see.
        """
        session, caller = db_session(), _editor()
        dwelling = access.visible_dwelling(session, caller.user, caller.scope, data["dwelling_id"])
        rental = registry.create_rental(
            session,
            caller.user,
            dwelling=dwelling,
            landlord=access.visible_person(session, caller.user, caller.scope, data["landlord_id"]),
            occupants=[
                access.visible_person(session, caller.user, caller.scope, person_id)
                for person_id in data["occupant_ids"]
            ],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )
        session.commit()
        return rental


@blp.route("/rentals/<int:rental_id>")
class RentalById(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, RentalSchema)
    def get(self, rental_id: int) -> Any:
        """A lease: its dwelling, landlord, renters and period"""
        caller = _reader()
        return access.visible_rental(db_session(), caller.user, caller.scope, rental_id)


@blp.route("/households")
class Households(MethodView):
    @blp.requires("registry:write")
    @blp.arguments(HouseholdCreateSchema)
    @blp.response(201, HouseholdSchema)
    def post(self, data: dict[str, Any]) -> Household:
        """Open a household in a dwelling"""
        session, caller = db_session(), _editor()
        dwelling = access.visible_dwelling(session, caller.user, caller.scope, data["dwelling_id"])
        household = registry.create_household(
            session, caller.user, dwelling=dwelling, number=data["number"]
        )
        session.commit()
        return household


@blp.route("/households/<int:household_id>")
class HouseholdById(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, HouseholdSchema)
    def get(self, household_id: int) -> Household:
        """A household and its members"""
        caller = _reader()
        return access.visible_household(db_session(), caller.user, caller.scope, household_id)


@blp.route("/households/<int:household_id>/visits")
class HouseholdVisits(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, VisitSchema(many=True))
    @blp.paginate()
    def get(self, household_id: int, pagination_parameters: Any) -> Any:
        """The visits of a household, newest first"""
        session, caller = db_session(), _reader()
        household = access.visible_household(session, caller.user, caller.scope, household_id)
        return page_of(registry.visits_of(session, household), pagination_parameters)

    @blp.requires("registry:write")
    @blp.arguments(VisitSchema)
    @blp.response(201, VisitSchema)
    def post(self, data: dict[str, Any], household_id: int) -> Any:
        """Record a household visit (入户走访); the members' next visits fall due from it"""
        session, caller = db_session(), _editor()
        household = access.visible_household(session, caller.user, caller.scope, household_id)
        visit = registry.record_visit(
            session,
            caller.user,
            household,
            notes=data["notes"],
            visited_at=_county_time(data["visited_at"]) if data.get("visited_at") else None,
        )
        session.commit()
        return visit


@blp.route("/visits/due")
class DueVisits(MethodView):
    @blp.requires("registry:read")
    @blp.arguments(DueArgsSchema, location="query")
    @blp.response(200, DueVisitSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """People whose tag's visit schedule makes a visit due today, most overdue first"""
        session, caller = db_session(), _reader()
        due = registry.due_visits(
            session,
            current_tenant(),
            caller.scope,
            today=current_tenant().clock.today(),
            catalogue=county_tags(),
            grid_id=args.get("grid_id"),
        )
        return page_of(due, pagination_parameters)


# --- sites and figures -----------------------------------------------------------------------


@blp.route("/sites")
class Sites(MethodView):
    @blp.requires("registry:read")
    @blp.arguments(SiteArgsSchema, location="query")
    @blp.response(200, SiteSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """Sites the caller may see (filter by ``grid_id``, key sites with ``is_key``)"""
        caller = _reader()
        query = registry.sites_query(
            caller.scope, grid_id=args.get("grid_id"), is_key=args.get("is_key")
        )
        return page_of(query, pagination_parameters)

    @blp.requires("registry:write")
    @blp.arguments(SiteCreateSchema)
    @blp.response(201, SiteSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a site (单位场所) in a basic grid"""
        session, caller = db_session(), _editor()
        site = registry.create_site(
            session,
            current_tenant(),
            caller.user,
            grid=_grid(caller, data.pop("grid_id")),
            **data,
        )
        session.commit()
        return site


@blp.route("/sites/<int:site_id>")
class SiteById(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, SiteSchema)
    def get(self, site_id: int) -> Any:
        """A site"""
        caller = _reader()
        return access.visible_site(db_session(), caller.user, caller.scope, site_id)

    @blp.requires("registry:write")
    @blp.arguments(SitePlaceSchema)
    @blp.response(200, SiteSchema)
    def patch(self, data: dict[str, Any], site_id: int) -> Any:
        """Set where a site stands on the map (both coordinates, or both null to clear them)"""
        session, caller = db_session(), _editor()
        site = access.visible_site(session, caller.user, caller.scope, site_id)
        registry.place_site(session, caller.user, site, data["latitude"], data["longitude"])
        session.commit()
        return site


@blp.route("/registry/changes")
class RegistryChanges(MethodView):
    @blp.requires("registry:read")
    @blp.arguments(PeriodArgsSchema, location="query")
    @blp.response(200, GridChangesSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """How many person/household/dwelling records changed in [start, end), per grid"""
        session, caller = db_session(), _reader()
        start, end = (_county_time(args[k]) for k in ("start", "end"))
        return registry.changes_by_grid(session, start, end, caller.scope)


def _county_time(at: dt.datetime) -> dt.datetime:
    # A time given without a zone is the county's local time, as elsewhere in the API.
    if at.tzinfo is None:
        return at.replace(tzinfo=current_tenant().clock.zone)
    return at


# --- import and export -----------------------------------------------------------------------


@dataclass(frozen=True)
class RunView:
    """An import or export run with its progress (read from the job while it runs)."""

    run: ImportRun | ExportRun

    def __getattr__(self, name: str) -> Any:
        return getattr(self.run, name)

    @property
    def progress(self) -> dict[str, int] | None:
        return runs.progress(self.run)


@blp.route("/registry/imports")
class Imports(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, ImportRunSchema(many=True))
    def get(self) -> list[RunView]:
        """The latest imports (a county administrator sees all, others their own)"""
        caller = current_caller()
        access.check_may_import(caller.user)
        return [RunView(r) for r in imports.import_runs(db_session(), caller.user)]

    @blp.requires("registry:write")
    @blp.arguments(ImportFormSchema, location="query")
    @blp.arguments(ImportFileSchema, location="files")
    @blp.uploads({FileKind.SPREADSHEET})
    @blp.response(202, ImportRunSchema)
    def post(self, form: dict[str, Any], upload: dict[str, Any]) -> RunView:
        """Import an .xlsx of people, households, dwellings or sites (runs as a job)

        Chinese headers by default (姓名, 公民身份号码, 联系电话, 网格编码 …); ``mapping`` names the
        columns of other headers. Follow the run at ``/registry/imports/<id>``; the rejected
        rows come back as an .xlsx.
        """
        session, caller = db_session(), current_caller()
        access.check_may_import(caller.user)
        file = upload["file"]
        run = imports.start_import(
            session,
            caller.user,
            kind=form["kind"],
            name=file.filename or "import.xlsx",
            data=file.stream,
            dry_run=form["dry_run"],
            strict=form["strict"],
            mapping=form["mapping"],
        )
        return RunView(run)


@blp.route("/registry/imports/<int:run_id>")
class ImportById(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, ImportRunSchema)
    def get(self, run_id: int) -> RunView:
        """An import: its status, progress while it runs, and its report"""
        caller = current_caller()
        access.check_may_import(caller.user)
        return RunView(imports.visible_import_run(db_session(), caller.user, run_id))


@blp.route("/registry/imports/<int:run_id>/rejected")
class ImportRejected(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, {"format": "binary", "type": "string"}, content_type=XLSX)
    def get(self, run_id: int) -> Any:
        """The rejected rows of an import as .xlsx (with row number and reason)

        Only for the user who ran the import: the rows hold ID numbers as the file gave them.
        """
        session, caller = db_session(), current_caller()
        access.check_may_import(caller.user)
        run = imports.visible_import_run(session, caller.user, run_id)
        stored = imports.rejected_file(session, caller.user, run)
        return send_file(files.file_path(stored), mimetype=XLSX, download_name=stored.name)


@blp.route("/people/export")
class PeopleExport(MethodView):
    @blp.requires("registry:read")
    @blp.arguments(ExportCreateSchema)
    @blp.response(200, {"format": "binary", "type": "string"}, content_type=XLSX)
    def post(self, data: dict[str, Any]) -> Any:
        """The people of a filtered list as .xlsx, masked per role

        Same search as ``POST /people/search``, in the body (personal data never travels in a
        URL). With ``reason``, roles allowed to unmask get clear ID numbers / phones; the
        export is written to the audit log.
        """
        session, caller = db_session(), _reader()
        query = _people(session, caller, data)
        workbook = exports.export_people(session, caller.user, query, reason=data["reason"])
        session.commit()
        return send_file(io.BytesIO(workbook), mimetype=XLSX, download_name="people.xlsx")


@blp.route("/people/exports")
class PeopleExports(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, ExportRunSchema(many=True))
    def get(self) -> list[RunView]:
        """The caller's latest exports"""
        caller = _reader()
        return [RunView(r) for r in exports.export_runs(db_session(), caller.user)]

    @blp.requires("registry:read")
    @blp.arguments(ExportCreateSchema)
    @blp.response(202, ExportRunSchema)
    def post(self, data: dict[str, Any]) -> RunView:
        """Export a filtered list of people to .xlsx, masked per role (runs as a job)

        Same search as ``POST /people/search``. Follow the run at ``/people/exports/<id>``;
        only its author may download the file.
        """
        session, caller = db_session(), _reader()
        run = exports.start_export(
            session,
            caller.user,
            q=data["q"],
            filters={k: data[k] for k in ("grid_id", "tag", "dwelling_id") if k in data},
            reason=data["reason"],
        )
        return RunView(run)


@blp.route("/people/exports/<int:export_id>")
class PeopleExportById(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, ExportRunSchema)
    def get(self, export_id: int) -> RunView:
        """An export: its status, progress while it runs, and how many people it holds"""
        caller = _reader()
        return RunView(runs.visible_run(db_session(), ExportRun, caller.user, export_id))


@blp.route("/people/exports/<int:export_id>/file")
class PeopleExportFile(MethodView):
    @blp.requires("registry:read")
    @blp.response(200, {"format": "binary", "type": "string"}, content_type=XLSX)
    def get(self, export_id: int) -> Any:
        """The .xlsx of a finished export (only for its author)"""
        session, caller = db_session(), _reader()
        run = runs.visible_run(session, ExportRun, caller.user, export_id)
        stored = runs.output_file(session, run)
        return send_file(files.file_path(stored), mimetype=XLSX, download_name=stored.name)


@blp.route("/registry/quality")
class RegistryQuality(MethodView):
    @blp.requires("registry:read")
    @blp.arguments(QualityArgsSchema, location="query")
    @blp.response(200, QualitySchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Data-quality figures of a node's subtree and of each child (准确率、匹配率)"""
        session, caller = db_session(), _reader()
        node = api_access.visible_node(session, caller, args["node_id"])
        since = _county_time(args["since"]) if "since" in args else None
        return quality.quality(session, node, since=since)
