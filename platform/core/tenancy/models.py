"""The tenant: a county and its settings (not itself tenant-scoped: it *is* the tenant)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.core.db import Base, utcnow
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, CountyClock


def new_stamp() -> int:
    """A fresh configuration stamp: random, so a county created again under an id used before
    (SQLite reuses them) never meets the cache of the one before it."""
    return secrets.randbits(63)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(
        String(63), unique=True, comment="URL name: /t/<slug>/; lowercase letters, digits, -"
    )
    name: Mapped[str] = mapped_column(String(200), comment="e.g. 长山县")
    level_names: Mapped[list[str]] = mapped_column(
        comment="names of the hierarchy levels, top first, e.g. 区/街道/社区/网格"
    )
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict, comment="county settings")
    modules: Mapped[list[str]] = mapped_column(
        default=list, comment="department modules the county intends to use (before admission)"
    )
    time_zone: Mapped[str] = mapped_column(
        String(64),
        default=DEFAULT_TIME_ZONE,
        server_default=DEFAULT_TIME_ZONE,
        comment="IANA time zone of the county's days and months, e.g. Asia/Shanghai",
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    config_stamp: Mapped[int] = mapped_column(
        BigInteger,
        default=new_stamp,
        server_default="0",
        comment="drawn anew on each change of what its requests keep cached",
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def depth(self) -> int:
        return len(self.level_names)

    @property
    def grid_level(self) -> int:
        """Index of the basic grid level (the lowest one)."""
        return len(self.level_names) - 1

    @property
    def clock(self) -> CountyClock:
        """The county's clock: its today, its months (``gridgov.core.tenancy.county_time``)."""
        return CountyClock.of(self)

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"
