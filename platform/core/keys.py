"""Keys derived from GRIDGOV_DATA_KEY (HKDF-SHA256), one per purpose: the data key lives in the
configuration and never in the database; each use gets its own key by its ``info`` label, so
no two purposes ever share one."""

from __future__ import annotations

import base64
import functools

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@functools.lru_cache(maxsize=16)
def derived_key(data_key: str, info: bytes) -> bytes:
    """The 32-byte key for the purpose ``info`` (e.g. b"gridgov personal data: encryption v1")."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        decode_data_key(data_key)
    )


def decode_data_key(data_key: str) -> bytes:
    """The data key's bytes; RuntimeError unless it is at least 32 bytes of urlsafe base64."""
    try:
        key = base64.urlsafe_b64decode(data_key.encode() + b"=" * (-len(data_key) % 4))
    except ValueError:
        key = b""
    if len(key) < 32:
        # Said without the value: the key must never reach a log.
        raise RuntimeError("GRIDGOV_DATA_KEY must be at least 32 bytes, urlsafe base64")
    return key
