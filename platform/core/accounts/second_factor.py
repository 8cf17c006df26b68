"""The second factor of a login (两步验证): a TOTP code (RFC 6238, via pyotp) from an
authenticator app, or one of ten recovery codes.

Required for the three administrators (三员, ``ADMINISTRATOR_ROLES``), optional for everyone
else. Enrolment stores a new secret unconfirmed; it counts only once the user has typed a code
from it (``confirm``), which also hands out the recovery codes, shown once. The secret is kept
encrypted (AES-GCM, a key derived from GRIDGOV_DATA_KEY, bound to the account), recovery codes
as keyed hashes; a code once accepted is never accepted again (``totp_last_step``). The security
administrator resets a staff account's second factor, the server's command line an
administrator's; both are audited.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import secrets

import pyotp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from gridgov.core import runtime
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import ADMINISTRATOR_ROLES, User
from gridgov.core.accounts.service import AccountLocked
from gridgov.core.audit import service as audit
from gridgov.core.audit.service import Actor
from gridgov.core.db import utcnow
from gridgov.core.errors import DomainError
from gridgov.core.i18n import _
from gridgov.core.keys import derived_key

ISSUER = "gridgov"
STEP_SECONDS = 30
RECOVERY_CODES = 10
# No 0/O, 1/l/I: recovery codes are read off paper.
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_NONCE = 12


def is_required(user: User) -> bool:
    """Whether ``user``'s role must log in with a second factor."""
    return user.role in ADMINISTRATOR_ROLES


def is_enrolled(user: User) -> bool:
    return user.totp_confirmed_at is not None


def needs_enrolment(user: User) -> bool:
    """Whether ``user`` must set up a second factor before doing anything else."""
    return is_required(user) and not is_enrolled(user)


def start_enrolment(session: Session, user: User) -> str:
    """A new secret for ``user`` (replacing an unconfirmed one), returned to be shown as a QR
    code; refused while one is confirmed (it is reset first, by the security administrator)."""
    if is_enrolled(user):
        raise DomainError(_("两步验证已启用；要换手机，请安全管理员先重置"))
    secret = pyotp.random_base32()
    user.totp_secret_cipher = _encrypt(user, secret)
    return secret


def pending_secret(user: User) -> str | None:
    """The unconfirmed secret of an enrolment in progress, or None."""
    if is_enrolled(user) or user.totp_secret_cipher is None:
        return None
    return _decrypt(user, user.totp_secret_cipher)


def provisioning_uri(user: User, secret: str, county: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=f"{user.username}@{county}", issuer_name=ISSUER)


def confirm(session: Session, user: User, code: str) -> list[str]:
    """Finish the enrolment with a code from the new secret; returns the recovery codes (shown
    once, stored only as hashes)."""
    secret = pending_secret(user)
    if secret is None:
        raise DomainError(_("请先开始设置两步验证"), field="code")
    step = _matching_step(secret, code, after=None)
    if step is None:
        raise DomainError(_("验证码不对：请输入验证器应用中当前显示的 6 位数字"), field="code")
    user.totp_confirmed_at = utcnow()
    user.totp_last_step = step
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODES)
    ]
    user.recovery_code_hashes = [_code_hash(user, c) for c in codes]
    audit.record(session, user, "user.second_factor_enrol", "user", user.id)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def verify(session: Session, user: User, code: str) -> bool:
    """Whether ``code`` is a current TOTP code (not used before) or an unused recovery code of
    ``user``; a recovery code is spent, and its use audited."""
    if not is_enrolled(user) or user.totp_secret_cipher is None:
        return False
    text = "".join(code.split()).lower()
    if text.isdigit():
        secret = _decrypt(user, user.totp_secret_cipher)
        step = _matching_step(secret, text, after=user.totp_last_step)
        if step is None:
            return False
        user.totp_last_step = step
        return True
    wanted = _code_hash(user, text.replace("-", ""))
    hashes_left = list(user.recovery_code_hashes or [])
    for stored in hashes_left:
        if hmac.compare_digest(stored, wanted):
            hashes_left.remove(stored)
            user.recovery_code_hashes = hashes_left
            audit.record(
                session,
                user,
                "user.recovery_code_used",
                "user",
                user.id,
                after={"left": len(hashes_left)},
            )
            return True
    return False


def check_code(
    session: Session, user: User, code: str, *, max_failures: int, lockout: dt.timedelta
) -> None:
    """The login's second step: ``code`` must pass ``verify``. A wrong code counts as a failed
    login (the same lockout as a wrong password); a locked account is AccountLocked."""
    if user.is_locked(utcnow()):
        assert user.locked_until is not None
        raise AccountLocked(user.locked_until)
    if not verify(session, user, code):
        accounts.fail(session, user, max_failures=max_failures, lockout=lockout)
    user.failed_logins = 0


def reset(session: Session, actor: Actor, user: User) -> None:
    """Take ``user``'s second factor away (a lost phone): they enrol again at the next login
    (administrators must), with new recovery codes."""
    if user.totp_secret_cipher is None and user.totp_confirmed_at is None:
        return
    user.totp_secret_cipher = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.recovery_code_hashes = None
    audit.record(session, actor, "user.second_factor_reset", "user", user.id)


# --- internals -------------------------------------------------------------------------------


def _matching_step(secret: str, code: str, *, after: int | None) -> int | None:
    """The time step (of now, or one either side for clock drift) whose code is ``code``, if
    it comes after ``after``: a code seen once is refused the second time (no replay)."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = int(runtime.now().timestamp()) // STEP_SECONDS
    for step in (now - 1, now, now + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _context(user: User) -> bytes:
    return f"{user.tenant_id}:{user.id}:totp".encode()


def _encrypt(user: User, secret: str) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + _cipher(runtime.current().data_key).encrypt(
        nonce, secret.encode(), _context(user)
    )


def _decrypt(user: User, blob: bytes) -> str:
    return (
        _cipher(runtime.current().data_key)
        .decrypt(blob[:_NONCE], blob[_NONCE:], _context(user))
        .decode()
    )


def _code_hash(user: User, code: str) -> str:
    # Recovery codes carry 50 random bits and a wrong one counts as a failed login (lockout):
    # a keyed SHA-256 is enough, no slow KDF (ten of them are checked at each use).
    key = derived_key(runtime.current().data_key, b"gridgov recovery codes v1")
    return hmac.new(key, _context(user) + b"\x00" + code.encode(), hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=4)
def _cipher(data_key: str) -> AESGCM:
    return AESGCM(derived_key(data_key, b"gridgov second factor: encryption v1"))
