"""A masked value cannot be turned back into the value: for every role, the candidates for a
resident's ID number and phone are rebuilt from exactly what that role is shown of them (every
API answer, page and export it can open, the history and the audit log), and at least 10,000
must remain (README, "Personal data").

The reader is assumed to know more than they are shown, the worst case: the county's area code,
the person's sex and birth year, and the first seven digits of the phone (its network prefix
and the number block 号段 of the county). Whatever digits any of the role's outputs show are
then taken as known too; an ID number or phone shown whole anywhere leaves one candidate.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
from dataclasses import dataclass, field

import pytest
from openpyxl import load_workbook
from stdnum.cn import ric

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import db_session, set_tenant, tenant_scope
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import service as registry
from gridgov.core.registry.access import READER_ROLES
from gridgov.core.registry.service import PersonInput
from gridgov.core.registry.synthetic import AREA_CODES, make_id_number
from gridgov.extensions import limiter
from tests.api.bearer import bearer
from tests.factories import UserFactory
from tests.portal.conftest import login, make_county

ENOUGH = 10_000
SLUG = "changshan"
ID_TOKEN = re.compile(r"(?<![0-9X*])[0-9X*]{18}(?![0-9X*])")
PHONE_TOKEN = re.compile(r"(?<![0-9*])1[0-9*]{10}(?![0-9*])")


@dataclass
class Resident:
    person_id: int
    dwelling_id: int
    household_id: int
    id_number: str
    phone: str
    birth: dt.date


@dataclass
class Shown:
    """Everything one role was answered, as text."""

    texts: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.texts.append(text)

    def masks_of(self, pattern: re.Pattern[str], value: str) -> list[str]:
        """The masked forms of ``value`` in the outputs: tokens of its length whose shown
        characters agree with it."""
        return [
            token
            for text in self.texts
            for token in pattern.findall(text)
            if "*" in token and all(c in ("*", v) for c, v in zip(token, value, strict=True))
        ]

    def shows(self, text: str) -> bool:
        return any(text in t for t in self.texts)


def generated_resident(app, county, seed: int) -> Resident:
    """A resident of grid 0 with a random valid ID number and mobile, given in an update (so
    that the history and the audit log hold them too), looked up once by exact value and
    unmasked once with a reason. Built in an app context of its own: a request made while the
    test holds one would reuse it (tests/portal/conftest.py)."""
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        return _resident(session, county, seed)


def _resident(session, county, seed: int) -> Resident:
    rng = random.Random(seed)
    birth = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(365 * 80))
    number = make_id_number(rng.choice(AREA_CODES), birth, rng.randrange(1000))
    phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    tenant = county.tenant
    dwelling = registry.create_dwelling(
        session, tenant, county.admin, grid=county.grids[0], address="幸福路 8 号 1 单元 302"
    )
    household = registry.create_household(session, county.admin, dwelling=dwelling)
    person = registry.create_person(
        session,
        tenant,
        county.workers[0],
        PersonInput(name="赵示例甲", relation="head"),
        household=household,
    )
    registry.update_person(
        session, tenant, county.workers[0], person, PersonInput(id_number=number, phone=phone)
    )
    worker = county.workers[0]
    session.scalars(registry.search_people(session, worker, scope_of(session, worker), number))
    registry.reveal(session, county.station_staff, person, PersonalField.ID_NUMBER, "办理证明")
    session.commit()
    return Resident(person.id, dwelling.id, household.id, number, phone, birth)


def user_of(county, role: str):
    """The county's user of ``role`` who sees grid 0, or a new one there (a role the county
    fixture has none of, such as department officers or a role added later)."""
    built = {
        Role.COUNTY_ADMIN: county.admin,
        Role.TOWNSHIP_STAFF: county.township_staff,
        Role.STATION_STAFF: county.station_staff,
        Role.SUPERVISOR: county.supervisor,
        Role.GRID_WORKER: county.workers[0],
        Role.VOLUNTEER: county.volunteer,
        Role.AUDIT_ADMIN: county.auditor,
    }
    if role in built:
        return built[role]
    return UserFactory(
        username=f"cand-{role}".replace("_", "-"), role=role, nodes=[county.grids[0]]
    )


def shown_to(app, client, county, user, resident: Resident) -> Shown:
    """What ``user`` is answered by every API call and page that shows the resident."""
    shown = Shown()
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            token, _record = accounts.create_token(session, None, county.tenant, user)
        session.commit()
    headers = bearer(token)
    api = f"/t/{SLUG}/api/v1"
    person, dwelling = resident.person_id, resident.dwelling_id
    for path in (
        f"/people/{person}",
        "/people",
        f"/people/{person}/history",
        f"/dwellings/{dwelling}",
        f"/households/{resident.household_id}",
        "/visits/due",
        "/audit?page_size=500",
    ):
        response = client.get(api + path, headers=headers)
        shown.add(json.dumps(response.get_json(), ensure_ascii=False))
    found = client.post(api + "/people/search", json={"q": "赵"}, headers=headers)
    shown.add(json.dumps(found.get_json(), ensure_ascii=False))
    export = client.post(api + "/people/export", json={}, headers=headers)
    if export.status_code == 200:
        rows = load_workbook(io.BytesIO(export.data)).active.values
        shown.add(" ".join(str(v) for row in rows for v in row))
    else:
        shown.add(export.get_data(as_text=True))
    browser = app.test_client()
    login(browser, SLUG, user.username)
    portal = f"/t/{SLUG}"
    for path in (
        "/people",
        f"/people/{person}",
        f"/dwellings/{dwelling}",
        "/people/duplicates",
        "/audit",
    ):
        shown.add(browser.get(portal + path).get_data(as_text=True))
    return shown


def id_candidates(shown: Shown, resident: Resident) -> set[str] | int:
    """The ID numbers the role cannot tell from the resident's: the set when it is small
    enough to list, else its size."""
    number = resident.id_number
    if shown.shows(number):
        return {number}
    masks = shown.masks_of(ID_TOKEN, number)
    known = {i for mask in masks for i, c in enumerate(mask) if c != "*"}
    birth = resident.birth
    dates = [birth] if any(shown.shows(f) for f in _date_forms(birth)) else _days_of(birth.year)
    dates = [d for d in dates if all(f"{d:%Y%m%d}"[i - 6] == number[i] for i in known & _DATE)]
    codes = [
        f"{o:03d}"
        for o in range(1000)
        if o % 2 == int(number[16]) % 2  # the sex (the order code's parity) is known
        and all(f"{o:03d}"[i - 14] == number[i] for i in known & _ORDER)
    ]
    area = number[:6]  # the county's own area code: known anyway
    if 17 not in known and len(dates) * len(codes) > 2 * ENOUGH:
        return len(dates) * len(codes)
    found = set()
    for day in dates:
        for code in codes:
            body = f"{area}{day:%Y%m%d}{code}"
            candidate = body + ric.calc_check_digit(body + "0")
            if 17 not in known or candidate[17] == number[17]:
                found.add(candidate)
    return found


_DATE = set(range(6, 14))
_ORDER = set(range(14, 17))


def _date_forms(day: dt.date) -> list[str]:
    return [day.isoformat(), f"{day:%Y%m%d}", f"{day.year}年{day.month}月{day.day}日"]


def _days_of(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=n) for n in range((dt.date(year + 1, 1, 1) - first).days)]


def phone_candidates(shown: Shown, resident: Resident) -> int:
    """How many phones the role cannot tell from the resident's, its first seven digits known."""
    if shown.shows(resident.phone):
        return 1
    masks = shown.masks_of(PHONE_TOKEN, resident.phone)
    known = {i for mask in masks for i, c in enumerate(mask) if c != "*"}
    return 10 ** len(set(range(7, 11)) - known)


