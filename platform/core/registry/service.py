"""Use cases of the registry: places, people and households, tags and visits, merging
duplicates, searching, unmasking personal data, and the history of changes.

Every write records its field-level changes in ``record_changes`` (personal values masked) and
an audit event. ID numbers and phones go through gridgov.core.personal_data: validated,
encrypted, hashed for search; the clear value is never stored nor logged. What a reader is
shown of them follows their role (gridgov.core.registry.disclosure); a search by a whole ID
number or phone is for the roles that need it, limited per user and audited.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from limits import parse_many
from sqlalchemy import Select, String, cast, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from gridgov.core import personal_data, runtime
from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope
from gridgov.core.audit import service as audit
from gridgov.core.audit.models import AuditEvent
from gridgov.core.audit.service import Actor
from gridgov.core.db import current_tenant_id, utcnow
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound, TooManyRequests
from gridgov.core.hierarchy.geo import check_coordinates
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import disclosure
from gridgov.core.registry.models import (
    Building,
    Compound,
    Dwelling,
    Household,
    Person,
    PersonTag,
    RecordChange,
    Relation,
    Rental,
    RentalOccupant,
    ResidenceType,
    Sex,
    Site,
    SiteKind,
    Visit,
)
from gridgov.core.registry.tags import TagDefinition, TagSubject, tag_catalogue, visit_interval
from gridgov.core.tenancy.models import Tenant
from gridgov.core.text import check_text

# Fields of a person a change may set, and how their history shows them.
PERSON_FIELDS = (
    "name",
    "residence_type",
    "id_number",
    "phone",
    "sex",
    "birth_date",
    "dwelling_id",
    "household_id",
    "relation",
)


# --- values ----------------------------------------------------------------------------------


def clean_text(value: Any, *, field: str, limit: int, one_line: bool = False) -> str:
    """A required text: trimmed, 1–``limit`` characters, no control characters (and no line
    breaks when ``one_line``)."""
    text = check_text(str(value or "").strip(), field=field, one_line=one_line)
    if not text:
        raise DomainError(_("不能为空"), field=field)
    if len(text) > limit:
        raise DomainError(_("最多 %(n)d 个字", n=limit), field=field)
    return text


def clean_name(value: Any, *, field: str = "name") -> str:
    """A person's or place's name: trimmed, 1–100 characters."""
    return clean_text(value, field=field, limit=100, one_line=True)


def clean_choice(value: Any, choices: type[Any], *, field: str) -> str:
    """One value of the StrEnum ``choices``, or DomainError naming the allowed ones."""
    text = str(value or "").strip()
    allowed = [c.value for c in choices]
    if text not in allowed:
        raise DomainError(_("取值无效，可选：%(values)s", values="、".join(allowed)), field=field)
    return text


@dataclass(frozen=True)
class Sealed:
    """A personal value as stored: ciphertext and search hash (None, None: no value)."""

    cipher: bytes | None
    hash: str | None


def seal(tenant_id: int, field: PersonalField, value: str | None) -> Sealed:
    """Encrypt and hash a clean personal value (None stays None)."""
    if value is None:
        return Sealed(None, None)
    keys = personal_data.data_keys()
    return Sealed(keys.encrypt(tenant_id, field, value), keys.search_hash(tenant_id, field, value))


def search_hash(session: Session, field: PersonalField, value: str) -> str:
    """The search hash of a clean value in the session's county."""
    return personal_data.data_keys().search_hash(_tenant(session), field, value)


def plain_value(person: Person, field: PersonalField) -> str | None:
    """The clear ID number or phone of ``person``: only for reveal, import matching, export."""
    blob = person.id_number_cipher if field == PersonalField.ID_NUMBER else person.phone_cipher
    if blob is None:
        return None
    return personal_data.data_keys().decrypt(person.tenant_id, field, blob)


def masked_value(person: Person, field: PersonalField, role: str) -> str | None:
    """The ID number or phone of ``person`` as ``role`` is shown it in every list and page."""
    return disclosure.disclosure(role).shown(field, plain_value(person, field))


def _tenant(session: Session) -> int:
    tenant_id = current_tenant_id(session)
    if tenant_id is None:
        raise RuntimeError("registry used with no tenant set on the session")
    return tenant_id


# --- history ---------------------------------------------------------------------------------


def _actor_id_and_name(actor: Actor) -> tuple[int | None, str]:
    if isinstance(actor, User):
        return actor.id, f"{actor.name} ({actor.username})"
    return None, "system" if actor is None else f"{actor.name} ({actor.username})"


def _shown(field: str | None, value: Any) -> str | None:
    """How a value is kept in the history: personal fields masked as the audit log keeps them
    (a reader is shown them as their role sees them: ``history_shown``), the rest as text."""
    if value is None:
        return None
    masked = audit.mask_value(field or "", value)
    return None if masked is None else str(masked)[:300]


def record_change(
    session: Session,
    actor: Actor,
    obj_type: str,
    obj_id: int,
    node_id: int | None,
    action: str,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
) -> None:
    """Append one entry to the change history."""
    actor_id, actor_name = _actor_id_and_name(actor)
    session.add(
        RecordChange(
            object_type=obj_type,
            object_id=obj_id,
            node_id=node_id,
            action=action,
            field=field,
            old_value=_shown(field, old),
            new_value=_shown(field, new),
            actor_id=actor_id,
            actor_name=actor_name,
        )
    )


