"""What the plugin host keeps per county: when each module's periodic job last ran there."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.core.db import Base, TenantScoped


class PeriodicJobRun(TenantScoped, Base):
    """The last time a periodic job (``PeriodicJob.code``) was started in a county."""

    __tablename__ = "periodic_job_runs"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(127), comment="<module>.<name> of the job")
    last_run_at: Mapped[dt.datetime] = mapped_column()
