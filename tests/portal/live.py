"""What the browser tests share: the app served from a background thread on a SQLite file of
its own (the savepoint-per-test connection of the other tests cannot be seen from another
thread), and Chromium on a phone-sized screen (the ``phone`` fixture in conftest.py)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from gridgov.app import create_app
from gridgov.core.db import db_session, set_tenant
from gridgov.migrations import upgrade
from tests.factories import County

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}


@dataclass
class LiveServer:
    url: str
    county: County
    app: Flask


@contextlib.contextmanager
def serve(folder: Path, build: Callable[[Session], County]) -> Iterator[LiveServer]:
    """Migrate a database in ``folder``, let ``build`` fill it (committed afterwards) and serve
    the app on a free port of 127.0.0.1 until the block ends."""
    url = f"sqlite:///{folder / 'gridgov.db'}"
    upgrade(url, url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "browser-test-key",
            "RATELIMIT_ENABLED": False,
            "GRIDGOV_ADMIN_SECOND_FACTOR": "optional",  # as in the shared test app
        }
    )
    with app.app_context():
        session = db_session()
        set_tenant(session, None)
        county = build(session)
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", county=county, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["gridgov.engine"].dispose()
