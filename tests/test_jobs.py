"""Background jobs: inline on the embedded default, on RQ with Redis; either way a job runs in
the tenant it was given, with a session of its own, and reports its progress."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from rq import SimpleWorker
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov import jobs as rq_jobs
from gridgov.core import jobs, runtime
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import set_tenant
from gridgov.core.hierarchy import service as hierarchy
from tests.factories import County, build_county


@jobs.job
def rename_nodes(session: Session, node_ids: list[int], suffix: str) -> int:
    """Append ``suffix`` to the names of the nodes, reporting progress after each."""
    for done, node_id in enumerate(node_ids, start=1):
        node = hierarchy.get_node(session, node_id)
        hierarchy.update_node(session, None, node, name=f"{node.name}{suffix}")
        jobs.report_progress(done, len(node_ids))
    return len(node_ids)


@jobs.job
def count_to(session: Session, total: int) -> int:
    """Touches no county's data: reports progress up to ``total``."""
    for done in range(1, total + 1):
        jobs.report_progress(done, total)
    return total


@pytest.fixture
def counties(session: Session) -> tuple[County, County]:
    beta = build_county(session, "beta", townships=1, communities=1, grids=2)
    alpha = build_county(session, "alpha", townships=1, communities=1, grids=2)
    return alpha, beta


def names(session: Session, county: County) -> list[str]:
    # Back in the caller's tenant: the job ran in its own session (and, on PostgreSQL, set its
    # own tenant on the shared test connection).
    set_tenant(session, county.tenant.id)
    session.expire_all()
    return [hierarchy.get_node(session, grid.id).name for grid in county.grids]


def audited_tenants(session: Session, county: County) -> set[int]:
    set_tenant(session, county.tenant.id)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "node.update"))
    return {event.tenant_id for event in events}


def test_without_redis_a_job_runs_inline_in_its_tenant(
    app: Flask, session: Session, counties: tuple[County, County]
):
    alpha, beta = counties
    assert app.config["REDIS_URL"] is None
    grid_ids = [grid.id for grid in alpha.grids]

    job = jobs.enqueue(rename_nodes, alpha.tenant.id, grid_ids, "（已核）")

    assert job.get_status() == "finished"
    assert job.return_value() == len(grid_ids)
    assert jobs.progress(job) == {"done": len(grid_ids), "total": len(grid_ids)}
    assert all(name.endswith("（已核）") for name in names(session, alpha))
    assert audited_tenants(session, alpha) == {alpha.tenant.id}
    assert not any(name.endswith("（已核）") for name in names(session, beta))


def test_a_job_given_another_tenant_cannot_reach_these_rows(
    session: Session, counties: tuple[County, County]
):
    alpha, beta = counties

    job = jobs.enqueue(rename_nodes, beta.tenant.id, [alpha.grids[0].id], "（越权）")

    assert job.get_status() == "failed"
    assert "NotFound" in (job.exc_info or "")
    assert not any(name.endswith("（越权）") for name in names(session, alpha))


def test_a_failed_inline_job_leaves_nothing_half_done(
    session: Session, counties: tuple[County, County]
):
    alpha, _beta = counties
    missing = max(grid.id for grid in alpha.grids) + 1000

    job = jobs.enqueue(rename_nodes, alpha.tenant.id, [alpha.grids[0].id, missing], "（半）")

    assert job.get_status() == "failed"
    assert jobs.progress(job) == {"done": 1, "total": 2}
    assert not any(name.endswith("（半）") for name in names(session, alpha))


def test_jobs_refuse_orm_objects_as_arguments(session: Session, counties: tuple[County, County]):
    alpha, _beta = counties
    with pytest.raises(TypeError, match="pass ids"):
        jobs.enqueue(rename_nodes, alpha.tenant.id, alpha.grids, "x")
    with pytest.raises(TypeError, match="pass ids"):
        jobs.enqueue(rename_nodes, alpha.tenant.id, node_ids=[alpha.grids[0]], suffix="x")


def test_report_progress_outside_a_job_does_nothing():
    assert jobs.current_job() is None
    jobs.report_progress(1, 2)  # no job to report to: must not fail
    assert jobs.current_job() is None


@pytest.mark.redis
def test_with_redis_a_job_is_queued_and_a_worker_runs_it_in_its_tenant(
    app: Flask,
    session: Session,
    counties: tuple[County, County],
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
):
    alpha, beta = counties
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    grid_ids = [grid.id for grid in alpha.grids]

    # The test's session lives in the app context opened before Redis was configured: the
    # queue is swapped in its runtime (a new app context would end that session when popped).
    with runtime.use(dataclasses.replace(runtime.current(), jobs=rq_jobs.RQQueue(redis_url))):
        job = jobs.enqueue(rename_nodes, alpha.tenant.id, grid_ids, "（队列）")

    assert job.get_status() == "queued"
    assert not any(name.endswith("（队列）") for name in names(session, alpha))
    queue = rq_jobs.queue(redis_url)
    assert queue.name == "gridgov" and queue.job_ids == [job.id]

    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    assert job.get_status(refresh=True) == "finished", job.latest_result().exc_string
    assert job.return_value(refresh=True) == len(grid_ids)
    assert jobs.progress(job) == {"done": len(grid_ids), "total": len(grid_ids)}
    assert all(name.endswith("（队列）") for name in names(session, alpha))
    assert audited_tenants(session, alpha) == {alpha.tenant.id}
    assert not any(name.endswith("（队列）") for name in names(session, beta))


@pytest.mark.redis
def test_worker_command_runs_queued_jobs(
    app: Flask, redis_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    with app.app_context():
        job = jobs.enqueue(count_to, None, 3)

    result = app.test_cli_runner().invoke(rq_jobs.worker, ["--burst"])

    assert result.exit_code == 0, result.output
    assert job.get_status(refresh=True) == "finished"
    assert job.return_value(refresh=True) == 3
    assert jobs.progress(job) == {"done": 3, "total": 3}


def test_worker_command_needs_redis(app: Flask):
    assert app.config["REDIS_URL"] is None
    result = app.test_cli_runner().invoke(rq_jobs.worker, ["--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output


@pytest.mark.redis
def test_the_progress_of_a_queued_job_is_read_by_its_id(
    app: Flask, redis_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    with app.app_context():
        job = jobs.enqueue(count_to, None, 4)
        assert jobs.progress_of(job.id) is None  # queued: nothing reported yet
        queue = rq_jobs.queue(redis_url)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert jobs.progress_of(job.id) == {"done": 4, "total": 4}
        assert jobs.progress_of("no-such-job") is None


def test_without_redis_no_job_has_progress_to_read(app: Flask):
    with app.app_context():
        assert jobs.progress_of(jobs.enqueue(count_to, None, 2).id) is None
