"""The registry's tables: places (compound → building → dwelling, sites, rentals), people and
households, their tags and visits, and the history of every change.

A building's units (单元) carry nothing of their own, so a unit is the ``unit`` label of a
dwelling rather than a table. Every person, household and dwelling has the basic grid it lies
in (``node_id``): scope checks and "people of this grid" are one indexed lookup. ID numbers and
phones are stored only as ciphertext plus a keyed search hash (gridgov.core.personal_data).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.core.db import Base, TenantScoped, utcnow
from gridgov.core.files.models import FileJob
from gridgov.core.i18n import _

NAME_TYPE = String(100).with_variant(String(100, collation="C"), "postgresql")


class ResidenceType(StrEnum):
    REGISTERED = "registered"  # 户籍人口
    FLOATING = "floating"  # 流动人口


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Relation(StrEnum):
    """与户主关系: relation of a household member to its head."""

    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDCHILD = "grandchild"
    GRANDPARENT = "grandparent"
    SIBLING = "sibling"
    OTHER = "other"


class SiteKind(StrEnum):
    SCHOOL = "school"
    MARKET = "market"
    HOSPITAL = "hospital"
    SHOP = "shop"  # 商铺
    INDIVIDUAL_BUSINESS = "individual_business"  # 个体工商户
    ENTERPRISE = "enterprise"
    OTHER = "other"


class Compound(TenantScoped, Base):
    """小区: a residential compound, filed under a node (usually its community)."""

    __tablename__ = "compounds"
    __table_args__ = (Index("ix_compounds_tenant_id_node_id", "tenant_id", "node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Building(TenantScoped, Base):
    """楼栋: a building, in a compound or standing alone (a village house has none)."""

    __tablename__ = "buildings"
    __table_args__ = (
        Index("ix_buildings_tenant_id_compound_id", "tenant_id", "compound_id"),
        Index("ix_buildings_tenant_id_node_id", "tenant_id", "node_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compounds.id", ondelete="RESTRICT"))
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(100), comment="e.g. 3号楼")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Dwelling(TenantScoped, Base):
    """房屋/住户: one home, in exactly one basic grid."""

    __tablename__ = "dwellings"
    __table_args__ = (
        Index("ix_dwellings_tenant_id_node_id", "tenant_id", "node_id"),
        Index("ix_dwellings_tenant_id_building_id", "tenant_id", "building_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the basic grid it lies in"
    )
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="RESTRICT"))
    unit: Mapped[str] = mapped_column(String(32), default="", comment="单元, e.g. 2单元")
    number: Mapped[str] = mapped_column(String(32), default="", comment="房号, e.g. 301")
    address: Mapped[str] = mapped_column(String(300), comment="full address as residents write it")
    is_rental: Mapped[bool] = mapped_column(default=False, comment="出租屋")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    building: Mapped[Building | None] = relationship()


class Household(TenantScoped, Base):
    """户: the people living together in a dwelling, one of them the head."""

    __tablename__ = "households"
    __table_args__ = (
        Index("ix_households_tenant_id_dwelling_id", "tenant_id", "dwelling_id"),
        Index("ix_households_tenant_id_node_id", "tenant_id", "node_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dwelling_id: Mapped[int] = mapped_column(ForeignKey("dwellings.id", ondelete="RESTRICT"))
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="its dwelling's grid (kept in step)"
    )
    number: Mapped[str] = mapped_column(String(32), default="", comment="户号")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    dwelling: Mapped[Dwelling] = relationship()
    members: Mapped[list[Person]] = relationship(
        back_populates="household", order_by="Person.id", foreign_keys="Person.household_id"
    )


class Person(TenantScoped, Base):
    """实有人口: one resident. One ID number is one person in a county (a unique search hash)."""

    __tablename__ = "persons"
    __table_args__ = (
        # A grid's people by name, in index order: the page of 50 needs no sort, and
        # PostgreSQL's generic plan (prepared statements) picks it over the name index.
        Index("ix_persons_tenant_id_node_id", "tenant_id", "node_id", "name", "id"),
        Index("ix_persons_tenant_id_name", "tenant_id", "name", "id"),  # prefix search, in order
        Index(
            "uq_persons_tenant_id_id_number_hash",
            "tenant_id",
            "id_number_hash",
            unique=True,
        ),
        Index("ix_persons_tenant_id_phone_hash", "tenant_id", "phone_hash"),
        Index("ix_persons_tenant_id_household_id", "tenant_id", "household_id"),
        Index("ix_persons_tenant_id_dwelling_id", "tenant_id", "dwelling_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the basic grid the person lives in"
    )
    # Collation "C" on PostgreSQL: one plain index then serves both a name-prefix search
    # (LIKE '王%') and ORDER BY name; a locale collation would need a sort of every match.
    name: Mapped[str] = mapped_column(NAME_TYPE)
    residence_type: Mapped[str] = mapped_column(String(16), comment="a ResidenceType value")
    sex: Mapped[str | None] = mapped_column(String(8), comment="a Sex value")
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    id_number_cipher: Mapped[bytes | None] = mapped_column(
        LargeBinary, comment="公民身份号码, AES-GCM (never stored in clear)"
    )
    id_number_hash: Mapped[str | None] = mapped_column(
        String(64), comment="HMAC-SHA256 of the ID number: exact search and dedup"
    )
    phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary, comment="AES-GCM")
    phone_hash: Mapped[str | None] = mapped_column(String(64), comment="HMAC-SHA256")
    dwelling_id: Mapped[int | None] = mapped_column(ForeignKey("dwellings.id", ondelete="RESTRICT"))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="RESTRICT")
    )
    relation: Mapped[str | None] = mapped_column(String(16), comment="a Relation value")
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"),
        comment="set on a duplicate merged into another record; it then no longer shows",
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    household: Mapped[Household | None] = relationship(
        back_populates="members", foreign_keys=[household_id]
    )
    dwelling: Mapped[Dwelling | None] = relationship()
    tags: Mapped[list[PersonTag]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonTag.tag"
    )


class PersonTag(TenantScoped, Base):
    """A special-population tag on a person (a TagDefinition code)."""

    __tablename__ = "person_tags"
    __table_args__ = (
        UniqueConstraint("tenant_id", "person_id", "tag"),
        Index("ix_person_tags_tenant_id_tag", "tenant_id", "tag"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(back_populates="tags")


class Visit(TenantScoped, Base):
    """入户走访: a household visit (who, when, notes); it resets the members' due visits."""

    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_tenant_id_household_id", "tenant_id", "household_id", "visited_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="RESTRICT"))
    visited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    visited_by_name: Mapped[str] = mapped_column(String(100))
    visited_at: Mapped[dt.datetime] = mapped_column()
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Site(TenantScoped, Base):
    """单位场所: a school, market, hospital, shop, individual business … in a grid."""

    __tablename__ = "sites"
    __table_args__ = (Index("ix_sites_tenant_id_node_id", "tenant_id", "node_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), comment="a SiteKind value")
    address: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary, comment="AES-GCM")
    is_key: Mapped[bool] = mapped_column(default=False, comment="重点单位场所")
    # Where it stands (WGS 84), both or neither: a key site with one is drawn on the map.
    latitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    longitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Rental(TenantScoped, Base):
    """出租屋: a lease of a dwelling, its landlord and lease period; renters in RentalOccupant."""

    __tablename__ = "rentals"
    __table_args__ = (Index("ix_rentals_tenant_id_dwelling_id", "tenant_id", "dwelling_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dwelling_id: Mapped[int] = mapped_column(ForeignKey("dwellings.id", ondelete="RESTRICT"))
    landlord_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    occupants: Mapped[list[RentalOccupant]] = relationship(cascade="all, delete-orphan")

    @property
    def occupant_ids(self) -> list[int]:
        return [o.person_id for o in self.occupants]


class RentalOccupant(TenantScoped, Base):
    """A renter (承租人) of a rental."""

    __tablename__ = "rental_occupants"
    __table_args__ = (UniqueConstraint("tenant_id", "rental_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rental_id: Mapped[int] = mapped_column(ForeignKey("rentals.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))


class RecordChange(TenantScoped, Base):
    """One change to a person, household or dwelling: who, when, which field, old → new.

    Append-only (the application's role may not update or delete it). Personal fields are
    stored masked. ``node_id`` is the grid the record was in, for counts by grid.

    Like the audit log, it names the grid and the actor as they were, by id (and the actor by
    name too), without foreign keys: a history constrains nothing, and checking two keys per
    entry was a quarter of what storing an imported person cost.
    """

    __tablename__ = "record_changes"
    __table_args__ = (
        Index("ix_record_changes_tenant_id_object", "tenant_id", "object_type", "object_id"),
        Index("ix_record_changes_tenant_id_at", "tenant_id", "at", "node_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(16), comment="person, household, dwelling")
    object_id: Mapped[int] = mapped_column()
    node_id: Mapped[int | None] = mapped_column(comment="the grid the record was in (nodes.id)")
    action: Mapped[str] = mapped_column(String(16), comment="create, update, move, merge")
    field: Mapped[str | None] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(300))
    new_value: Mapped[str | None] = mapped_column(String(300))
    actor_id: Mapped[int | None] = mapped_column(comment="users.id of who changed it, if a user")
    actor_name: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ImportRun(FileJob, TenantScoped, Base):
    """One import of a spreadsheet: the uploaded file, how it went, the rejected rows file."""

    __tablename__ = "import_runs"
    not_found = _("没有这次导入")
    __table_args__ = (Index("ix_import_runs_tenant_id_created_at", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), comment="people, households, dwellings, sites")
    file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_files.id", ondelete="SET NULL"),
        comment="the upload; deleted once it has been imported (it holds ID numbers)",
    )
    rejected_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_files.id", ondelete="RESTRICT"), comment="the rejected rows, .xlsx"
    )
    is_dry_run: Mapped[bool] = mapped_column(default=False)
    is_strict: Mapped[bool] = mapped_column(default=False)
    mapping: Mapped[dict[str, Any] | None] = mapped_column(
        comment="the county's own headers: sheet header -> column key"
    )
    report: Mapped[dict[str, Any] | None] = mapped_column(comment="counts and bad rows")
    error: Mapped[str | None] = mapped_column(String(300), comment="why the file was refused")


class ExportRun(FileJob, TenantScoped, Base):
    """One export of a filtered list of people to .xlsx, built by a job. Only its author may
    download the file. The filters never hold an ID number or phone in clear: a search for one
    is kept as its search hash."""

    __tablename__ = "export_runs"
    not_found = _("没有这次导出")
    not_ready = _("导出文件还没有生成")
    __table_args__ = (
        Index("ix_export_runs_tenant_id_created_by_id", "tenant_id", "created_by_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    filters: Mapped[dict[str, Any]] = mapped_column(comment="people_query filters")
    reason: Mapped[str | None] = mapped_column(
        String(200), comment="why clear values were asked for; None: masked export"
    )
    file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_files.id", ondelete="SET NULL"), comment="the .xlsx once built"
    )
    count: Mapped[int | None] = mapped_column(comment="people in the file")