def history_shown(change: RecordChange, role: str) -> tuple[str | None, str | None]:
    """The old and new value of a change as ``role`` is shown them (entries written before
    today's masking are masked again)."""
    seen = disclosure.disclosure(role)
    return seen.shown(change.field, change.old_value), seen.shown(change.field, change.new_value)


def history(session: Session, obj_type: str, obj_id: int) -> list[RecordChange]:
    """The changes of one record, oldest first."""
    return list(
        session.scalars(
            select(RecordChange)
            .where(RecordChange.object_type == obj_type, RecordChange.object_id == obj_id)
            .order_by(RecordChange.at, RecordChange.id)
        )
    )


@dataclass(frozen=True)
class GridChanges:
    node_id: int
    records: int


def changes_by_grid(
    session: Session, start: dt.datetime, end: dt.datetime, scope: Scope
) -> list[GridChanges]:
    """How many distinct person/household/dwelling records changed in [start, end), per grid."""
    record_key = RecordChange.object_type + ":" + cast(RecordChange.object_id, String)
    rows = session.execute(
        select(RecordChange.node_id, func.count(func.distinct(record_key)))
        .join(Node, Node.id == RecordChange.node_id)
        .where(RecordChange.at >= start, RecordChange.at < end, scope.node_filter())
        .group_by(RecordChange.node_id)
        .order_by(RecordChange.node_id)
    ).all()
    return [GridChanges(node_id, count) for node_id, count in rows]


# --- places ----------------------------------------------------------------------------------


def check_grid(tenant: Tenant, node: Node, *, field: str = "grid_id") -> Node:
    """``node`` if it is an active basic grid; dwellings, people and sites lie in one."""
    if node.level != tenant.grid_level:
        raise DomainError(
            _("须选择最低一级的网格（%(level)s）", level=tenant.level_names[-1]), field=field
        )
    if node.is_retired:
        raise DomainError(_("这个网格已撤销"), field=field)
    return node


def create_compound(
    session: Session, actor: Actor, *, node: Node, name: str, address: str = ""
) -> Compound:
    """Register a compound (小区) under ``node``."""
    if node.is_retired:
        raise DomainError(_("这个节点已撤销"), field="node_id")
    compound = Compound(node_id=node.id, name=clean_name(name), address=address.strip())
    session.add(compound)
    session.flush()
    audit.record(
        session, actor, "compound.create", "compound", compound.id, after={"name": compound.name}
    )
    return compound


def get_compound(session: Session, compound_id: int) -> Compound:
    """The compound with this id in the current tenant, or NotFound."""
    compound = session.scalar(select(Compound).where(Compound.id == compound_id))
    if compound is None:
        raise NotFound(_("没有这个小区"))
    return compound


def place_filter(scope: Scope) -> Any:
    """A WHERE clause on ``Node`` for compounds and buildings ``scope`` sees: those filed in it,
    and those filed above it (a compound is usually filed under its community, while its grid
    worker's scope is one grid of it). Compounds and buildings hold no personal data."""
    if scope.everything:
        return scope.node_filter()
    above = {path[: i + 1] for path in scope.paths for i, c in enumerate(path) if c == "/"}
    return or_(scope.node_filter(), Node.path.in_(sorted(above)))


def place_in_scope(session: Session, scope: Scope, node_id: int) -> bool:
    """Whether a compound or building filed under ``node_id`` is seen by ``scope``."""
    node = session.get(Node, node_id)
    return node is not None and (scope.contains(node) or scope.is_ancestor_of_scope(node))


def compounds_query(scope: Scope, *, node_id: int | None = None) -> Select[Any]:
    """SELECT of the compounds ``scope`` sees, by name."""
    query = select(Compound).join(Node, Node.id == Compound.node_id).where(place_filter(scope))
    if node_id is not None:
        query = query.where(Compound.node_id == node_id)
    return query.order_by(Compound.name, Compound.id)


def buildings_of(session: Session, compound: Compound) -> list[Building]:
    """The buildings of a compound, by name."""
    return list(
        session.scalars(
            select(Building)
            .where(Building.compound_id == compound.id)
            .order_by(Building.name, Building.id)
        )
    )


def get_building(session: Session, building_id: int) -> Building:
    """The building with this id in the current tenant, or NotFound."""
    building = session.scalar(select(Building).where(Building.id == building_id))
    if building is None:
        raise NotFound(_("没有这栋楼"))
    return building


def units_of(session: Session, scope: Scope, building: Building) -> dict[str, list[Dwelling]]:
    """The dwellings of a building that ``scope`` sees, by unit (单元) then number."""
    query = dwellings_query(scope, building_id=building.id).order_by(None)
    units: dict[str, list[Dwelling]] = {}
    for dwelling in session.scalars(query.order_by(Dwelling.unit, Dwelling.number, Dwelling.id)):
        units.setdefault(dwelling.unit, []).append(dwelling)
    return units


