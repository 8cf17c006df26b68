"""``gridgov tasks …``: the task engine's periodic work from the command line (cron-able)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from gridgov.core.db import db_session
from gridgov.core.tasks import jobs
from gridgov.core.tenancy.models import Tenant


@click.group("tasks")
def tasks() -> None:
    """Task engine: card sweep, counters."""


def _tenants(slug: str | None) -> list[Tenant]:
    query = select(Tenant).where(Tenant.is_active.is_(True)).order_by(Tenant.slug)
    if slug:
        query = query.where(Tenant.slug == slug)
    found = list(db_session().scalars(query))
    db_session.remove()
    if slug and not found:
        raise click.ClickException(f"没有标识为 {slug} 的租户 (no active tenant '{slug}')")
    return found


@tasks.command("sweep")
@click.option("--tenant", "slug", help="Only this county (default: every active one).")
@with_appcontext
def sweep(slug: str | None) -> None:
    """Give overdue tasks yellow and red cards and notify (run it from cron every few minutes)."""
    for tenant in _tenants(slug):
        result = jobs.sweep_cards(tenant.id)
        click.echo(f"{tenant.slug}: {result.yellow} yellow, {result.red} red")


@tasks.command("recount")
@click.option("--tenant", "slug", help="Only this county (default: every active one).")
@with_appcontext
def recount(slug: str | None) -> None:
    """Rebuild the dashboard counters from the tasks (after grids moved to other parents)."""
    for tenant in _tenants(slug):
        click.echo(f"{tenant.slug}: {jobs.rebuild_counters(tenant.id)} counter rows")
