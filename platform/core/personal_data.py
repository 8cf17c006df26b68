"""Protected personal data (个人信息保护): citizens' ID numbers and phones.

Values are validated here, encrypted at rest with AES-GCM (authenticated: a changed or moved
ciphertext fails to decrypt), found again by exact value through an HMAC "search hash", and
masked for display. Both keys are derived with HKDF from GRIDGOV_DATA_KEY, which lives in the
configuration and never in the database. The ciphertext and the search hash are bound to the
county and the field: the same ID number in two counties has unrelated hashes, so the tables
cannot be joined across counties, and a ciphertext copied to another column does not decrypt.

The masked forms here keep only what leaves at least 10,000 candidates for the clear value,
counted over everything a reader is shown of a person together (README, "Personal data"): an
ID number keeps its area code and nothing of its birth date, order code or check digit; a
phone keeps its first three digits; a birth date shows as its year. What each role is shown of
them, and who may unmask or search by exact value, is ``gridgov.core.registry.disclosure``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from stdnum.cn import ric

from gridgov.core import runtime
from gridgov.core.errors import DomainError
from gridgov.core.i18n import _
from gridgov.core.keys import derived_key

NONCE_BYTES = 12


class PersonalField(StrEnum):
    ID_NUMBER = "id_number"
    PHONE = "phone"


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


ID_AREA_DIGITS = 6  # GB 11643's area code (地址码): the most an ID number shows masked
PHONE_SHOWN_DIGITS = 3  # a mobile's network prefix (号段), or a landline's area code's start


def mask(field: PersonalField | str, value: str | None, *, shown: int | None = None) -> str | None:
    """The masked form: ID ``420102************``, phone ``138********``; ``shown`` keeps
    fewer leading characters (a role shown less). Takes a clear value or an already masked
    one (an older form kept in a history), and never shows more than the form allows."""
    if value is None:
        return None
    allowed = ID_AREA_DIGITS if field == PersonalField.ID_NUMBER else PHONE_SHOWN_DIGITS
    keep = min(allowed, allowed if shown is None else shown, len(value) // 2)
    return value[:keep] + "*" * (len(value) - keep)


def birth_year(value: dt.date | str | None) -> int | None:
    """The year of a birth date (a date, or one written as text), the most a masked record
    shows of it: the year never changes, where an age shown day after day would tell the
    birthday on the day it goes up."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.year
    text = str(value).strip()
    return int(text[:4]) if text[:4].isdigit() else None


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

    def seal_many(
        self, tenant_id: int, field: PersonalField, values: Sequence[str]
    ) -> list[tuple[str, bytes]]:
        """(search hash, ciphertext) of each value: the same as search_hash and encrypt one
        value at a time, for an import's million values. The county's context, the keyed HMAC
        state and the cipher are looked up once, and the nonces are drawn from the OS in one
        read for the whole list (a 12-byte read per value cost as much as the encryption).
        Nothing outlives the call, so a forked process never reuses a nonce."""
        context = _context(tenant_id, field)
        copy, encrypt = self._keyed(tenant_id, field).copy, self.cipher.encrypt
        nonces = os.urandom(NONCE_BYTES * len(values))
        sealed = []
        for start, value in zip(range(0, len(nonces), NONCE_BYTES), values, strict=True):
            data = value.encode()
            keyed = copy()
            keyed.update(data)
            nonce = nonces[start : start + NONCE_BYTES]
            sealed.append((keyed.hexdigest(), nonce + encrypt(nonce, data, context)))
        return sealed

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