def create_building(
    session: Session, actor: Actor, *, node: Node, name: str, compound: Compound | None = None
) -> Building:
    """Register a building (楼栋), in ``compound`` if given (then under the compound's node)."""
    if node.is_retired:
        raise DomainError(_("这个节点已撤销"), field="node_id")
    if compound is not None:
        compound_node = session.get(Node, compound.node_id)
        if compound_node is not None and not node.path.startswith(compound_node.path):
            raise DomainError(_("楼栋须在小区所属的节点之内"), field="node_id")
    building = Building(
        node_id=node.id, compound_id=compound.id if compound else None, name=clean_name(name)
    )
    session.add(building)
    session.flush()
    audit.record(
        session, actor, "building.create", "building", building.id, after={"name": building.name}
    )
    return building


def create_dwelling(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    *,
    grid: Node,
    address: str,
    building: Building | None = None,
    unit: str = "",
    number: str = "",
    is_rental: bool = False,
) -> Dwelling:
    """Register a dwelling (房屋) in the basic grid ``grid``."""
    check_grid(tenant, grid)
    if building is not None:
        building_node = session.get(Node, building.node_id)
        if building_node is not None and not grid.path.startswith(building_node.path):
            raise DomainError(_("房屋须在楼栋所属的节点之内"), field="grid_id")
    dwelling = Dwelling(
        node_id=grid.id,
        building_id=building.id if building else None,
        unit=unit.strip()[:32],
        number=number.strip()[:32],
        address=clean_text(address, field="address", limit=300),
        is_rental=is_rental,
    )
    session.add(dwelling)
    session.flush()
    record_change(session, actor, "dwelling", dwelling.id, grid.id, "create")
    audit.record(
        session,
        actor,
        "dwelling.create",
        "dwelling",
        dwelling.id,
        after={"address": dwelling.address, "node_id": grid.id},
    )
    return dwelling


def get_dwelling(session: Session, dwelling_id: int) -> Dwelling:
    """The dwelling with this id in the current tenant, or NotFound."""
    dwelling = session.scalar(select(Dwelling).where(Dwelling.id == dwelling_id))
    if dwelling is None:
        raise NotFound(_("没有这处房屋"))
    return dwelling


def move_dwelling(
    session: Session, tenant: Tenant, actor: Actor, dwelling: Dwelling, grid: Node
) -> Dwelling:
    """Move a dwelling to another basic grid (re-gridding); its households and people follow."""
    check_grid(tenant, grid)
    if dwelling.node_id == grid.id:
        return dwelling
    old = dwelling.node_id
    record_change(session, actor, "dwelling", dwelling.id, grid.id, "move", "node_id", old, grid.id)
    dwelling.node_id = grid.id
    dwelling.updated_at = utcnow()
    for model in (Household, Person):
        session.execute(
            update(model)
            .where(model.dwelling_id == dwelling.id)
            .values(node_id=grid.id)
            .execution_options(synchronize_session="fetch")
        )
    audit.record(
        session,
        actor,
        "dwelling.move",
        "dwelling",
        dwelling.id,
        before={"node_id": old},
        after={"node_id": grid.id},
    )
    return dwelling


def create_site(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    *,
    grid: Node,
    name: str,
    kind: str,
    address: str = "",
    contact_name: str = "",
    contact_phone: str | None = None,
    is_key: bool = False,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Site:
    """Register a site (单位场所) in a basic grid; ``is_key`` marks a key site (重点), and a
    position (WGS 84, both or neither) puts it on the map."""
    check_grid(tenant, grid)
    check_coordinates(latitude, longitude)
    phone = (
        personal_data.clean_phone(contact_phone, field="contact_phone") if contact_phone else None
    )
    site = Site(
        node_id=grid.id,
        name=clean_name(name),
        kind=clean_choice(kind, SiteKind, field="kind"),
        address=address.strip()[:300],
        contact_name=contact_name.strip()[:100],
        contact_phone_cipher=seal(tenant.id, PersonalField.PHONE, phone).cipher,
        is_key=is_key,
        latitude=latitude,
        longitude=longitude,
    )
    session.add(site)
    session.flush()
    audit.record(
        session,
        actor,
        "site.create",
        "site",
        site.id,
        after={
            "name": site.name,
            "kind": site.kind,
            "is_key": is_key,
            "phone": phone,
            **_position(site),
        },
    )
    return site


def place_site(
    session: Session, actor: Actor, site: Site, latitude: float | None, longitude: float | None
) -> Site:
    """Set (or, with neither coordinate, clear) where a site stands on the map; the change is
    audited with the position before and after."""
    check_coordinates(latitude, longitude)
    before = _position(site)
    site.latitude, site.longitude = latitude, longitude
    after = _position(site)
    if after != before:
        session.flush()
        audit.record(session, actor, "site.place", "site", site.id, before=before, after=after)
    return site


def _position(site: Site) -> dict[str, float | None]:
    return {"latitude": site.latitude, "longitude": site.longitude}


def get_site(session: Session, site_id: int) -> Site:
    """The site with this id in the current tenant, or NotFound."""
    site = session.scalar(select(Site).where(Site.id == site_id))
    if site is None:
        raise NotFound(_("没有这个单位场所"))
    return site


def masked_site_phone(site: Site) -> str | None:
    """A site's contact phone, masked like a resident's (every role is shown the same)."""
    if site.contact_phone_cipher is None:
        return None
    phone = personal_data.data_keys().decrypt(
        site.tenant_id, PersonalField.PHONE, site.contact_phone_cipher
    )
    return personal_data.mask(PersonalField.PHONE, phone)


def sites_query(
    scope: Scope, *, grid_id: int | None = None, is_key: bool | None = None
) -> Select[Any]:
    """SELECT of the sites ``scope`` sees, by name."""
    query = select(Site)
    if not scope.everything:
        query = query.join(Node, Node.id == Site.node_id).where(scope.node_filter())
    if grid_id is not None:
        query = query.where(Site.node_id == grid_id)
    if is_key is not None:
        query = query.where(Site.is_key.is_(is_key))
    return query.order_by(Site.name, Site.id)


def dwellings_query(
    scope: Scope,
    *,
    grid_id: int | None = None,
    q: str | None = None,
    building_id: int | None = None,
) -> Select[Any]:
    """SELECT of the dwellings ``scope`` sees, by address; ``q`` is an address fragment."""
    query = select(Dwelling)
    if not scope.everything:
        query = query.join(Node, Node.id == Dwelling.node_id).where(scope.node_filter())
    if grid_id is not None:
        query = query.where(Dwelling.node_id == grid_id)
    if building_id is not None:
        query = query.where(Dwelling.building_id == building_id)
    if q:
        query = query.where(Dwelling.address.contains(q, autoescape=True))
    return query.order_by(Dwelling.address, Dwelling.id)


def create_rental(
    session: Session,
    actor: Actor,
    *,
    dwelling: Dwelling,
    landlord: Person,
    occupants: Iterable[Person],
    starts_on: dt.date,
    ends_on: dt.date | None = None,
) -> Rental:
    """Register a lease of ``dwelling`` (出租屋): landlord, renters and lease period."""
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("租期结束日期不能早于开始日期"), field="ends_on")
    rental = Rental(
        dwelling_id=dwelling.id, landlord_id=landlord.id, starts_on=starts_on, ends_on=ends_on
    )
    rental.occupants = [
        RentalOccupant(person_id=p.id) for p in {p.id: p for p in occupants}.values()
    ]
    dwelling.is_rental = True
    session.add(rental)
    session.flush()
    record_change(
        session,
        actor,
        "dwelling",
        dwelling.id,
        dwelling.node_id,
        "update",
        "rental",
        None,
        rental.id,
    )
    audit.record(
        session,
        actor,
        "rental.create",
        "rental",
        rental.id,
        after={
            "dwelling_id": dwelling.id,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
        },
    )
    return rental


