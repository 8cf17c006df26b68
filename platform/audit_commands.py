"""``gridgov audit …``: verify each county's audit chain, and purge the events past the
retention period (GRIDGOV_AUDIT_RETENTION_DAYS) without breaking it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from gridgov.core.audit import chain
from gridgov.core.audit import service as audit
from gridgov.core.db import SessionFactory, db_session, make_engine, tenant_scope, utcnow
from gridgov.core.errors import DomainError
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.models import Tenant

audit_cli = AppGroup(
    "audit", help="The audit log (审计日志): verify its hash chain, purge old events."
)

PROBLEMS = {
    chain.Problem.MISSING: "events before it were removed (前面的记录被删除)",
    chain.Problem.RELINKED: "the event before it was changed or replaced (前一条记录被改动)",
    chain.Problem.ALTERED: "its content was changed after it was written (本条记录被改动)",
}


def _tenants(session: Session, slug: str | None) -> list[Tenant]:
    if slug is None:
        return list(session.scalars(tenancy.list_tenants(session)))
    tenant = tenancy.get_by_slug(session, slug)
    if tenant is None:
        raise click.ClickException(f"没有标识为 {slug} 的租户 (no tenant '{slug}')")
    return [tenant]


@audit_cli.command("verify")
@click.option("--tenant", "slug", help="Only this county (slug); default: every county.")
def verify(slug: str | None) -> None:
    """Recompute each county's hash chain; name the first event that breaks it (exit 1).

    Note the head it prints somewhere outside the database: a chain rewritten whole from a
    changed event onwards verifies again, but no longer reaches that head."""
    session = db_session()
    broken = 0
    for tenant in _tenants(session, slug):
        with tenant_scope(session, tenant.id):
            result = chain.verify_chain(session, tenant.id)
        if result.broken is None:
            click.echo(
                f"{tenant.slug}: {result.events} events verified, from place"
                f" {result.anchor_seq + 1}; head {result.head_seq} {result.head_hash}"
            )
            continue
        broken += 1
        failure = result.broken
        click.secho(
            f"{tenant.slug}: BROKEN at event {failure.event_id} (place {failure.seq},"
            f" expected {failure.expected_seq}): {PROBLEMS[failure.problem]};"
            f" the chain holds up to place {result.head_seq}",
            fg="red",
            err=True,
        )
    session.rollback()
    if broken:
        raise SystemExit(1)


@audit_cli.command("purge")
@click.option("--tenant", "slug", help="Only this county (slug); default: every county.")
@click.option("--dry-run", is_flag=True, help="Only print what would be removed.")
def purge(slug: str | None, dry_run: bool) -> None:
    """Remove the events older than GRIDGOV_AUDIT_RETENTION_DAYS (at least 183) from each
    county's log, keeping its chain verifiable; a county whose chain is broken is left as it
    is (exit 1). Runs as MIGRATION_DATABASE_URL's role: the application's may not delete."""
    days = int(current_app.config["GRIDGOV_AUDIT_RETENTION_DAYS"])
    try:
        chain.retention_cutoff(utcnow(), days)
    except DomainError as error:
        raise click.ClickException(f"GRIDGOV_AUDIT_RETENTION_DAYS: {error.message}") from error
    failed = 0
    with _owner_session() as session:
        for tenant in _tenants(session, slug):
            with tenant_scope(session, tenant.id):
                try:
                    done = audit.purge(session, tenant.id, retention_days=days, dry_run=dry_run)
                except DomainError as error:
                    session.rollback()
                    failed += 1
                    click.secho(f"{tenant.slug}: {error.message}", fg="red", err=True)
                    continue
            if dry_run:
                session.rollback()
            else:
                session.commit()
            verb = "would remove" if dry_run else "removed"
            click.echo(
                f"{tenant.slug}: {verb} {done.events} events older than"
                f" {done.cutoff:%Y-%m-%d %H:%M} UTC; the chain starts after place"
                f" {done.anchor_seq} ({done.anchor_hash})"
            )
    if failed:
        raise SystemExit(1)


@contextlib.contextmanager
def _owner_session() -> Iterator[Session]:
    owner_url = current_app.config["MIGRATION_DATABASE_URL"]
    if owner_url == current_app.config["DATABASE_URL"]:
        yield db_session()
        return
    engine = make_engine(owner_url)
    session = SessionFactory(bind=engine)
    try:
        yield session
    finally:
        session.close()
        engine.dispose()
