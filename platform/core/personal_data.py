"""Protected personal data (个人信息保护): citizens' ID numbers and phones.

Values are validated here, encrypted at rest with AES-GCM (authenticated: a changed or moved
ciphertext fails to decrypt), found again by exact value through an HMAC "search hash", and
masked for display. Both keys are derived with HKDF from GRIDGOV_DATA_KEY, which lives in the
configuration and never in the database. The ciphertext and the search hash are bound to the
county and the field: the same ID number in two counties has unrelated hashes, so the tables
cannot be joined across counties, and a ciphertext copied to another column does not decrypt.

Unmasking is a permission of a few roles (``UNMASK_ROLES``) and the caller must give a reason;
the registry service writes each unmask to the audit log.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from stdnum.cn import ric

from gridgov.core import runtime
from gridgov.core.accounts.models import Role
from gridgov.core.errors import DomainError
from gridgov.core.i18n import _
from gridgov.core.keys import derived_key

NONCE_BYTES = 12


class PersonalField(StrEnum):
    ID_NUMBER = "id_number"
    PHONE = "phone"


# Who may see a value unmasked (always with a reason, always audited). Grid workers and the
# community station phone residents daily, so they may reveal phones of people in their scope;
# the full ID number is needed only for certificates and case files, handled by the station and
# the county. Everyone else (supervisors, volunteers, department officers, the audit
# administrator) works with masked values.
UNMASK_ROLES: dict[PersonalField, frozenset[str]] = {
    PersonalField.ID_NUMBER: frozenset({Role.COUNTY_ADMIN, Role.STATION_STAFF}),
    PersonalField.PHONE: frozenset(
        {Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.STATION_STAFF, Role.GRID_WORKER}
    ),
}


def may_unmask(role: str, field: PersonalField) -> bool:
    return role in UNMASK_ROLES[field]


# --- validation ------------------------------------------------------------------------------

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def clean_id_number(value: str, *, field: str = "id_number") -> str:
    """The 18-character ID number (居民身份证号) in canonical form, or DomainError(field=…).

    GB 11643 as python-stdnum's ``cn.ric.validate`` checks it: checksum, a valid birth date and
    an area code that existed in the birth year. Done here in steps, with the area lookup cached
    per (area, year): stdnum's general-purpose cleaning and database search cost ~60 µs a
    number, which dominated an import of a million people.
    """
    text = str(value).strip().upper().replace(" ", "")
    if len(text) != 18:
        raise DomainError(_("公民身份号码应为 18 位"), field=field)
    if not (ID_BODY_RE.match(text) and ric.calc_check_digit(text) == text[17]):
        raise DomainError(_("公民身份号码无效（校验位、地区码或出生日期不对）"), field=field)
    try:
        birth = birth_date_of(text)
    except ValueError:
        birth = None
    if birth is None or not _area_existed(text[:6], birth.year):
        raise DomainError(_("公民身份号码无效（校验位、地区码或出生日期不对）"), field=field)
    return text


ID_BODY_RE = re.compile(r"^\d{17}[\dX]$")


@functools.lru_cache(maxsize=65536)
def _area_existed(area: str, year: int) -> bool:
    # Any valid number with this area and birth year answers stdnum's area question.
    probe = f"{area}{year:04d}0101001"
    probe += ric.calc_check_digit(probe + "0")
    return ric.is_valid(probe)


def clean_phone(value: str, *, field: str = "phone") -> str:
    """A mobile number (11 digits, 1[3-9]…) or a landline with its area code, or DomainError."""
    text = str(value)
    if MOBILE_RE.fullmatch(text):
        return text  # the common case, without the clean-up below
    text = re.sub(r"[\s()（）]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    if MOBILE_RE.match(text) or LANDLINE_RE.match(text):
        return text
    raise DomainError(_("电话号码无效：手机号为 1 开头的 11 位数字，固话须带区号"), field=field)


def birth_date_of(id_number: str) -> dt.date:
    """The birth date written in an ID number (ValueError if it is not a date)."""
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def sex_of(id_number: str) -> str:
    """ "male" or "female": GB 11643's order code is odd for men and even for women."""
    return "male" if int(id_number[16]) % 2 else "female"


# --- masking ---------------------------------------------------------------------------------


def mask(field: PersonalField | str, value: str | None) -> str | None:
    """The masked form shown by default: ID 4201**********1234, phone 138****5678."""
    if value is None:
        return None
    if field == PersonalField.ID_NUMBER:
        return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}" if len(value) > 8 else "****"
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 7 else "****"


# --- encryption and the search hash ----------------------------------------------------------


@dataclass(frozen=True)
class DataKeys:
    """The two keys derived from GRIDGOV_DATA_KEY: one encrypts, one makes search hashes."""

    cipher: AESGCM
    search_key: bytes

    @classmethod
    def derive(cls, data_key: str) -> DataKeys:
        return cls(
            cipher=AESGCM(derived_key(data_key, b"gridgov personal data: encryption v1")),
            search_key=derived_key(data_key, b"gridgov personal data: search hash v1"),
        )

    def encrypt(self, tenant_id: int, field: PersonalField, value: str) -> bytes:
        """nonce ‖ AES-GCM ciphertext of ``value``, bound to the county and the field."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self.cipher.encrypt(nonce, value.encode(), _context(tenant_id, field))

    def decrypt(self, tenant_id: int, field: PersonalField, blob: bytes) -> str:
        """The plain value; raises cryptography's InvalidTag if the blob was tampered with."""
        nonce, ciphertext = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        return self.cipher.decrypt(nonce, ciphertext, _context(tenant_id, field)).decode()

    def search_hash(self, tenant_id: int, field: PersonalField, value: str) -> str:
        """HMAC-SHA256 (hex) of the canonical value, for exact search and deduplication."""
        keyed = self._keyed(tenant_id, field).copy()
        keyed.update(value.encode())
        return keyed.hexdigest()

    def _keyed(self, tenant_id: int, field: PersonalField) -> hmac.HMAC:
        # The HMAC state after the key and the county's context: each hash copies it and adds
        # only the value (half the cost of a fresh HMAC, which an import pays a million times).
        return _keyed_state(self.search_key, _context(tenant_id, field) + b"\x00")


@functools.lru_cache(maxsize=1024)
def _keyed_state(key: bytes, prefix: bytes) -> hmac.HMAC:
    return hmac.new(key, prefix, hashlib.sha256)


@functools.lru_cache(maxsize=1024)
def _context(tenant_id: int, field: PersonalField) -> bytes:
    return f"{tenant_id}:{field}".encode()


@functools.lru_cache(maxsize=4)
def _keys_for(data_key: str) -> DataKeys:
    return DataKeys.derive(data_key)


def data_keys() -> DataKeys:
    """The keys of the runtime in place (derived once per key)."""
    return _keys_for(runtime.current().data_key)