def get_rental(session: Session, rental_id: int) -> Rental:
    """The rental with this id in the current tenant, or NotFound."""
    rental = session.scalar(
        select(Rental).where(Rental.id == rental_id).options(selectinload(Rental.occupants))
    )
    if rental is None:
        raise NotFound(_("没有这条出租记录"))
    return rental


def rentals_of(session: Session, dwelling: Dwelling) -> list[Rental]:
    """The leases of a dwelling, the latest first."""
    return list(
        session.scalars(
            select(Rental)
            .where(Rental.dwelling_id == dwelling.id)
            .options(selectinload(Rental.occupants))
            .order_by(Rental.starts_on.desc(), Rental.id.desc())
        )
    )


# --- households ------------------------------------------------------------------------------


def create_household(
    session: Session, actor: Actor, *, dwelling: Dwelling, number: str = ""
) -> Household:
    """Open a household (户) in ``dwelling``."""
    household = Household(
        dwelling_id=dwelling.id, node_id=dwelling.node_id, number=number.strip()[:32]
    )
    session.add(household)
    session.flush()
    record_change(session, actor, "household", household.id, dwelling.node_id, "create")
    audit.record(
        session,
        actor,
        "household.create",
        "household",
        household.id,
        after={"dwelling_id": dwelling.id},
    )
    return household


def households_of(session: Session, dwelling: Dwelling) -> list[Household]:
    """The households of a dwelling with their members, oldest first."""
    return list(
        session.scalars(
            select(Household)
            .where(Household.dwelling_id == dwelling.id)
            .options(selectinload(Household.members).selectinload(Person.tags))
            .order_by(Household.id)
        )
    )


def get_household(session: Session, household_id: int) -> Household:
    """The household with this id in the current tenant, or NotFound."""
    household = session.scalar(
        select(Household)
        .where(Household.id == household_id)
        .options(selectinload(Household.members))
    )
    if household is None:
        raise NotFound(_("没有这一户"))
    return household


# --- people ----------------------------------------------------------------------------------


@dataclass
class PersonInput:
    """What a form, an API call or an import row says about a person; None: not given."""

    name: str | None = None
    residence_type: str | None = None
    id_number: str | None = None
    phone: str | None = None
    sex: str | None = None
    birth_date: dt.date | None = None
    relation: str | None = None


def clean_person_input(data: PersonInput) -> PersonInput:
    """The input with every given value validated; raises DomainError on the first bad field.

    Sex and birth date come from the ID number when there is one (GB 11643 encodes both).
    """
    cleaned = PersonInput(
        name=clean_name(data.name) if data.name is not None else None,
        residence_type=clean_choice(data.residence_type, ResidenceType, field="residence_type")
        if data.residence_type is not None
        else None,
        relation=clean_choice(data.relation, Relation, field="relation")
        if data.relation is not None
        else None,
        sex=clean_choice(data.sex, Sex, field="sex") if data.sex is not None else None,
        birth_date=data.birth_date,
    )
    if data.id_number is not None:
        cleaned.id_number = personal_data.clean_id_number(data.id_number)
        cleaned.sex = personal_data.sex_of(cleaned.id_number)
        cleaned.birth_date = personal_data.birth_date_of(cleaned.id_number)
    if data.phone is not None:
        cleaned.phone = personal_data.clean_phone(data.phone)
    return cleaned


