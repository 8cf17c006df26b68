"""``gridgov plugins``: what an operator checks after deploying, before any county is told a
module is there — which department modules are installed, and which failed to load and why."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from gridgov.core import runtime

plugins = AppGroup("plugins", help="Department modules (plugins) installed in this deployment.")


@plugins.command("list")
def list_plugins() -> None:
    """Installed modules with what they declare, then plugins that failed to load (exit 1)."""
    host = runtime.current().plugins
    for info in host.modules():
        module = host.installed[info.name]
        click.echo(f"{info.name} {info.version}  {info.icon} {info.title} · {info.department}")
        for kind, codes in (
            ("forms", [f.code for f in module.forms]),
            ("task types", [t.name for t in module.task_types]),
            ("tags", [t.code for t in module.tags]),
            ("scoring rules", [r.code for r in module.scoring_rules]),
            ("periodic jobs", [j.code for j in module.periodic_jobs]),
        ):
            if codes:
                click.echo(f"  {kind}: {', '.join(codes)}")
        if module.migrations:
            click.echo(f"  migrations: {module.migrations}")
    if not host.installed:
        click.echo("no department module installed")
    for name, reason in sorted(host.failures.items()):
        click.secho(f"FAILED {name}: {reason}", fg="red", err=True)
    if host.failures:
        raise click.exceptions.Exit(1)


@plugins.command("run-jobs")
def run_jobs() -> None:
    """Start the modules' periodic jobs that are due, in each county that admitted them (run it
    from cron every minute; a job is started at most once per its interval)."""
    from gridgov.core.admission.periodic import enqueue_due_jobs
    from gridgov.core.db import db_session

    running = runtime.current()
    for started in enqueue_due_jobs(db_session(), running.plugins, running.now()):
        click.echo(f"started {started}")
