"""The county's grid and registry: nodes of the hierarchy, people, sites and tags, looked up
by id, by code or by name, counted per grid, and the personal data a module keeps itself (a
phone, encrypted at rest and shown masked).

A lookup by id (``get_node``, ``get_site``, ``visible_site`` …) gives the record itself, for a
module to hand to a use case (report a task under a node, link a site). A list a module only
reads (a level's nodes, a breadcrumb, a grid's sites) comes as read models, ``NodeView`` and
``SiteView``: frozen, holding what a page or a figure shows and nothing it must not (a site's
contact phone stays in the registry)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from gridgov.core import personal_data as _personal_data
from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope
from gridgov.core.hierarchy import service as _hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.service import get_node, get_node_by_code
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import service as _registry
from gridgov.core.registry.access import visible_person, visible_site
from gridgov.core.registry.models import Person, PersonTag, Site, SiteKind
from gridgov.core.registry.service import get_site, names_personal_data, people_query, tag_person
from gridgov.core.registry.tags import TagDefinition
from gridgov.sdk.caller import path_filter

__all__ = [
    "Node",
    "NodeView",
    "Person",
    "PersonView",
    "Site",
    "SiteKind",
    "SiteView",
    "TagDefinition",
    "ancestors",
    "children",
    "clean_phone",
    "count_sites",
    "encrypt_phone",
    "get_node",
    "get_node_by_code",
    "get_site",
    "household_members",
    "masked_phone",
    "names_personal_data",
    "nodes_at_level",
    "people_by_grid",
    "people_query",
    "person_views",
    "sites_at",
    "tag_person",
    "untag_person",
    "visible_person",
    "visible_site",
]


@dataclass(frozen=True)
class NodeView:
    """A node of the hierarchy as a list shows it. ``get_node(session, view.id)`` gives the
    node itself where a use case needs it."""

    id: int
    code: str
    name: str
    level: int  # 0 = the top (the county), the grid level last
    path: str  # the materialized path, "/1/4/9/": what ``path_filter`` and prefixes compare
    parent_id: int | None

    @classmethod
    def of(cls, node: Node) -> NodeView:
        return cls(node.id, node.code, node.name, node.level, node.path, node.parent_id)


@dataclass(frozen=True)
class SiteView:
    """A registry site (单位场所) as a list or a picker shows it: no contact phone."""

    id: int
    node_id: int
    name: str
    kind: str  # a SiteKind value
    address: str
    is_key: bool  # 重点单位场所

    @classmethod
    def of(cls, site: Site) -> SiteView:
        return cls(site.id, site.node_id, site.name, site.kind, site.address, site.is_key)


@dataclass(frozen=True)
class PersonView:
    """A resident as a module's list shows them: name, sex and birth date for the age, grid
    and household — never the ID number or the phone (they stay masked in the registry)."""

    id: int
    node_id: int
    household_id: int | None
    name: str
    sex: str | None  # a registry Sex value: "male", "female"
    birth_date: dt.date | None

    @classmethod
    def of(cls, person: Person) -> PersonView:
        return cls(
            person.id,
            person.node_id,
            person.household_id,
            person.name,
            person.sex,
            person.birth_date,
        )

    def age(self, today: dt.date) -> int | None:
        """Full years on the county day ``today`` (what a page shows instead of the birth
        date), or None when the birth date is unknown."""
        if self.birth_date is None:
            return None
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before_birthday


def household_members(session: Session, household_id: int) -> list[PersonView]:
    """The members of the household ``household_id`` of the current county (people merged
    into another record left out), by name; empty for an unknown household."""
    query = (
        select(Person)
        .where(Person.household_id == household_id, Person.merged_into_id.is_(None))
        .order_by(Person.name, Person.id)
    )
    return [PersonView.of(person) for person in session.scalars(query)]


def person_views(session: Session, person_ids: Collection[int]) -> dict[int, PersonView]:
    """The people of the current county with these ids as read models, by id (ids of no one,
    or of a record merged away, are absent): for a module's list of its own records, whose
    access the module has checked."""
    if not person_ids:
        return {}
    query = select(Person).where(Person.id.in_(set(person_ids)), Person.merged_into_id.is_(None))
    return {person.id: PersonView.of(person) for person in session.scalars(query)}


def untag_person(session: Session, actor: User | None, person: Person, code: str) -> None:
    """Take the tag ``code`` off ``person`` (recorded in the person's history and the audit
    log, as tagging is); NotFound if the person does not carry it."""
    _registry.untag_person(session, actor, person, code)


def children(session: Session, node: Node | NodeView) -> list[NodeView]:
    """The current direct children of ``node``, by code."""
    return [NodeView.of(child) for child in _hierarchy.children(session, _node(session, node))]


def ancestors(session: Session, node: Node | NodeView) -> list[NodeView]:
    """The nodes above ``node``, top first (a breadcrumb)."""
    return [NodeView.of(above) for above in _hierarchy.ancestors(session, _node(session, node))]


def _node(session: Session, node: Node | NodeView) -> Node:
    return node if isinstance(node, Node) else get_node(session, node.id)


def nodes_at_level(
    session: Session,
    scope: Scope,
    level: int,
    *,
    under: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[NodeView]:
    """The current nodes of ``level`` (0 = the top) that ``scope`` sees, by code; with
    ``under``, only those below one of these paths (a pilot's townships)."""
    query = select(Node).where(
        Node.level == level, Node.retired_at.is_(None), path_filter(Node.path, scope)
    )
    if under is not None:
        query = query.where(path_filter(Node.path, Scope(paths=tuple(under))))
    return [NodeView.of(node) for node in session.scalars(query.order_by(Node.code).limit(limit))]


def sites_at(
    session: Session, node_ids: Sequence[int], *, limit: int | None = None
) -> list[SiteView]:
    """The registry sites of these nodes, by name."""
    query = select(Site).where(Site.node_id.in_(node_ids)).order_by(Site.name, Site.id)
    return [SiteView.of(site) for site in session.scalars(query.limit(limit))]


def count_sites(session: Session, node_ids: Select[Any] | Sequence[int]) -> int:
    """How many registry sites the nodes ``node_ids`` (ids, or a SELECT of ids) hold."""
    return session.scalar(select(func.count(Site.id)).where(Site.node_id.in_(node_ids))) or 0


def people_by_grid(session: Session, scope: Scope, *, tag: str | None = None) -> dict[str, int]:
    """The people of each node in ``scope`` (only those tagged ``tag``, if given), by the
    node's path; people merged into another record are not counted twice."""
    query = (
        select(Node.path, func.count(Person.id))
        .join(Node, Node.id == Person.node_id)
        .where(Person.merged_into_id.is_(None), path_filter(Node.path, scope))
        .group_by(Node.path)
    )
    if tag is not None:
        query = query.join(PersonTag, PersonTag.person_id == Person.id).where(PersonTag.tag == tag)
    return {path: count for path, count in session.execute(query).all()}


def clean_phone(value: str, *, field: str = "phone") -> str:
    """A mobile number (11 digits, 1[3-9]…) or a landline with its area code, or DomainError
    on ``field``."""
    return _personal_data.clean_phone(value, field=field)


def encrypt_phone(tenant_id: int, phone: str) -> bytes:
    """``phone`` encrypted for the county ``tenant_id``, to store in a module's own column."""
    return _personal_data.data_keys().encrypt(tenant_id, PersonalField.PHONE, phone)


def masked_phone(tenant_id: int, cipher: bytes | None) -> str | None:
    """The phone stored as ``cipher`` as every page shows it to every role (138********: the
    first three digits, README "Personal data"), or None."""
    if cipher is None:
        return None
    plain = _personal_data.data_keys().decrypt(tenant_id, PersonalField.PHONE, cipher)
    return _personal_data.mask(PersonalField.PHONE, plain)
