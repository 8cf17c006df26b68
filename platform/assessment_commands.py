"""``gridgov assessment …``: the monthly assessment from the command line — score a county's
month with a progress bar, escalate objections not answered in time (cron-able)."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from gridgov.core.assessment import review
from gridgov.core.assessment import run as runs
from gridgov.core.errors import DomainError
from gridgov.core.jobs import job
from gridgov.tasks_commands import _tenants


@click.group("assessment")
def assessment_cli() -> None:
    """Monthly assessment of grid workers (考核)."""


@job
def _record_run(session: Session, month: str) -> int:
    return runs.new_run(session, None, month).id


@job
def _carry_out(session: Session, run_id: int, bar: Any) -> dict[str, Any]:
    def progress(done: int, total: int) -> None:
        bar.length = total
        bar.update(done - bar.pos)

    return runs.carry_out(session, run_id, progress)


@assessment_cli.command("run")
@click.option("--tenant", "slug", required=True, help="The county's slug.")
@click.option("--month", required=True, help="The month to score, YYYY-MM (county time).")
@with_appcontext
def run_command(slug: str, month: str) -> None:
    """Score every grid worker of the county for MONTH and write their sheets (a month the
    county locked is refused)."""
    (tenant,) = _tenants(slug)
    try:
        run_id = _record_run(tenant.id, month)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    with click.progressbar(length=1, label=f"{tenant.slug} {month}") as bar:
        result = _carry_out(tenant.id, run_id, bar)
    if result.get("status") != "done":
        raise click.ClickException(f"run {run_id} failed: see the log")
    click.echo(f"{tenant.slug} {month}: {result['sheets']} sheets (run {run_id})")


@job
def _escalate(session: Session) -> int:
    return review.escalate_overdue(session)


@assessment_cli.command("escalate")
@click.option("--tenant", "slug", help="Only this county (default: every active one).")
@with_appcontext
def escalate_command(slug: str | None) -> None:
    """Escalate objections (复核) not answered by their deadline (run it from cron daily)."""
    for tenant in _tenants(slug):
        click.echo(f"{tenant.slug}: {_escalate(tenant.id)} escalated")
