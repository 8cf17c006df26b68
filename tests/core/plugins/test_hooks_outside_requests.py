"""A module's reaction to a task transition happens the same in a request, a job and a CLI
command: the example module (tests/plugins/example_plugin) marks a reported discharge urgent
(priority 1) wherever the report is made."""

from __future__ import annotations

import click
from flask import Flask, has_request_context
from flask.cli import with_appcontext
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import db_session, set_tenant
from gridgov.core.hierarchy.models import Node
from gridgov.core.jobs import enqueue, job
from gridgov.core.tasks import reporting
from gridgov.core.tasks.models import Task
from tests.core.plugins.test_task_types import POLLUTION, admit
from tests.factories import build_county

DISCHARGE = "污水直排"  # the example module's category it marks urgent


def report_discharge(session: Session, grid_id: int, worker_id: int) -> Task:
    worker = session.get(User, worker_id)
    grid = session.get(Node, grid_id)
    assert worker is not None and grid is not None
    report = reporting.Report(task_type=POLLUTION, category=DISCHARGE, title="排污")
    task, _new = reporting.report_task(session, worker, scope_of(session, worker), grid, report)
    return task


@job
def report_discharge_job(session: Session, grid_id: int, worker_id: int) -> int:
    assert not has_request_context()
    return report_discharge(session, grid_id, worker_id).id


@click.command("report-discharge")
@click.argument("tenant_id", type=int)
@click.argument("grid_id", type=int)
@click.argument("worker_id", type=int)
@with_appcontext
def report_discharge_command(tenant_id: int, grid_id: int, worker_id: int) -> None:
    session = db_session()
    set_tenant(session, tenant_id)
    task = report_discharge(session, grid_id, worker_id)
    session.commit()
    click.echo(task.id)


def test_a_modules_transition_reaction_happens_in_a_job(app: Flask, session: Session):
    county = build_county(session)
    admit(session, county)
    session.commit()  # the job's own session sees committed rows only

    ran = enqueue(report_discharge_job, county.tenant.id, county.grids[0].id, county.workers[0].id)

    assert ran.get_status() == "finished", getattr(ran, "exc_info", None)
    session.expire_all()
    assert session.get(Task, ran.return_value()).priority == 1


def test_a_modules_transition_reaction_happens_in_a_cli_command(app: Flask, connection: Connection):
    with app.app_context():
        session = db_session()
        county = build_county(session)
        admit(session, county)
        ids = [county.tenant.id, county.grids[0].id, county.workers[0].id]
        session.commit()

    # No app context in place: the command pushes its own, as `gridgov …` does.
    result = app.test_cli_runner().invoke(report_discharge_command, [str(i) for i in ids])

    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db_session()
        set_tenant(session, ids[0])
        assert session.get(Task, int(result.output)).priority == 1