def find_by_id_number(session: Session, id_number: str) -> Person | None:
    """The person with this (clean) ID number in the current tenant, or None."""
    digest = search_hash(session, PersonalField.ID_NUMBER, id_number)
    return session.scalar(select(Person).where(Person.id_number_hash == digest))


class AlreadyRegistered(Conflict):
    """The ID number is registered already: ``person_id`` is that record (the caller checks
    whether the user may open it before offering a link)."""

    def __init__(self, person_id: int) -> None:
        super().__init__(_("这个公民身份号码已经登记过，请打开已有的记录"), field="id_number")
        self.person_id = person_id


def check_one_head(
    session: Session, household: Household, relation: str, *, but: Person | None = None
) -> None:
    """A household has one head (户主): naming a second is refused on ``relation``, with the
    name of the one it has (change that one's relation first)."""
    if relation != Relation.HEAD:
        return
    query = select(Person).where(
        Person.household_id == household.id, Person.relation == Relation.HEAD.value
    )
    if but is not None:
        query = query.where(Person.id != but.id)
    head = session.scalar(query.limit(1))
    if head is not None:
        raise DomainError(_("这一户已有户主：%(name)s", name=head.name), field="relation")


def create_person(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    data: PersonInput,
    *,
    grid: Node | None = None,
    dwelling: Dwelling | None = None,
    household: Household | None = None,
) -> Person:
    """Register a person in ``household`` (its dwelling), ``dwelling`` or ``grid``.

    One ID number is one person in a county: a second registration is refused with Conflict
    (open the existing record instead)."""
    data = clean_person_input(data)
    if data.name is None:
        raise DomainError(_("不能为空"), field="name")
    if data.residence_type is None:
        data.residence_type = ResidenceType.REGISTERED.value
    if household is not None:
        dwelling = session.get(Dwelling, household.dwelling_id)
        if data.relation is None:
            raise DomainError(_("请选择与户主关系"), field="relation")
        check_one_head(session, household, data.relation)
    if dwelling is not None:
        grid = session.get(Node, dwelling.node_id)
    if grid is None:
        raise DomainError(_("请选择所在网格或房屋"), field="grid_id")
    check_grid(tenant, grid)
    if data.id_number is not None:
        existing = find_by_id_number(session, data.id_number)
        if existing is not None:
            raise AlreadyRegistered(existing.id)
    id_number = seal(tenant.id, PersonalField.ID_NUMBER, data.id_number)
    phone = seal(tenant.id, PersonalField.PHONE, data.phone)
    person = Person(
        node_id=grid.id,
        name=data.name,
        residence_type=data.residence_type,
        sex=data.sex,
        birth_date=data.birth_date,
        id_number_cipher=id_number.cipher,
        id_number_hash=id_number.hash,
        phone_cipher=phone.cipher,
        phone_hash=phone.hash,
        dwelling_id=dwelling.id if dwelling else None,
        household_id=household.id if household else None,
        relation=data.relation if household else None,
    )
    session.add(person)
    session.flush()
    record_change(session, actor, "person", person.id, grid.id, "create")
    audit.record(
        session,
        actor,
        "person.create",
        "person",
        person.id,
        after={"name": person.name, "id_number": data.id_number, "phone": data.phone},
    )
    return person


def update_person(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    person: Person,
    data: PersonInput,
    *,
    household: Household | None = None,
) -> Person:
    """Change the given fields of ``person`` (None: keep), each change kept in the history.

    ``household`` moves the person into that household (and its dwelling and grid)."""
    data = clean_person_input(data)
    old_id = plain_value(person, PersonalField.ID_NUMBER)
    old_phone = plain_value(person, PersonalField.PHONE)
    if data.id_number is not None and data.id_number != old_id:
        other = find_by_id_number(session, data.id_number)
        if other is not None and other.id != person.id:
            raise Conflict(
                _("这个公民身份号码已经登记在另一条记录上，请合并重复记录"), field="id_number"
            )
    changes: dict[str, tuple[Any, Any]] = {}
    for field in ("name", "residence_type", "sex", "birth_date"):
        value = getattr(data, field)
        if value is not None and value != getattr(person, field):
            changes[field] = (getattr(person, field), value)
            setattr(person, field, value)
    if data.id_number is not None and data.id_number != old_id:
        changes["id_number"] = (old_id, data.id_number)
        sealed = seal(tenant.id, PersonalField.ID_NUMBER, data.id_number)
        person.id_number_cipher, person.id_number_hash = sealed.cipher, sealed.hash
    if data.phone is not None and data.phone != old_phone:
        changes["phone"] = (old_phone, data.phone)
        sealed = seal(tenant.id, PersonalField.PHONE, data.phone)
        person.phone_cipher, person.phone_hash = sealed.cipher, sealed.hash
    if household is not None and household.id != person.household_id:
        if data.relation is None:
            raise DomainError(_("请选择与户主关系"), field="relation")
        check_one_head(session, household, data.relation)
        changes["household_id"] = (person.household_id, household.id)
        if person.dwelling_id != household.dwelling_id:
            changes["dwelling_id"] = (person.dwelling_id, household.dwelling_id)
        person.household_id, person.dwelling_id = household.id, household.dwelling_id
        person.node_id = household.node_id
    if data.relation is not None and data.relation != person.relation and person.household_id:
        if household is None or household.id == person.household_id:
            current = session.get(Household, person.household_id)
            if current is not None:
                check_one_head(session, current, data.relation, but=person)
        changes["relation"] = (person.relation, data.relation)
        person.relation = data.relation
    if not changes:
        return person
    person.updated_at = utcnow()
    for field, (old, new) in changes.items():
        record_change(
            session, actor, "person", person.id, person.node_id, "update", field, old, new
        )
    audit.record(
        session,
        actor,
        "person.update",
        "person",
        person.id,
        before={field: old for field, (old, _new) in changes.items()},
        after={field: new for field, (_old, new) in changes.items()},
    )
    session.flush()
    return person


