"""Personal data: ID numbers and phones validated, encrypted at rest, hashed for search, masked."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random

import pytest
from cryptography.exceptions import InvalidTag
from stdnum.cn import ric

from gridgov.core import personal_data
from gridgov.core.errors import DomainError
from gridgov.core.personal_data import DataKeys, PersonalField
from gridgov.core.registry import disclosure
from gridgov.core.registry.synthetic import make_id_number

KEY = "q0mUGAuM1pFDUTR1p5hHpDFo3wnATSPoAzX1Z6Uo6vg="
VALID = make_id_number("110101", dt.date(1980, 1, 1), 123)


@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "110101198001011232", make_id_number("120101", dt.date(2001, 2, 28), 8)],
)
def test_valid_id_numbers_are_accepted(number):
    assert personal_data.clean_id_number(number.lower()) == number


@pytest.mark.parametrize(
    "number, why",
    [
        ("110101198001011233", "wrong check digit"),
        ("990101198001011234", "unknown area code"),
        ("110101198002301234", "30 February"),
        ("11010119800101123", "17 characters"),
        ("1101011980010112345", "19 characters"),
        ("", "empty"),
    ],
)
def test_invalid_id_numbers_are_refused_on_the_field(number, why):
    with pytest.raises(DomainError) as refused:
        personal_data.clean_id_number(number)
    assert refused.value.field == "id_number", why


def test_birth_date_and_sex_come_from_the_id_number():
    number = make_id_number("110102", dt.date(1975, 6, 30), 7)
    assert personal_data.birth_date_of(number) == dt.date(1975, 6, 30)
    assert personal_data.sex_of(number) == "male"
    assert personal_data.sex_of(make_id_number("110102", dt.date(1975, 6, 30), 8)) == "female"


@pytest.mark.parametrize(
    "phone", ["13812345678", "138 1234 5678", "+8613812345678", "010-62345678"]
)
def test_mobile_and_landline_numbers_are_accepted(phone):
    assert personal_data.clean_phone(phone).replace("-", "").isdigit()


@pytest.mark.parametrize(
    "phone", ["12812345678", "1381234567", "138123456789", "phone", "62345678"]
)
def test_bad_phone_numbers_are_refused(phone):
    with pytest.raises(DomainError) as refused:
        personal_data.clean_phone(phone)
    assert refused.value.field == "phone"


def test_masks_show_the_area_code_and_the_network_prefix_only():
    assert personal_data.mask(PersonalField.ID_NUMBER, "420102198001011234") == "420102" + "*" * 12
    assert personal_data.mask(PersonalField.PHONE, "13812345678") == "138********"
    assert personal_data.mask(PersonalField.PHONE, "0710-3456789") == "071*********"


def test_a_mask_never_shows_more_than_its_form_even_when_asked_to():
    number = "420102198001011234"
    assert personal_data.mask(PersonalField.ID_NUMBER, number, shown=2) == "42" + "*" * 16
    assert personal_data.mask(PersonalField.ID_NUMBER, number, shown=18) == "420102" + "*" * 12
    assert personal_data.mask(PersonalField.PHONE, "13812345678", shown=11) == "138********"
    assert personal_data.mask(PersonalField.PHONE, "1234") == "12**"


def test_a_birth_date_shows_as_its_year():
    assert personal_data.birth_year(dt.date(1975, 6, 30)) == 1975
    assert personal_data.birth_year("1975-06-30") == 1975
    assert personal_data.birth_year(None) is None


def test_encryption_round_trips_and_never_contains_the_value():
    keys = DataKeys.derive(KEY)
    blob = keys.encrypt(1, PersonalField.ID_NUMBER, VALID)
    assert VALID.encode() not in blob
    assert keys.decrypt(1, PersonalField.ID_NUMBER, blob) == VALID


def test_the_same_value_encrypts_differently_each_time():
    keys = DataKeys.derive(KEY)
    assert keys.encrypt(1, PersonalField.PHONE, "13812345678") != keys.encrypt(
        1, PersonalField.PHONE, "13812345678"
    )


def test_a_ciphertext_moved_to_another_county_or_field_does_not_decrypt():
    keys = DataKeys.derive(KEY)
    blob = keys.encrypt(1, PersonalField.PHONE, "13812345678")
    with pytest.raises(InvalidTag):
        keys.decrypt(2, PersonalField.PHONE, blob)
    with pytest.raises(InvalidTag):
        keys.decrypt(1, PersonalField.ID_NUMBER, blob)


def test_search_hashes_match_within_a_county_and_differ_across_counties():
    keys = DataKeys.derive(KEY)
    same = keys.search_hash(1, PersonalField.ID_NUMBER, VALID)
    assert same == keys.search_hash(1, PersonalField.ID_NUMBER, VALID)
    assert same != keys.search_hash(2, PersonalField.ID_NUMBER, VALID)
    assert VALID not in same


def test_the_search_hash_is_hmac_sha256_of_county_field_and_value():
    # What every stored hash was made with: a faster way of computing it must not change it,
    # or registered people would no longer be found (or deduplicated) by their numbers.
    keys = DataKeys.derive(KEY)
    message = b"7:id_number\x00" + VALID.encode()
    expected = hmac.new(keys.search_key, message, hashlib.sha256).hexdigest()
    assert keys.search_hash(7, PersonalField.ID_NUMBER, VALID) == expected
    assert (
        keys.search_hash(8, PersonalField.PHONE, "13812345678")
        == hmac.new(keys.search_key, b"8:phone\x0013812345678", hashlib.sha256).hexdigest()
    )


def test_search_hash_key_differs_from_the_encryption_key():
    keys = DataKeys.derive(KEY)
    other = DataKeys.derive("b" * 43 + "=")
    assert keys.search_key != other.search_key
    assert keys.search_hash(1, PersonalField.PHONE, "13812345678") != other.search_hash(
        1, PersonalField.PHONE, "13812345678"
    )


def test_a_short_data_key_is_refused_without_showing_it():
    with pytest.raises(RuntimeError) as refused:
        DataKeys.derive("c2hvcnQ=")
    assert "c2hvcnQ" not in str(refused.value)


def test_only_some_roles_may_unmask():
    assert disclosure.may_unmask("county_admin", PersonalField.ID_NUMBER)
    assert disclosure.may_unmask("grid_worker", PersonalField.PHONE)
    assert not disclosure.may_unmask("grid_worker", PersonalField.ID_NUMBER)
    assert not disclosure.may_unmask("volunteer", PersonalField.PHONE)
    assert not disclosure.may_unmask("audit_admin", PersonalField.ID_NUMBER)
    assert not disclosure.may_unmask("a_role_added_later", PersonalField.PHONE)


def test_the_fast_check_agrees_with_python_stdnum_on_random_numbers():
    rng = random.Random(11643)
    areas = ["110101", "110105", "420102", "990101", "310104", "120101"]
    for _ in range(3000):
        body = (
            rng.choice(areas)
            + f"{rng.randrange(1890, 2030):04d}{rng.randrange(0, 14):02d}{rng.randrange(0, 33):02d}"
            + f"{rng.randrange(1000):03d}"
        )
        number = body + rng.choice([ric.calc_check_digit(body + "0"), "0", "X"])
        try:
            personal_data.clean_id_number(number)
            ours = True
        except DomainError:
            ours = False
        assert ours == ric.is_valid(number), number


def test_sealing_many_values_gives_what_sealing_each_one_gives():
    # What an import stores: the same search hashes as search_hash (people are found and
    # deduplicated by them), and ciphertexts that decrypt, each with its own nonce.
    keys = DataKeys.derive(KEY)
    values = [VALID, make_id_number("110102", dt.date(1990, 5, 6), 7), VALID]
    sealed = keys.seal_many(7, PersonalField.ID_NUMBER, values)
    assert [h for h, _cipher in sealed] == [
        keys.search_hash(7, PersonalField.ID_NUMBER, v) for v in values
    ]
    assert [keys.decrypt(7, PersonalField.ID_NUMBER, c) for _hash, c in sealed] == values
    assert len({c[: personal_data.NONCE_BYTES] for _hash, c in sealed}) == len(values)
    with pytest.raises(InvalidTag):
        keys.decrypt(7, PersonalField.PHONE, sealed[0][1])
    assert keys.seal_many(7, PersonalField.PHONE, []) == []
