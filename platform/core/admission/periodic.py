"""The modules' periodic jobs (``gridgov_periodic_jobs``) in the counties that admitted them.

``gridgov plugins run-jobs`` is meant to be started by cron every minute or so: in each active
county it enqueues every job of an admitted module whose ``every`` has passed since it last
started there, and notes the start first, so that a slow job is not started twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core import runtime
from gridgov.core.admission import service as admission
from gridgov.core.db import current_tenant_id, tenant_scope
from gridgov.core.jobs import enqueue, job
from gridgov.core.plugins.hookspecs import PeriodicJob
from gridgov.core.plugins.manager import PluginHost, TenantHooks
from gridgov.core.plugins.models import PeriodicJobRun
from gridgov.core.tenancy.models import Tenant


def due_jobs(session: Session, hooks: TenantHooks, now: dt.datetime) -> list[PeriodicJob]:
    """The admitted modules' jobs that are due in the current county at ``now``."""
    last = dict(session.execute(select(PeriodicJobRun.code, PeriodicJobRun.last_run_at)).all())
    return [j for j in hooks.periodic_jobs() if j.code not in last or last[j.code] + j.every <= now]


def enqueue_due_jobs(session: Session, host: PluginHost, now: dt.datetime) -> list[str]:
    """Start every due job in every active county; returns "<slug> <job code>" per start."""
    started = []
    tenants = session.scalars(
        select(Tenant).where(Tenant.is_active.is_(True)).order_by(Tenant.slug)
    )
    for tenant_id, slug in [(t.id, t.slug) for t in tenants]:
        with tenant_scope(session, tenant_id):
            hooks = host.for_tenant(admission.live_modules(session))
            due = due_jobs(session, hooks, now)
            for periodic in due:
                _note_start(session, periodic.code, now)
            session.commit()  # noted before the job runs: a second cron run will not repeat it
        for periodic in due:
            enqueue(run_periodic_job, tenant_id, periodic.code)
            started.append(f"{slug} {periodic.code}")
    return started


def _note_start(session: Session, code: str, now: dt.datetime) -> None:
    run = session.scalar(select(PeriodicJobRun).where(PeriodicJobRun.code == code))
    if run is None:
        session.add(PeriodicJobRun(code=code, last_run_at=now))
    else:
        run.last_run_at = now


@job
def run_periodic_job(session: Session, code: str) -> bool:
    """Run the periodic job ``code`` in the job's county, if its module is still admitted
    there (it may have been suspended since the job was queued). Returns whether it ran."""
    hooks = runtime.current().plugins.for_tenant(admission.live_modules(session))
    periodic = next((j for j in hooks.periodic_jobs() if j.code == code), None)
    if periodic is None:
        return False
    tenant_id = current_tenant_id(session)
    assert tenant_id is not None
    periodic.run(session, tenant_id)
    return True
