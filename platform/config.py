"""Configuration from the environment. Defaults give the embedded setup: SQLite in the
instance folder, jobs run inline, files on disk — nothing to install."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any

from gridgov.core.audit.chain import MIN_RETENTION_DAYS
from gridgov.core.files.service import write_private


def _instance_secret(instance: Path, name: str, nbytes: int) -> str:
    """A random secret kept in the instance folder, made on first use (embedded default only).

    Production sets SECRET_KEY / GRIDGOV_DATA_KEY in the environment instead; this keeps a
    fresh clone working without anyone having to invent keys, and keeps them out of git.
    """
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        write_private(path, base64.urlsafe_b64encode(secrets.token_bytes(nbytes)))
    return path.read_text().strip()


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the app config from the environment, then apply ``overrides`` (tests)."""
    instance = Path(instance_path)
    env = os.environ
    overrides = overrides or {}

    def get(name: str, default: Any = None) -> Any:
        return overrides.get(name, env.get(name, default))

    database_url = get("DATABASE_URL") or f"sqlite:///{instance / 'gridgov.db'}"
    config: dict[str, Any] = {
        "DATABASE_URL": database_url,
        # Migrations run as the schema owner; the app connects as a role that owns nothing, so
        # row-level security applies to it (shared/DESIGN.md, "RLS done right").
        "MIGRATION_DATABASE_URL": get("MIGRATION_DATABASE_URL") or database_url,
        "REDIS_URL": get("REDIS_URL") or None,
        "SECRET_KEY": get("SECRET_KEY") or _instance_secret(instance, "secret_key", 32),
        # Key for encrypting personal data (ID numbers, phones) at rest: 32 bytes, urlsafe b64.
        "GRIDGOV_DATA_KEY": get("GRIDGOV_DATA_KEY") or _instance_secret(instance, "data_key", 32),
        "GRIDGOV_FILES_DIR": get("GRIDGOV_FILES_DIR") or str(instance / "files"),
        # Files the system writes for one reader (people exports, rejected import rows, card
        # lists) hold personal data: they are deleted this many days after they were made
        # (`gridgov files expire`, from cron once a day).
        "GRIDGOV_KEEP_EXPORTS_DAYS": int(get("GRIDGOV_KEEP_EXPORTS_DAYS", 7)),
        # Days the audit log keeps an event before `gridgov audit purge` (cron) may remove it.
        "GRIDGOV_AUDIT_RETENTION_DAYS": _audit_retention(get("GRIDGOV_AUDIT_RETENTION_DAYS", 365)),
        # An upload nothing refers to (a photo for a report never sent) is deleted once it is
        # this many hours old (`gridgov files prune`, from cron once a day).
        "GRIDGOV_KEEP_UNATTACHED_HOURS": int(get("GRIDGOV_KEEP_UNATTACHED_HOURS", 24)),
        # Request bodies: an upload (multipart) at most GRIDGOV_MAX_REQUEST_MB — the largest
        # upload, a spreadsheet to import, is 200 MB — any other body (JSON, a plain form) at
        # most GRIDGOV_MAX_BODY_MB. Larger ones are answered 413 before they are read. Each
        # kind of file has its own, smaller limit (gridgov.core.files.service.DEFAULT_MAX_BYTES).
        "MAX_CONTENT_LENGTH": int(float(get("GRIDGOV_MAX_REQUEST_MB", 201)) * 1024 * 1024),
        "GRIDGOV_MAX_BODY_BYTES": int(float(get("GRIDGOV_MAX_BODY_MB", 10)) * 1024 * 1024),
        "GRIDGOV_DOMAIN": get("GRIDGOV_DOMAIN") or None,  # <slug>.<domain> hosts, optional
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": get("GRIDGOV_TIMEZONE", "Asia/Shanghai"),
        "GRIDGOV_LOCALES": ["zh_CN", "en"],
        # Sessions: idle timeout (MLPS level 3) and cookies that scripts cannot read.
        "PERMANENT_SESSION_LIFETIME": int(get("GRIDGOV_IDLE_TIMEOUT", 30 * 60)),
        # ... and an absolute lifetime: a session ends this long after its login, however busy
        # (sessions are kept on the server: gridgov.sessions).
        "GRIDGOV_SESSION_MAX_HOURS": float(get("GRIDGOV_SESSION_MAX_HOURS", 12)),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Cookies are Secure on every HTTPS request anyway (gridgov.web.SecureCookies); this
        # makes them Secure on plain HTTP too, for a proxy that does not say it was HTTPS.
        "SESSION_COOKIE_SECURE": get("GRIDGOV_SECURE_COOKIES", "0") == "1",
        # How many proxies in front add X-Forwarded-For / X-Forwarded-Proto (0: none trusted,
        # the connecting address is the client's). With N, werkzeug's ProxyFix takes the
        # scheme (HTTPS: Secure cookies, HSTS) and the client's address from the last N
        # entries: the address the rate limits count by and the audit log records
        # (gridgov.web.serve_securely; README, "Behind a proxy, over HTTPS").
        "GRIDGOV_TRUSTED_PROXIES": _proxy_hops(get("GRIDGOV_TRUSTED_PROXIES", 0)),
        # Login protection: an account locks for GRIDGOV_LOCKOUT_MINUTES after
        # GRIDGOV_MAX_FAILED_LOGINS failures in a row; one client address may fail
        # GRIDGOV_LOGIN_RATE_LIMIT times (successful logins do not count: an office behind one
        # NAT address logs in together).
        "GRIDGOV_MAX_FAILED_LOGINS": int(get("GRIDGOV_MAX_FAILED_LOGINS", 5)),
        "GRIDGOV_LOCKOUT_MINUTES": int(get("GRIDGOV_LOCKOUT_MINUTES", 15)),
        "GRIDGOV_LOGIN_RATE_LIMIT": get("GRIDGOV_LOGIN_RATE_LIMIT", "20 per minute"),
        # The three administrators must log in with a second factor (TOTP). "optional" only
        # for the demo and tests: a real county keeps "required".
        "GRIDGOV_ADMIN_SECOND_FACTOR": get("GRIDGOV_ADMIN_SECOND_FACTOR", "required"),
        # Requests one API token may make (flask-limiter's notation; counted per token, in
        # Redis when REDIS_URL is set); past it the API answers 429 with Retry-After.
        "GRIDGOV_API_RATE_LIMIT": get("GRIDGOV_API_RATE_LIMIT", "600 per minute"),
        # Exact searches by a whole ID number or phone, per user (counted in the audit log, so
        # across every worker): each one could confirm a guess at a masked value.
        "GRIDGOV_EXACT_SEARCH_LIMITS": get(
            "GRIDGOV_EXACT_SEARCH_LIMITS", "30 per hour; 100 per day"
        ),
        "RATELIMIT_STORAGE_URI": get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # OpenAPI (flask-smorest): spec at /api/openapi.json, UI from vendored files
        "API_TITLE": "gridgov",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
        "API_PAGE_SIZE_MAX": 500,
        "WTF_CSRF_TIME_LIMIT": None,  # the session's idle timeout already bounds it
        "JSON_AS_ASCII": False,
    }
    config.update(overrides)
    return config


def _proxy_hops(value: Any) -> int:
    hops = int(value)
    if hops < 0:
        raise ValueError(f"GRIDGOV_TRUSTED_PROXIES={hops}: a number of proxies, 0 or more")
    return hops


def _audit_retention(value: Any) -> int:
    days = int(value)
    if days < MIN_RETENTION_DAYS:
        raise ValueError(
            f"GRIDGOV_AUDIT_RETENTION_DAYS={days}: audit events must be kept at least"
            f" {MIN_RETENTION_DAYS} days (six months, MLPS level 3)"
        )
    return days