def get_person(session: Session, person_id: int) -> Person:
    """The (not merged-away) person with this id in the current tenant, or NotFound."""
    person = session.scalar(
        select(Person)
        .where(Person.id == person_id, Person.merged_into_id.is_(None))
        .options(selectinload(Person.tags))
    )
    if person is None:
        raise NotFound(_("没有这个人员"))
    return person


def people_query(
    scope: Scope,
    *,
    text: str | None = None,
    id_hash: str | None = None,
    phone_hash: str | None = None,
    grid_id: int | None = None,
    tag: str | None = None,
    dwelling_id: int | None = None,
    residence_type: str | None = None,
) -> Select[Any]:
    """SELECT of the people ``scope`` sees, by name, filtered: ``text`` is a name prefix,
    ``residence_type`` registered (户籍) or floating (流动)."""
    query = select(Person).where(Person.merged_into_id.is_(None))
    if not scope.everything:
        query = query.join(Node, Node.id == Person.node_id).where(scope.node_filter())
    if id_hash is not None:
        query = query.where(Person.id_number_hash == id_hash)
    if phone_hash is not None:
        query = query.where(Person.phone_hash == phone_hash)
    if text:
        # A range rather than LIKE 'text%': it uses the name index even in a generic
        # (parameter-blind) plan, and names sort by code point ("C" collation, SQLite binary).
        query = query.where(Person.name >= text, Person.name < text[:-1] + chr(ord(text[-1]) + 1))
    if grid_id is not None:
        query = query.where(Person.node_id == grid_id)
    if dwelling_id is not None:
        query = query.where(Person.dwelling_id == dwelling_id)
    if tag is not None:
        query = query.where(Person.tags.any(PersonTag.tag == tag))
    if residence_type is not None:
        query = query.where(Person.residence_type == residence_type)
    return query.order_by(Person.name, Person.id)


def names_personal_data(q: str | None) -> bool:
    """Whether a search text is (or looks like) an ID number or a phone, which must not travel
    in a URL: URLs end up in access logs, proxies and browser histories."""
    q = (q or "").strip()
    return (len(q) == 18 and q[:17].isdigit()) or (q.isdigit() and len(q) >= 7)


def search_filters(session: Session, q: str | None) -> dict[str, str]:
    """What ``q`` asks ``people_query`` for: an ID number or a phone as its search hash (exact
    match; never kept in clear), else a name prefix; nothing when ``q`` is empty."""
    q = (q or "").strip()
    if len(q) == 18 and q[:17].isdigit():
        try:
            clean = personal_data.clean_id_number(q)
        except DomainError:
            return {"id_hash": "invalid"}
        return {"id_hash": search_hash(session, PersonalField.ID_NUMBER, clean)}
    if q.isdigit() and len(q) >= 7:
        try:
            clean = personal_data.clean_phone(q)
        except DomainError:
            return {"phone_hash": "invalid"}
        return {"phone_hash": search_hash(session, PersonalField.PHONE, clean)}
    return {"text": q} if q else {}


EXACT_SEARCH = "person.search_exact"  # the audit action of a search by ID number or phone
EXACT_FIELDS = {"id_hash": PersonalField.ID_NUMBER, "phone_hash": PersonalField.PHONE}


def check_exact_search(session: Session, actor: User) -> None:
    """Refuse a search by a whole ID number or phone: Forbidden for a role whose work does not
    need it, TooManyRequests once ``actor`` made as many as the runtime's limits allow in a
    window. They are counted in the audit log, so every web worker counts the same ones."""
    if not disclosure.may_search_exact(actor.role):
        raise Forbidden(_("你的角色不能按公民身份号码或电话查找人员，请按姓名查找"), field="q")
    now = utcnow()
    for limit in parse_many(runtime.current().exact_search_limits):
        window = dt.timedelta(seconds=limit.get_expiry())
        done, oldest = session.execute(
            select(func.count(AuditEvent.id), func.min(AuditEvent.at)).where(
                AuditEvent.action == EXACT_SEARCH,
                AuditEvent.actor_type == actor.actor_type,
                AuditEvent.actor_id == actor.id,
                AuditEvent.at > now - window,
            )
        ).one()
        if (done or 0) >= limit.amount:
            # Free again once the oldest search of the window has left it.
            wait = (oldest + window - now) if oldest is not None else window
            raise TooManyRequests(
                _(
                    "按公民身份号码或电话查找太频繁：%(minutes)d 分钟内最多 %(n)d 次。"
                    "请稍后再试，或按姓名查找",
                    minutes=window // dt.timedelta(minutes=1),
                    n=limit.amount,
                ),
                field="q",
                retry_after=max(1, math.ceil(wait.total_seconds())),
            )


