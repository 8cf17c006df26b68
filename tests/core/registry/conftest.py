"""Registry fixtures: a county with a dwelling and a household in its first grid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from gridgov.core.registry import service as registry
from gridgov.core.registry.models import Dwelling, Household
from gridgov.core.registry.synthetic import make_id_number
from tests.factories import County, build_county


@dataclass
class Home:
    county: County
    dwelling: Dwelling
    household: Household


def id_number(n: int, year: int = 1950) -> str:
    """A distinct valid ID number per ``n`` (born in ``year``)."""
    return make_id_number("110101", dt.date(year, 1, 1) + dt.timedelta(days=n // 1000), n % 1000)


@pytest.fixture
def county(session: Session) -> County:
    return build_county(session, "changshan")


@pytest.fixture
def home(session: Session, county: County) -> Home:
    dwelling = registry.create_dwelling(
        session, county.tenant, county.admin, grid=county.grids[0], address="幸福路 1 号 2 单元 301"
    )
    household = registry.create_household(session, county.admin, dwelling=dwelling)
    return Home(county, dwelling, household)
