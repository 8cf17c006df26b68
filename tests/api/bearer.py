"""Building API calls in tests: the Authorization header and a county's API URLs."""

from __future__ import annotations

from tests.factories import County


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def url(county: County, path: str) -> str:
    return f"/t/{county.tenant.slug}/api/v1{path}"
