"""Password hashing (argon2id, via argon2-cffi) and the complexity rule MLPS level 3 asks for."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gridgov.core.errors import DomainError
from gridgov.core.i18n import _

_hasher = PasswordHasher()

MIN_LENGTH = 10

# A fixed hash to verify against when the username is unknown, so that a login attempt takes as
# long whether or not the account exists.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always spends the time of one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_strength(password: str, *, username: str = "") -> None:
    """Raise DomainError(field="password") unless the password is long and mixed enough."""
    if len(password) < MIN_LENGTH:
        raise DomainError(_("密码至少 %(n)d 位", n=MIN_LENGTH), field="password")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        raise DomainError(
            _("密码须包含大写字母、小写字母、数字、符号中的至少三类"), field="password"
        )
    if username and username.lower() in password.lower():
        raise DomainError(_("密码不能包含用户名"), field="password")


# No 0/O, 1/l/I: initial passwords are read off a sheet and typed on a phone.
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "-_.!@#%"


def one_time_password(username: str, length: int = 14) -> str:
    """A random password meeting the complexity rule (all four character classes) for
    ``username``, to be changed at first login."""
    rng = secrets.SystemRandom()
    alphabet = _LOWER + _UPPER + _DIGITS + _SYMBOLS
    while True:
        chars = [rng.choice(s) for s in (_LOWER, _UPPER, _DIGITS, _SYMBOLS)]
        chars += [rng.choice(alphabet) for _ in range(length - len(chars))]
        rng.shuffle(chars)
        password = "".join(chars)
        try:
            check_strength(password, username=username)
        except DomainError:
            continue  # the random string happened to contain the username
        return password