def size(candidates: set[str] | int) -> int:
    return candidates if isinstance(candidates, int) else len(candidates)


@pytest.fixture(autouse=True)
def _no_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limiter, "enabled", False)  # another test's app may have switched it on


@pytest.fixture
def county(app, connection):
    return make_county(app, SLUG)


def users_of_every_role(app, county) -> dict[str, object]:
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        users = {role.value: user_of(county, role) for role in Role}
        session.commit()
    return users


@pytest.mark.parametrize("seed", [15, 2026])
def test_what_each_role_is_shown_leaves_at_least_ten_thousand_candidates(app, client, county, seed):
    resident = generated_resident(app, county, seed)
    counted = {}
    for role, user in users_of_every_role(app, county).items():
        shown = shown_to(app, client, county, user, resident)
        ids = id_candidates(shown, resident)
        if isinstance(ids, set):
            assert resident.id_number in ids  # the rebuild itself is right
        counted[role] = (size(ids), phone_candidates(shown, resident))
        if role in READER_ROLES:  # the rebuild saw the resident's values, masked
            assert shown.masks_of(ID_TOKEN, resident.id_number), role
            assert shown.masks_of(PHONE_TOKEN, resident.phone), role
    too_few = {role: n for role, n in counted.items() if min(n) < ENOUGH}
    assert not too_few, f"fewer than {ENOUGH} candidates (ID number, phone): {too_few}"
    # The readers of residents' records are shown the birth year and the area code, no more.
    staff = counted[Role.GRID_WORKER.value]
    assert staff[0] in (365 * 500, 366 * 500) and staff[1] == ENOUGH


def test_the_rebuild_finds_the_old_masks_too_weak(app, county):
    """The check can fail: the forms this design replaced leave a handful of candidates."""
    resident = generated_resident(app, county, 7)
    number, phone = resident.id_number, resident.phone
    old = Shown()
    old.add(f"{number[:4]}{'*' * 10}{number[-4:]} {resident.birth.isoformat()}")
    old.add(f"{phone[:3]}****{phone[-4:]}")
    assert size(id_candidates(old, resident)) == 1
    assert phone_candidates(old, resident) == 1
    year_only = Shown()
    year_only.add(f"{number[:6]}{'*' * 8}{number[-4:]}")  # the tail alone, birth year known
    assert size(id_candidates(year_only, resident)) < 100
