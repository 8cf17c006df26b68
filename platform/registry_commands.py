"""``gridgov registry …``: import and export registry spreadsheets from the command line.

The import runs in this process with a progress bar (a county's IT staff loading a first
census); it follows the same rules as an import from the portal. It acts as the system unless
``--user`` names the account it is done for (then that user's scope applies).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.db import db_session, tenant_scope
from gridgov.core.errors import DomainError
from gridgov.core.files import service as files
from gridgov.core.hierarchy.models import Node
from gridgov.core.registry import exports, imports
from gridgov.core.registry import service as registry
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.models import Tenant

registry_cli = AppGroup("registry", help="People and places (人口与房屋): import and export .xlsx.")


def _tenant(session: Session, slug: str) -> Tenant:
    tenant = tenancy.get_by_slug(session, slug)
    if tenant is None:
        raise click.ClickException(f"没有标识为 {slug} 的租户 (no active tenant '{slug}')")
    return tenant


def _user(session: Session, username: str | None) -> User | None:
    if username is None:
        return None
    user = accounts.get_user_by_username(session, username)
    if user is None or not user.is_active:
        raise click.ClickException(f"no active user '{username}'")
    return user


@registry_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "slug", required=True, help="The county (tenant) slug.")
@click.option("--kind", type=click.Choice(sorted(imports.KINDS)), default="people")
@click.option("--dry-run", is_flag=True, help="Check every row, store nothing.")
@click.option("--strict", is_flag=True, help="Store nothing if any row is bad.")
@click.option("--user", "username", help="Import as this user (their scope applies).")
@click.option(
    "--map",
    "columns",
    multiple=True,
    metavar="HEADER=COLUMN",
    help="A header of the file and the column it holds, e.g. --map 身份证=公民身份号码 (repeat).",
)
@click.option(
    "--rejected",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the rejected rows to this .xlsx (default: FILE-rejected.xlsx).",
)
def import_command(
    file: Path,
    slug: str,
    kind: str,
    dry_run: bool,
    strict: bool,
    username: str | None,
    columns: tuple[str, ...],
    rejected: Path | None,
) -> None:
    """Import people, households, dwellings or sites from an .xlsx, with progress."""
    mapping = {}
    for pair in columns:
        header, sep, column = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"'{pair}' is not HEADER=COLUMN", param_hint="--map")
        mapping[header] = column
    session = db_session()
    tenant = _tenant(session, slug)
    with tenant_scope(session, tenant.id):
        user = _user(session, username)
        scope = scope_of(session, user) if user else Scope(everything=True)
        with click.progressbar(length=1, label=f"{file.name}", file=sys.stderr) as bar:

            def advance(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            try:
                report = imports.import_file(
                    session,
                    tenant,
                    user,
                    scope,
                    kind,
                    str(file),
                    dry_run=dry_run,
                    strict=strict,
                    mapping=mapping,
                    progress=advance,
                )
            except DomainError as error:
                raise click.ClickException(str(error.message)) from error
        session.commit()
    for error in report.errors[:50]:
        click.echo(f"第 {error.row} 行 {error.column}: {error.reason}", err=True)
    if len(report.errors) > 50:
        click.echo(f"… {len(report.errors) - 50} more", err=True)
    if report.rejected:
        target = rejected or file.with_name(f"{file.stem}-rejected.xlsx")
        files.write_private(target, imports.rejected_workbook(report))
        click.echo(f"rejected rows: {target}", err=True)
    state = "stored" if report.stored else "nothing stored"
    click.echo(
        f"{report.total} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.rejected_rows} rejected ({state})"
    )
    if report.errors and (strict or dry_run):
        raise SystemExit(1)


@registry_cli.command("export")
@click.option("--tenant", "slug", required=True, help="The county (tenant) slug.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--grid", "grid_code", help="Only the people of this grid (its code).")
@click.option("--tag", help="Only the people with this tag.")
@click.option("--user", "username", required=True, help="Export as this user (scope, masking).")
@click.option("--reason", help="With a reason, roles allowed to unmask get clear values (audited).")
def export_command(
    slug: str, out: Path, grid_code: str | None, tag: str | None, username: str, reason: str | None
) -> None:
    """Export people to .xlsx, masked as the user's role requires."""
    session = db_session()
    tenant = _tenant(session, slug)
    with tenant_scope(session, tenant.id):
        user = _user(session, username)
        assert user is not None
        grid_id = None
        if grid_code:
            grid_id = session.scalar(select(Node.id).where(Node.code == grid_code))
            if grid_id is None:
                raise click.ClickException(f"no grid '{grid_code}'")
        query = registry.people_query(scope_of(session, user), grid_id=grid_id, tag=tag)
        try:
            data = exports.export_people(session, user, query, reason=reason)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from error
        session.commit()
    files.write_private(out, data)
    click.echo(f"wrote {out}")
