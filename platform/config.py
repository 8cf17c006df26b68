"""Configuration from the environment. Defaults give the embedded setup: SQLite in the
instance folder, jobs run inline, files on disk — nothing to install."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any


def _instance_secret(instance: Path, name: str, nbytes: int) -> str:
    """A random secret kept in the instance folder, made on first use (embedded default only).

    Production sets SECRET_KEY / GRIDGOV_DATA_KEY in the environment instead; this keeps a
    fresh clone working without anyone having to invent keys, and keeps them out of git.
    """
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode())
        path.chmod(0o600)
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
        "GRIDGOV_DOMAIN": get("GRIDGOV_DOMAIN") or None,  # <slug>.<domain> hosts, optional
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": get("GRIDGOV_TIMEZONE", "Asia/Shanghai"),
        "GRIDGOV_LOCALES": ["zh_CN", "en"],
        # Sessions: idle timeout (MLPS level 3) and cookies that scripts cannot read.
        "PERMANENT_SESSION_LIFETIME": int(get("GRIDGOV_IDLE_TIMEOUT", 30 * 60)),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": get("GRIDGOV_SECURE_COOKIES", "0") == "1",
        # Login protection
        "GRIDGOV_MAX_FAILED_LOGINS": int(get("GRIDGOV_MAX_FAILED_LOGINS", 5)),
        "GRIDGOV_LOCKOUT_MINUTES": int(get("GRIDGOV_LOCKOUT_MINUTES", 15)),
        "GRIDGOV_LOGIN_RATE_LIMIT": get("GRIDGOV_LOGIN_RATE_LIMIT", "10 per minute"),
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
