"""``gridgov files …``: upkeep of the files the system keeps (cron-able)."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from gridgov.core import runtime
from gridgov.core.db import db_session, tenant_scope
from gridgov.core.files import runs
from gridgov.core.files import service as files
from gridgov.core.forms import service as forms
from gridgov.core.registry import imports as registry_imports
from gridgov.core.registry.models import ExportRun
from gridgov.core.tasks.models import TaskExport
from gridgov.core.tenancy.models import Tenant

files_cli = AppGroup(
    "files",
    help="Stored files: delete exports past their keeping period and uploads never attached.",
)


@files_cli.command("expire")
def expire() -> None:
    """Delete people exports, rejected import rows and card lists older than
    GRIDGOV_KEEP_EXPORTS_DAYS (default 7), in every county. Run it from cron once a day."""
    session = db_session()
    before = files.expiry_cutoff(runtime.current().now())
    # Inactive counties too: their exports hold personal data all the same.
    for tenant in session.scalars(select(Tenant).order_by(Tenant.slug)).all():
        with tenant_scope(session, tenant.id):
            counts = (
                runs.expire_outputs(session, ExportRun, before),
                registry_imports.expire_rejected_files(session, before),
                runs.expire_outputs(session, TaskExport, before),
            )
            session.commit()
        click.echo(
            f"{tenant.slug}: {counts[0]} people exports, {counts[1]} rejected-rows files,"
            f" {counts[2]} card lists deleted"
        )
    db_session.remove()


@files_cli.command("prune")
def prune() -> None:
    """Delete uploads never attached to anything (a photo for a report that was never sent, a
    form's file never submitted, the bytes of an upload whose request failed) once they are
    older than GRIDGOV_KEEP_UNATTACHED_HOURS (default 24), in every county. Run it from cron
    once a day."""
    session = db_session()
    hours = int(current_app.config["GRIDGOV_KEEP_UNATTACHED_HOURS"])
    before = runtime.current().now() - dt.timedelta(hours=hours)
    for tenant in session.scalars(select(Tenant).order_by(Tenant.slug)).all():
        with tenant_scope(session, tenant.id):
            count = files.delete_unattached(session, before, holders=(forms.uploads_in_use,))
            session.commit()
        click.echo(f"{tenant.slug}: {count} unattached uploads deleted")
    db_session.remove()