def search_people(
    session: Session, actor: User, scope: Scope, q: str | None, **filters: Any
) -> Select[Any]:
    """People matching ``q`` (see ``search_filters``); everyone in scope when ``q`` is empty.
    Filters as in ``people_query``. A search by a whole ID number or phone is checked
    (``check_exact_search``) and audited: who, when, the value's search hash, what it found."""
    criteria = search_filters(session, q)
    query = people_query(scope, **criteria, **filters)
    exact = next((key for key in criteria if key in EXACT_FIELDS), None)
    if exact is not None:
        check_exact_search(session, actor)
        found = list(session.scalars(query.with_only_columns(Person.id).limit(20)))
        digest = criteria[exact]
        audit.record(
            session,
            actor,
            EXACT_SEARCH,
            "person",
            "search",
            after={
                "field": str(EXACT_FIELDS[exact]),
                "search_hash": None if digest == "invalid" else digest,
                "results": len(found),
                "people": found,
            },
        )
        session.flush()
    return query


def reveal(
    session: Session, actor: User, person: Person, field: PersonalField, reason: str
) -> str | None:
    """The clear value of ``field`` for a role allowed to see it, with a reason; audited."""
    if not disclosure.may_unmask(actor.role, field):
        raise Forbidden(_("你的角色无权查看完整的个人信息"))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(_("请说明查看完整信息的理由"), field="reason")
    audit.record(
        session,
        actor,
        "person.unmask",
        "person",
        person.id,
        after={"field": str(field), "reason": reason[:200]},
    )
    return plain_value(person, field)


# --- duplicates ------------------------------------------------------------------------------


def duplicate_groups(session: Session, scope: Scope) -> list[list[Person]]:
    """Likely duplicates in scope: people with the same name and birth date (one of them often
    entered without an ID number, or with a mistyped one)."""
    keys = select(Person.name, Person.birth_date).where(
        Person.merged_into_id.is_(None), Person.birth_date.is_not(None)
    )
    if not scope.everything:
        keys = keys.join(Node, Node.id == Person.node_id).where(scope.node_filter())
    keys = keys.group_by(Person.name, Person.birth_date).having(func.count() > 1)
    groups = []
    for name, birth_date in session.execute(keys.limit(500)).all():
        members = session.scalars(
            people_query(scope).where(Person.name == name, Person.birth_date == birth_date)
        ).all()
        groups.append(list(members))
    return groups


def merge_people(
    session: Session, tenant: Tenant, actor: Actor, keep: Person, duplicate: Person
) -> Person:
    """Merge ``duplicate`` into ``keep``: ``keep`` gains the values it lacks, the tags and the
    rentals; ``duplicate`` stays (pointing at ``keep``) but no longer shows."""
    if keep.id == duplicate.id:
        raise DomainError(_("不能与自己合并"), field="duplicate_id")
    keep_id = plain_value(keep, PersonalField.ID_NUMBER)
    dup_id = plain_value(duplicate, PersonalField.ID_NUMBER)
    if keep_id and dup_id and keep_id != dup_id:
        raise DomainError(_("两条记录的公民身份号码不同，不是同一个人"), field="duplicate_id")
    filled: dict[str, tuple[Any, Any]] = {}
    for field in ("sex", "birth_date", "dwelling_id", "household_id", "relation"):
        if getattr(keep, field) is None and getattr(duplicate, field) is not None:
            filled[field] = (None, getattr(duplicate, field))
            setattr(keep, field, getattr(duplicate, field))
    # The duplicate gives up its hashes first: the unique index allows one ID number per county.
    moved = {
        "id_number": (keep.id_number_cipher is None and duplicate.id_number_cipher is not None),
        "phone": (keep.phone_cipher is None and duplicate.phone_cipher is not None),
    }
    id_cipher, id_hash = duplicate.id_number_cipher, duplicate.id_number_hash
    phone_cipher, phone_hash = duplicate.phone_cipher, duplicate.phone_hash
    duplicate.id_number_hash = None
    duplicate.phone_hash = None
    duplicate.merged_into_id = keep.id
    session.flush()
    if moved["id_number"]:
        keep.id_number_cipher, keep.id_number_hash = id_cipher, id_hash
        filled["id_number"] = (None, dup_id)
    if moved["phone"]:
        keep.phone_cipher, keep.phone_hash = phone_cipher, phone_hash
        filled["phone"] = (None, plain_value(duplicate, PersonalField.PHONE))
    have = {t.tag for t in keep.tags}
    for tag in list(duplicate.tags):
        if tag.tag not in have:
            keep.tags.append(PersonTag(tag=tag.tag, created_by_id=tag.created_by_id))
            filled[f"tag:{tag.tag}"] = (None, tag.tag)
    for model, column in ((Rental, Rental.landlord_id), (RentalOccupant, RentalOccupant.person_id)):
        session.execute(
            update(model)
            .where(column == duplicate.id)
            .values({column.key: keep.id})
            .execution_options(synchronize_session="fetch")
        )
    keep.updated_at = utcnow()
    record_change(
        session, actor, "person", keep.id, keep.node_id, "merge", "merged", None, duplicate.id
    )
    for field, (old, new) in filled.items():
        record_change(session, actor, "person", keep.id, keep.node_id, "update", field, old, new)
    record_change(
        session,
        actor,
        "person",
        duplicate.id,
        duplicate.node_id,
        "merge",
        "merged_into_id",
        None,
        keep.id,
    )
    audit.record(session, actor, "person.merge", "person", keep.id, after={"merged": duplicate.id})
    session.flush()
    return keep


