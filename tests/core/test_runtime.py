"""The core's context comes from the installed runtime, never from Flask: without one it says
so, ``use`` installs one for a block, and the caller's address is per call."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from gridgov.core import runtime
from gridgov.core.db import pinned_clock, utcnow
from gridgov.core.files import service as files
from gridgov.core.jobs import InlineQueue, enqueue
from gridgov.core.plugins.manager import get_plugin_host

MOMENT = dt.datetime(2026, 5, 8, 1, 30, tzinfo=dt.UTC)


@pytest.fixture
def deployment(tmp_path: Path) -> runtime.Runtime:
    return runtime.Runtime(
        engine=create_engine("sqlite://"),
        plugins=get_plugin_host(load_entrypoints=False),
        jobs=InlineQueue(),
        files_dir=tmp_path / "files",
        keep_exports_days=3,
        data_key="k" * 43,
        clock=lambda: MOMENT,
    )


def test_without_a_runtime_the_core_says_none_is_installed():
    with pytest.raises(RuntimeError, match="no gridgov runtime is installed"):
        runtime.current()
    with pytest.raises(RuntimeError, match="no gridgov runtime is installed"):
        files.files_dir()


def test_use_installs_a_runtime_for_the_block_only(deployment: runtime.Runtime):
    with runtime.use(deployment):
        assert files.files_dir() == deployment.files_dir
        assert files.keep_days() == 3
        assert runtime.current().now() == MOMENT
        other = dataclasses.replace(deployment, keep_exports_days=9)
        with runtime.use(other):
            assert files.keep_days() == 9
        assert files.keep_days() == 3
    with pytest.raises(RuntimeError):
        runtime.current()


def test_a_job_goes_to_the_runtimes_queue(deployment: runtime.Runtime):
    with runtime.use(deployment):
        ran = enqueue(lambda a, b: a + b, 2, 3)
    assert (ran.get_status(), ran.return_value()) == ("finished", 5)


def test_the_callers_address_is_per_call():
    assert runtime.caller().address is None  # a job or a command
    with runtime.call(address="10.1.2.3"):
        assert runtime.caller().address == "10.1.2.3"
        with runtime.call(address=None):
            assert runtime.caller().address is None
    assert runtime.caller().address is None


def test_the_default_clock_is_the_real_one_in_utc(deployment: runtime.Runtime):
    real = dataclasses.replace(deployment, clock=runtime.real_now)
    before = dt.datetime.now(dt.UTC)
    assert before <= real.now() <= dt.datetime.now(dt.UTC)
    assert real.now().tzinfo is dt.UTC


def test_the_core_tells_time_by_the_runtimes_clock(deployment: runtime.Runtime):
    # Everything the core stamps (utcnow: log entries, deadlines, cards) follows the clock the
    # runtime was given; the demo's pinned moment still wins inside its block.
    with runtime.use(deployment):
        assert utcnow() == MOMENT
        earlier = MOMENT - dt.timedelta(days=3)
        with pinned_clock(earlier):
            assert utcnow() == earlier
    assert utcnow() != MOMENT  # none installed: the real time
