"""What each role is shown of a resident's personal data, who may unmask a value, and who may
search by an exact ID number or phone: the one table every list, page, export, API answer and
history reads (个人信息按角色展示).

A mask is only as strong as everything else the reader sees of the person, so the table is
designed over all fields together: nobody is shown more than the ID number's area code, the
birth year (never the date), the sex and a phone's first three digits, which leaves at least
182,000 candidate ID numbers and 10,000 candidate phones (README, "Personal data";
tests/core/registry/test_masking_candidates.py rebuilds the candidates from what each role is
actually shown). A clear value comes only through an audited unmask with a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gridgov.core import personal_data
from gridgov.core.accounts.models import Role
from gridgov.core.personal_data import PersonalField

BOTH = frozenset(PersonalField)


@dataclass(frozen=True)
class Disclosure:
    """What one role is shown of a resident's personal data, by default and on request."""

    id_digits: int  # leading digits of an ID number shown masked (6: area code, 2: province)
    unmask: frozenset[PersonalField] = frozenset()  # may see in clear, with a reason (audited)
    search_exact: bool = False  # may find a person by a whole ID number or phone

    def id_number(self, value: str | None) -> str | None:
        """An ID number as this role sees it (a clear or an already masked value)."""
        return personal_data.mask(PersonalField.ID_NUMBER, value, shown=self.id_digits)

    def phone(self, value: str | None) -> str | None:
        """A phone as this role sees it: its first three digits."""
        return personal_data.mask(PersonalField.PHONE, value)

    def birth(self, value: dt.date | str | None) -> int | None:
        """A birth date as this role sees it: the year."""
        return personal_data.birth_year(value)

    def shown(self, field: str | None, value: Any) -> Any:
        """A value of the person's field ``field`` as this role sees it (a history entry's old
        or new value, which older versions stored masked less): the rest unchanged."""
        if value is None:
            return None
        if field == PersonalField.ID_NUMBER:
            return self.id_number(str(value))
        if field == PersonalField.PHONE:
            return self.phone(str(value))
        if field == "birth_date":
            year = self.birth(value)
            return None if year is None else str(year)
        return value


# Staff who work with residents see the area code, which for floating residents (流动人口) says
# where they come from; supervisors and department officers check work and cases and need no
# more than the province. Grid workers and the community station phone residents daily, so
# they may reveal phones; the full ID number is needed only for certificates and case files,
# handled by the station and the county. Exact searches are for those who register and find
# residents at the door or the counter, with an ID card or a phone number in hand.
DISCLOSURES: dict[str, Disclosure] = {
    Role.COUNTY_ADMIN: Disclosure(id_digits=6, unmask=BOTH, search_exact=True),
    Role.TOWNSHIP_STAFF: Disclosure(
        id_digits=6, unmask=frozenset({PersonalField.PHONE}), search_exact=True
    ),
    Role.STATION_STAFF: Disclosure(id_digits=6, unmask=BOTH, search_exact=True),
    Role.GRID_WORKER: Disclosure(
        id_digits=6, unmask=frozenset({PersonalField.PHONE}), search_exact=True
    ),
    Role.SUPERVISOR: Disclosure(id_digits=2),
    Role.DEPARTMENT_OFFICER: Disclosure(id_digits=2),
    # No access to residents' records (gridgov.core.registry.access); the audit administrator
    # reads them only as the audit log keeps them (gridgov.core.audit.service.mask_value).
    Role.VOLUNTEER: Disclosure(id_digits=0),
    Role.SECURITY_ADMIN: Disclosure(id_digits=0),
    Role.AUDIT_ADMIN: Disclosure(id_digits=0),
}
LEAST = Disclosure(id_digits=0)  # a role this table does not know is shown the least


def disclosure(role: str) -> Disclosure:
    """What ``role`` is shown of residents' personal data."""
    return DISCLOSURES.get(role, LEAST)


def may_unmask(role: str, field: PersonalField) -> bool:
    """Whether ``role`` may see ``field`` in clear (with a reason, audited)."""
    return field in disclosure(role).unmask


def may_search_exact(role: str) -> bool:
    """Whether ``role`` may find people by a whole ID number or phone."""
    return disclosure(role).search_exact
