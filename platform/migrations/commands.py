"""``gridgov db …``: apply and inspect the schema migrations of the configured database."""

from __future__ import annotations

import click
from alembic import command
from flask import current_app
from flask.cli import AppGroup

from gridgov import migrations

# AppGroup runs each command inside the app's context, so the app's configuration is at hand.
db = AppGroup("db", help="Schema migrations (Alembic), run as MIGRATION_DATABASE_URL's role.")


def _owner_url() -> str:
    return current_app.config["MIGRATION_DATABASE_URL"]


@db.command("upgrade")
@click.argument("revision", default="heads")
def upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the latest of the core and of every
    installed module) and grant the app's role."""
    migrations.upgrade(_owner_url(), current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at revision {migrations.current_revision(_owner_url())}")


@db.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' empties it: every row is lost)."""
    migrations.downgrade(_owner_url(), revision)
    click.echo(f"database at revision {migrations.current_revision(_owner_url()) or 'base'}")


@db.command("current")
def current() -> None:
    """Print the revision the database is at ('base' if it was never migrated)."""
    click.echo(migrations.current_revision(_owner_url()) or "base")


@db.command("revision")
@click.option("-m", "--message", required=True, help="what the migration does")
@click.option(
    "--autogenerate/--empty",
    default=True,
    help="compare the models with the database (which must be at head) to draft the migration",
)
def revision(message: str, autogenerate: bool) -> None:
    """Draft a new migration in gridgov/migrations/versions; review it before committing."""
    command.revision(
        migrations.alembic_config(_owner_url()),
        message=message,
        autogenerate=autogenerate,
        head=f"{migrations.CORE_BRANCH}@head",
        version_path=migrations.CORE_VERSIONS,
    )
