"""``gridgov plugins list``: installed modules and, loudly, the plugins that failed to load."""

from __future__ import annotations

import types

from gridgov.core.plugins.hookspecs import hookimpl
from gridgov.core.plugins.manager import get_plugin_host


def test_the_installed_example_module_is_listed_with_its_form(app):
    result = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert result.exit_code == 0, result.output
    assert "env_patrol 0.1.0" in result.output
    assert "forms: env_patrol.inspection" in result.output
    assert "task types: env_patrol.pollution" in result.output


def test_a_plugin_that_failed_to_load_is_named_with_its_reason(app, use_plugins):
    broken = types.ModuleType("broken_patrol")
    broken.gridgov_tags = hookimpl(lambda: [])
    use_plugins(get_plugin_host(load_entrypoints=True, plugins=(broken,)))
    result = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert result.exit_code == 1
    assert "env_patrol 0.1.0" in result.output
    assert "FAILED broken_patrol: InvalidPlugin: it does not implement gridgov_module_info" in (
        result.output
    )


def test_run_jobs_starts_nothing_where_no_module_is_admitted(app):
    result = app.test_cli_runner().invoke(args=["plugins", "run-jobs"])
    assert result.exit_code == 0, result.output
    assert "started" not in result.output
