"""The operator's view of department modules: what is installed, and what failed to load and
why — the platform runs on without it."""

from __future__ import annotations

import types

from gridgov.core.accounts import service as accounts
from gridgov.core.forms.definitions import Field, FormDefinition
from gridgov.core.plugins.hookspecs import ModuleInfo, hookimpl
from gridgov.core.plugins.manager import get_plugin_host
from tests.api.bearer import bearer
from tests.factories import PASSWORD


def test_operators_see_the_installed_example_module(client, operator_token):
    response = client.get("/api/v1/plugins", headers=bearer(operator_token))
    assert response.status_code == 200
    plugins = {p["name"]: p for p in response.get_json()}
    example = plugins["env_patrol"]
    assert (example["is_loaded"], example["department"]) == (True, "县生态环境分局")
    assert example["forms"] == ["env_patrol.inspection"]
    assert example["task_types"] == ["env_patrol.pollution"]
    assert example["scoring_rules"] == ["env_patrol.inspections"]


def test_a_plugin_with_an_invalid_form_is_listed_with_the_reason(
    app, client, operator_token, monkeypatch
):
    broken = types.ModuleType("broken_patrol")
    broken.gridgov_module_info = hookimpl(
        lambda: ModuleInfo(name="broken_patrol", title="坏模块", department="测试", version="0")
    )
    bad_field = Field("colour", "colour", "颜色", "Colour")
    broken.gridgov_forms = hookimpl(
        lambda: [FormDefinition("broken_patrol.form", "表", "Form", (bad_field,))]
    )
    host = get_plugin_host(load_entrypoints=True, plugins=(broken,))
    monkeypatch.setitem(app.extensions, "gridgov.plugins", host)
    plugins = client.get("/api/v1/plugins", headers=bearer(operator_token)).get_json()
    failed = next(p for p in plugins if p["name"] == "broken_patrol")
    assert failed["is_loaded"] is False
    assert "unknown type 'colour'" in failed["error"]
    assert any(p["name"] == "env_patrol" and p["is_loaded"] for p in plugins)


def test_county_tokens_and_missing_scopes_are_refused(client, county, mint, session):
    admin = bearer(mint(county, county.admin))
    assert client.get("/api/v1/plugins", headers=admin).status_code == 401
    operator = accounts.create_operator(session, username="ops2", name="运维乙", password=PASSWORD)
    token, _record = accounts.create_operator_token(session, operator, scopes=["tenants:read"])
    session.commit()
    assert client.get("/api/v1/plugins", headers=bearer(token)).status_code == 403
