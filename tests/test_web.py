"""The web layer hands the core its context: the app's runtime in every app context (requests,
``with app.app_context()``, CLI commands), the caller's address in every request, and the
check that a module's blueprints are flask Blueprints."""

from __future__ import annotations

import types
from pathlib import Path

import click
import pytest
from flask import Blueprint, Flask
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from gridgov.app import blueprint_problems
from gridgov.core import runtime
from gridgov.core.audit import service as audit
from gridgov.core.jobs import InlineQueue
from gridgov.core.plugins.hookspecs import ModuleInfo, PortalPages, hookimpl
from gridgov.core.plugins.manager import get_plugin_host
from gridgov.web import ENGINE_KEY, PLUGINS_KEY
from tests.factories import build_county


def test_every_app_context_has_the_apps_runtime(app: Flask):
    with app.app_context():
        installed = runtime.current()
        assert installed.engine is app.extensions[ENGINE_KEY]
        assert installed.plugins is app.extensions[PLUGINS_KEY]
        assert installed.files_dir == Path(app.config["GRIDGOV_FILES_DIR"])
        assert isinstance(installed.jobs, InlineQueue)  # no REDIS_URL
    with pytest.raises(RuntimeError):
        runtime.current()


def test_a_setting_changed_between_contexts_reaches_the_next_one(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(app.config, "GRIDGOV_FILES_DIR", str(tmp_path))
    with app.test_request_context():
        assert runtime.current().files_dir == tmp_path


def test_a_cli_command_runs_with_the_apps_runtime(app: Flask):
    @click.command("files-dir")
    @with_appcontext
    def files_dir() -> None:
        click.echo(runtime.current().files_dir)

    result = app.test_cli_runner().invoke(files_dir)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == app.config["GRIDGOV_FILES_DIR"]


def test_the_audit_log_records_the_address_of_the_request(app: Flask, session: Session):
    county = build_county(session)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.7"}):
        in_request = audit.record(session, county.admin, "test.request", "tenant", 1)
    outside = audit.record(session, county.admin, "test.job", "tenant", 1)
    assert (in_request.ip, outside.ip) == ("10.0.0.7", None)


def module_with(**hooks: object) -> types.ModuleType:
    plugin = types.ModuleType("patrol")
    plugin.gridgov_module_info = hookimpl(
        lambda: ModuleInfo(name="patrol", title="巡查", department="测试", version="0")
    )
    for name, value in hooks.items():
        setattr(plugin, name, hookimpl(lambda value=value: value))
    return plugin


@pytest.mark.parametrize(
    ("hooks", "reason"),
    [
        ({"gridgov_api_blueprints": ["api"]}, "is not a flask Blueprint"),
        (
            {"gridgov_portal_pages": [PortalPages(blueprint="pages")]},
            "are not PortalPages with a Blueprint",
        ),
    ],
)
def test_the_app_skips_a_module_whose_blueprints_are_not_flask_blueprints(hooks, reason):
    host = get_plugin_host(
        load_entrypoints=False, plugins=(module_with(**hooks),), checks=(blueprint_problems,)
    )
    assert host.modules() == []
    assert reason in host.failures["patrol"]


def test_the_app_admits_a_module_with_flask_blueprints():
    plugin = module_with(
        gridgov_api_blueprints=[Blueprint("patrol_api", __name__)],
        gridgov_portal_pages=[PortalPages(Blueprint("patrol_pages", __name__))],
    )
    host = get_plugin_host(load_entrypoints=False, plugins=(plugin,), checks=(blueprint_problems,))
    assert [m.name for m in host.modules()] == ["patrol"]


def test_after_a_request_no_runtime_is_left_installed(app: Flask, client):
    assert client.get("/healthz").status_code == 200
    with app.test_request_context():
        assert runtime.current().engine is app.extensions[ENGINE_KEY]
    with pytest.raises(RuntimeError):
        runtime.current()
    assert runtime.caller().address is None