# --- tags and visits -------------------------------------------------------------------------


def person_tag(catalogue: Mapping[str, TagDefinition], code: str) -> TagDefinition:
    """The person tag ``code`` of the catalogue, or DomainError(field="tag")."""
    definition = catalogue.get(code)
    if definition is None or definition.subject != TagSubject.PERSON:
        raise DomainError(_("没有这个人员标签"), field="tag")
    return definition


def tag_person(
    session: Session,
    actor: Actor,
    person: Person,
    code: str,
    *,
    catalogue: Mapping[str, TagDefinition] | None = None,
) -> PersonTag:
    """Put the tag ``code`` on ``person`` (a no-op if already there)."""
    person_tag(catalogue or tag_catalogue(), code)
    for existing in person.tags:
        if existing.tag == code:
            return existing
    tag = PersonTag(tag=code, created_by_id=actor.id if isinstance(actor, User) else None)
    person.tags.append(tag)
    session.flush()
    record_change(session, actor, "person", person.id, person.node_id, "update", "tag", None, code)
    audit.record(session, actor, "person.tag", "person", person.id, after={"tag": code})
    return tag


def untag_person(session: Session, actor: Actor, person: Person, code: str) -> None:
    """Take the tag ``code`` off ``person`` (NotFound if it is not there)."""
    for existing in person.tags:
        if existing.tag == code:
            person.tags.remove(existing)
            session.flush()
            record_change(
                session, actor, "person", person.id, person.node_id, "update", "tag", code, None
            )
            audit.record(session, actor, "person.untag", "person", person.id, before={"tag": code})
            return
    raise NotFound(_("这个人员没有这个标签"))


def record_visit(
    session: Session,
    actor: User,
    household: Household,
    *,
    notes: str = "",
    visited_at: dt.datetime | None = None,
) -> Visit:
    """Record a household visit (入户走访); the members' next visits fall due from it."""
    notes = (notes or "").strip()
    if not notes:
        raise DomainError(_("请写下走访情况（见到谁、说了什么、有什么困难）"), field="notes")
    when = visited_at or utcnow()
    if when > utcnow() + dt.timedelta(minutes=5):
        raise DomainError(_("走访时间不能晚于现在"), field="visited_at")
    visit = Visit(
        household_id=household.id,
        visited_by_id=actor.id,
        visited_by_name=actor.name,
        visited_at=when,
        notes=notes.strip()[:2000],
    )
    session.add(visit)
    session.flush()
    audit.record(
        session, actor, "household.visit", "household", household.id, after={"visit_id": visit.id}
    )
    return visit


def visits_of(session: Session, household: Household) -> list[Visit]:
    """The visits of a household, newest first."""
    return list(
        session.scalars(
            select(Visit)
            .where(Visit.household_id == household.id)
            .order_by(Visit.visited_at.desc())
        )
    )


@dataclass(frozen=True)
class DueVisit:
    person: Person
    tag: TagDefinition
    last_visit: dt.datetime | None
    due_on: dt.date | None  # None: never visited, due now


def due_visits(
    session: Session,
    tenant: Tenant,
    scope: Scope,
    *,
    today: dt.date,
    catalogue: Mapping[str, TagDefinition] | None = None,
    grid_id: int | None = None,
) -> list[DueVisit]:
    """People in scope whose tag's visit schedule makes a visit due by ``today``, the most
    overdue first. A household visit counts for all of its members; a visit falls due on the
    county day ``visit_interval`` days after the county day of the last one."""
    catalogue = catalogue or tag_catalogue()
    last = (
        select(Visit.household_id, func.max(Visit.visited_at).label("last"))
        .group_by(Visit.household_id)
        .subquery()
    )
    due: list[DueVisit] = []
    for definition in catalogue.values():
        days = visit_interval(definition, tenant.settings or {})
        if definition.subject != TagSubject.PERSON or days is None:
            continue
        query = (
            people_query(scope, tag=definition.code, grid_id=grid_id)
            .add_columns(last.c.last)
            .outerjoin(last, last.c.household_id == Person.household_id)
        )
        for person, last_visit in session.execute(query).all():
            due_on = (
                None
                if last_visit is None
                else tenant.clock.day_of(last_visit) + dt.timedelta(days=days)
            )
            if due_on is None or due_on <= today:
                due.append(DueVisit(person, definition, last_visit, due_on))
    return sorted(due, key=lambda d: (d.due_on or dt.date.min, d.person.name))


def in_scope(session: Session, scope: Scope, node_id: int) -> bool:
    """Whether the record filed under ``node_id`` is in ``scope``."""
    if scope.everything:
        return True
    node = session.get(Node, node_id)
    return node is not None and scope.contains(node)
