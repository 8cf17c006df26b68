"""The portal: server-rendered pages under /t/<slug>/ for county staff."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_babel import format_datetime, get_locale

from gridgov.core.files import service as files
from gridgov.portal.errors import refuse_unreadable_address


def init_app(app: Flask) -> None:
    # The view modules register their routes on the blueprint when imported.
    from gridgov.portal import (  # noqa: F401
        account,
        admission,
        admission_forms,
        assessment,
        assessment_review,
        audit,
        auth,
        departments,
        hierarchy,
        home,
        maps,
        places,
        public,
        registry,
        reports,
        task_rules,
        tasks,
        users,
    )
    from gridgov.portal.shell import bp

    app.register_blueprint(bp)
    app.register_blueprint(public.bp)
    app.before_request(refuse_unreadable_address)

    @app.get("/", endpoint="start")
    def start() -> str:
        """The platform's own address: each county has its own, under /t/<slug>/."""
        return render_template("start.html")

    admission_forms.mount(app, app.extensions["gridgov.plugins"])

    # Until when a file the system wrote for one reader (an export) is kept.
    app.add_template_global(files.kept_until, "kept_until")

    @app.context_processor
    def _punctuation() -> dict[str, str]:
        """``colon`` joins a label to its value: Chinese writes a full-width colon without a
        space, English a colon and a space."""
        return {"colon": ": " if str(get_locale()) == "en" else "："}

    @app.template_filter("unit")
    def _unit(unit: str) -> str:
        """A figure's unit as the reader's language writes it. Chinese counts with a measure
        word (条, 起, 件, 处, 人) that English has no equivalent of: an English page shows the
        number alone after its label. A symbol such as % stays."""
        if str(get_locale()) == "en" and any("\u4e00" <= char <= "\u9fff" for char in unit):
            return ""
        return unit

    @app.template_filter("when")
    def _when(value: Any) -> str:
        """A timestamp in the county's time zone, to the minute."""
        return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""
