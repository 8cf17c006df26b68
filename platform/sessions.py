"""Portal sessions kept on the server (Flask-Session): the browser holds only a random id, so
logging out ends the session for good: a copied cookie is worth nothing afterwards. (A
deactivated account's session ends at its next request: the user loader refuses it.)

Where: Redis when REDIS_URL is set (production; several gunicorn workers share it, entries
expire by themselves), else files in the instance folder (the embedded default), readable by
the server's user only. Each session lasts ``PERMANENT_SESSION_LIFETIME`` without a request
(the idle timeout) and at most ``GRIDGOV_SESSION_MAX_HOURS`` from its login (the absolute
lifetime, checked by ``too_old``).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import msgspec
import redis
from babel.support import LazyProxy
from cachelib.file import FileSystemCache
from flask import Flask, session
from flask_session import Session
from flask_session.base import ServerSideSession
from flask_session.cachelib import CacheLibSessionInterface

OPENED_KEY = "opened_at"  # when the logged-in session began (seconds since the epoch)

# Files kept before the oldest are pruned: far more than a county's staff logged in at once
# (expired sessions go first).
FILE_THRESHOLD = 100_000


def init_app(app: Flask) -> None:
    config = app.config
    config.setdefault("SESSION_KEY_PREFIX", "gridgov:session:")
    config.setdefault("SESSION_PERMANENT", True)
    if config.get("REDIS_URL"):
        config.setdefault("SESSION_TYPE", "redis")
        config.setdefault("SESSION_REDIS", redis.Redis.from_url(config["REDIS_URL"]))
        Session(app)
    else:
        folder = Path(app.instance_path) / "sessions"
        app.session_interface = FileSessions(
            client=FileSystemCache(str(folder), threshold=FILE_THRESHOLD, mode=0o600),
            key_prefix=config["SESSION_KEY_PREFIX"],
        )
    # Flash messages are lazy translations (gridgov.core.i18n.LazyText): stored as the text
    # they read in the language of the request that flashed them.
    app.session_interface.serializer.encoder = msgspec.msgpack.Encoder(  # type: ignore[attr-defined]
        enc_hook=_as_text
    )


class FileSessions(CacheLibSessionInterface):
    """Sessions in files, encoded like Redis's (msgpack): cachelib would pickle the session's
    objects themselves, and reading a pickle back runs whatever it names."""

    def _retrieve_session_data(self, store_id: str) -> dict[str, Any] | None:
        stored = self.cache.get(store_id)
        return self.serializer.decode(stored) if isinstance(stored, bytes) else None

    def _upsert_session(
        self, session_lifetime: dt.timedelta, session: ServerSideSession, store_id: str
    ) -> None:
        self.cache.set(
            key=store_id,
            value=self.serializer.encode(session),
            timeout=int(session_lifetime.total_seconds()),
        )


def _as_text(value: Any) -> Any:
    if isinstance(value, LazyProxy):
        return str(value)
    raise NotImplementedError(f"a {type(value).__name__} cannot be kept in a session")


def renew(app: Flask) -> None:
    """A new session id for the session in place (at login): an id planted or seen before
    the login never carries the logged-in session; the old entry is deleted."""
    app.session_interface.regenerate(session)  # type: ignore[attr-defined]
    session[OPENED_KEY] = time.time()


def too_old(app: Flask) -> bool:
    """Whether the logged-in session began longer ago than the absolute lifetime allows."""
    opened: Any = session.get(OPENED_KEY)
    limit = float(app.config["GRIDGOV_SESSION_MAX_HOURS"]) * 3600
    return opened is None or time.time() - float(opened) > limit
