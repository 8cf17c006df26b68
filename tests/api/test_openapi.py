"""The OpenAPI description and its UI, served from vendored files (offline intranets). The
department modules' routes are in it too, with their schemas, like the core's."""

from __future__ import annotations

import importlib.util
import re

from tests.conftest import need

REGISTRY_PATHS = {
    "/people": {"get", "post"},
    "/people/{person_id}": {"get", "patch"},
    "/people/search": {"post"},
    "/people/{person_id}/unmask": {"post"},
    "/people/{person_id}/tags": {"post"},
    "/people/{person_id}/tags/{tag}": {"delete"},
    "/people/{person_id}/history": {"get"},
    "/people/merge": {"post"},
    "/dwellings": {"get", "post"},
    "/dwellings/{dwelling_id}": {"get"},
    "/dwellings/{dwelling_id}/move": {"post"},
    "/households": {"post"},
    "/households/{household_id}": {"get"},
    "/households/{household_id}/visits": {"get", "post"},
    "/visits/due": {"get"},
    "/sites": {"get", "post"},
    "/sites/{site_id}": {"get", "patch"},
    "/registry/changes": {"get"},
    "/registry/imports": {"get", "post"},
    "/registry/imports/{run_id}": {"get"},
    "/registry/imports/{run_id}/rejected": {"get"},
    "/people/export": {"post"},
    "/registry/quality": {"get"},
    "/compounds": {"get", "post"},
    "/compounds/{compound_id}": {"get"},
    "/buildings": {"post"},
    "/buildings/{building_id}": {"get"},
    "/rentals": {"get", "post"},
    "/rentals/{rental_id}": {"get"},
    "/people/exports": {"get", "post"},
    "/people/exports/{export_id}": {"get"},
    "/people/exports/{export_id}/file": {"get"},
}
EXPECTED_PATHS = {
    "/api/v1/tenants": {"get", "post"},
    "/api/v1/tenants/{tenant_id}": {"get", "patch"},
    "/t/{slug}/api/v1/tenant": {"get"},
    "/t/{slug}/api/v1/me": {"get"},
    "/t/{slug}/api/v1/me/tokens": {"get"},
    "/t/{slug}/api/v1/me/tokens/{token_id}": {"delete"},
    "/t/{slug}/api/v1/nodes": {"get", "post"},
    "/t/{slug}/api/v1/nodes/{node_id}": {"get", "patch"},
    "/t/{slug}/api/v1/nodes/{node_id}/children": {"get"},
    "/t/{slug}/api/v1/nodes/{node_id}/subtree": {"get"},
    "/t/{slug}/api/v1/nodes/{node_id}/history": {"get"},
    "/t/{slug}/api/v1/nodes/{node_id}/successors": {"get"},
    "/t/{slug}/api/v1/nodes/{node_id}/as-of": {"get"},
    "/t/{slug}/api/v1/nodes/{node_id}/move": {"post"},
    "/t/{slug}/api/v1/nodes/{node_id}/split": {"post"},
    "/t/{slug}/api/v1/nodes/merge": {"post"},
    "/t/{slug}/api/v1/nodes/locate": {"get"},
    "/t/{slug}/api/v1/nodes/boundaries": {"post"},
    "/t/{slug}/api/v1/nodes/{node_id}/retire": {"post"},
    "/t/{slug}/api/v1/users": {"get", "post"},
    "/t/{slug}/api/v1/users/{user_id}": {"get", "patch"},
    "/t/{slug}/api/v1/users/{user_id}/assignments": {"put"},
    "/t/{slug}/api/v1/users/{user_id}/tokens": {"get"},
    "/t/{slug}/api/v1/users/{user_id}/tokens/{token_id}": {"delete"},
    "/t/{slug}/api/v1/audit": {"get"},
    "/t/{slug}/api/v1/departments": {"get", "post"},
    "/t/{slug}/api/v1/departments/{department_id}": {"get", "patch"},
    "/t/{slug}/api/v1/departments/{department_id}/officers": {"put"},
    **{f"/t/{{slug}}/api/v1{path}": methods for path, methods in REGISTRY_PATHS.items()},
    **{
        f"/t/{{slug}}/api/v1/tasks{path}": methods
        for path, methods in {
            "": {"get", "post"},
            "/intake": {"post"},
            "/files": {"post"},
            "/types": {"get"},
            "/mine": {"get"},
            "/waiting": {"get"},
            "/overdue": {"get"},
            "/{task_id}": {"get"},
            "/{task_id}/transitions": {"get", "post"},
            "/{task_id}/attachments/{file_id}": {"get"},
            "/{task_id}/supervision": {"post"},
            "/supervision": {"get"},
            "/dashboard": {"get"},
            "/dashboard.xlsx": {"get"},
            "/exports": {"post"},
            "/bulk-transitions": {"post"},
            "/exports/{export_id}": {"get"},
            "/exports/{export_id}/file": {"get"},
            "/notifications": {"get"},
            "/notifications/{notification_id}/read": {"post"},
            "/patrols": {"get", "post"},
            "/logs/{day}": {"get", "put"},
        }.items()
    },
    "/t/{slug}/api/v1/task-rules": {"get", "put"},
    "/t/{slug}/api/v1/task-rules/versions": {"get"},
    "/t/{slug}/api/v1/task-rules/versions/{number}": {"get"},
    "/t/{slug}/api/v1/task-rules/defaults": {"get"},
    "/t/{slug}/api/v1/work-calendar": {"get"},
    "/t/{slug}/api/v1/work-calendar/{day}": {"put", "delete"},
    "/t/{slug}/api/v1/assessment/rules": {"get"},
    "/t/{slug}/api/v1/assessment/scheme": {"get", "post"},
    "/t/{slug}/api/v1/assessment/scheme/versions": {"get"},
    "/t/{slug}/api/v1/assessment/runs": {"post"},
    "/t/{slug}/api/v1/assessment/runs/{run_id}": {"get"},
    "/t/{slug}/api/v1/assessment/sheets": {"get"},
    "/t/{slug}/api/v1/assessment/sheets/{sheet_id}": {"get"},
    "/t/{slug}/api/v1/assessment/sheets/{sheet_id}/evidence": {"get"},
    "/t/{slug}/api/v1/assessment/sheets/{sheet_id}/adjustments": {"post"},
    "/t/{slug}/api/v1/assessment/sheets/{sheet_id}/objections": {"post"},
    "/t/{slug}/api/v1/assessment/objections/{objection_id}/answer": {"post"},
    "/t/{slug}/api/v1/assessment/scores": {"post"},
    "/t/{slug}/api/v1/assessment/spot-checks": {"post"},
    "/t/{slug}/api/v1/assessment/meetings": {"post"},
    "/t/{slug}/api/v1/assessment/logs/{log_id}/comments": {"post"},
    "/t/{slug}/api/v1/assessment/workers/{user_id}/month": {"get"},
    "/t/{slug}/api/v1/assessment/workers/{user_id}/trend": {"get"},
    "/t/{slug}/api/v1/assessment/leave": {"get", "post"},
    "/t/{slug}/api/v1/assessment/leave/{leave_id}/decision": {"post"},
    "/t/{slug}/api/v1/assessment/leave/{leave_id}/report-back": {"post"},
    "/t/{slug}/api/v1/assessment/leave/{leave_id}/cancel": {"post"},
    "/t/{slug}/api/v1/assessment/months/{month}/lock": {"post"},
    "/t/{slug}/api/v1/assessment/months/{month}/export": {"get"},
    "/t/{slug}/api/v1/assessment/payouts": {"get"},
    "/t/{slug}/api/v1/assessment/payouts/{period}/paid": {"post"},
    "/t/{slug}/api/v1/assessment/payouts/{period}/export": {"get"},
    "/t/{slug}/api/v1/assessment/rankings": {"get"},
    "/api/v1/plugins": {"get"},
    "/t/{slug}/api/v1/admissions": {"get", "post"},
    "/t/{slug}/api/v1/admissions/files": {"post"},
    "/t/{slug}/api/v1/admissions/{admission_id}": {"get"},
    "/t/{slug}/api/v1/admissions/{admission_id}/files/{file_id}": {"get"},
    "/t/{slug}/api/v1/admissions/{admission_id}/approve": {"post"},
    "/t/{slug}/api/v1/admissions/{admission_id}/reject": {"post"},
    "/t/{slug}/api/v1/admissions/{admission_id}/widen": {"post"},
    "/t/{slug}/api/v1/admissions/{admission_id}/suspend": {"post"},
    "/t/{slug}/api/v1/admissions/{admission_id}/resume": {"post"},
    "/t/{slug}/api/v1/admissions/{admission_id}/withdraw": {"post"},
    "/t/{slug}/api/v1/modules": {"get"},
    "/t/{slug}/api/v1/module-figures": {"get"},
    "/t/{slug}/api/v1/reports/period": {"get"},
    "/t/{slug}/api/v1/reports/period.xlsx": {"get"},
    "/t/{slug}/api/v1/forms": {"get"},
    "/t/{slug}/api/v1/forms/{code}": {"get"},
    "/t/{slug}/api/v1/forms/{code}/submissions": {"get", "post"},
    "/t/{slug}/api/v1/form-submissions/{submission_id}": {"get"},
    "/t/{slug}/api/v1/form-submissions/{submission_id}/files/{file_id}": {"get"},
    "/t/{slug}/api/v1/form-files": {"post"},
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
MODULES = "/t/{slug}/api/v1/modules/"


def _spec(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_the_spec_lists_every_path_and_method(client):
    spec = _spec(client)
    assert spec["openapi"].startswith("3.")
    found = {
        path: set(ops) & HTTP_METHODS
        for path, ops in spec["paths"].items()
        if not path.startswith(MODULES)
    }
    assert found == EXPECTED_PATHS


def _module_routes(app) -> dict[str, set[str]]:
    """Every route the installed modules' API blueprints serve, spelt as the spec spells it."""
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/t/<slug>/api/v1/modules/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes.setdefault(path, set()).update(m.lower() for m in rule.methods)
    return {path: methods & HTTP_METHODS for path, methods in routes.items()}


def test_every_module_route_is_in_the_spec(app, client):
    routes = _module_routes(app)
    assert {path.split("/")[6] for path in routes} >= {
        "fire_safety",
        "disputes",
        "family_planning",
        "env_patrol",
        "civil_affairs",
    }
    spec = _spec(client)
    found = {
        path: set(ops) & HTTP_METHODS
        for path, ops in spec["paths"].items()
        if path.startswith(MODULES)
    }
    assert found == routes


def test_module_operations_document_their_bodies_and_answers(client):
    spec = _spec(client)
    for path, operations in spec["paths"].items():
        if not path.startswith(MODULES):
            continue
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            answers = {
                code: answer for code, answer in operation["responses"].items() if code < "300"
            }
            assert answers, (method, path)
            for answer in answers.values():
                assert answer["content"], (method, path)
            if method == "post" and not path.endswith("/publish"):  # publishing takes no body
                assert operation["requestBody"]["content"], (method, path)
                assert "422" in operation["responses"], (method, path)  # the field errors


def test_module_lists_are_paginated_like_the_cores(client):
    spec = _spec(client)
    for path in (
        f"{MODULES}disputes/cases",
        f"{MODULES}fire_safety/hazards",
        f"{MODULES}family_planning/targets",
        f"{MODULES}family_planning/entitlements",
        f"{MODULES}civil_affairs/people",
    ):
        listing = spec["paths"][path]["get"]
        assert {"page", "page_size"} <= {p["name"] for p in listing["parameters"]}, path
        assert "X-Pagination" in listing["responses"]["200"]["headers"], path


def test_every_operation_declares_its_bearer_scheme_and_scope(client):
    spec = _spec(client)
    schemes = spec["components"]["securitySchemes"]
    assert schemes["countyToken"]["scheme"] == "bearer"
    assert schemes["operatorToken"]["scheme"] == "bearer"
    for path, operations in spec["paths"].items():
        expected = "operatorToken" if path.startswith("/api/") else "countyToken"
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            assert operation["security"] == [{expected: []}], (method, path)
            assert "401" in operation["responses"], (method, path)
            scope = operation["x-scope"]
            if path.endswith(("/me", "/tenant")) or "/me/tokens" in path:
                # who am I, which county, my own tokens: any valid token
                assert scope == "", path
            elif path.endswith("/unmask"):
                assert scope == "registry:unmask", path  # revealing is a right of its own
            elif path.endswith(("/search", "/people/export", "/people/exports")):
                # a search in a body, to keep it off URLs; an export reads the same list
                assert scope.endswith(":read"), path
            elif method != "get":
                # tasks:intake: other systems (a 12345 hotline) posting tasks in
                assert scope.endswith((":write", ":intake")), (method, path, scope)
            else:
                assert scope.endswith(":read"), (method, path, scope)


def test_lists_document_page_parameters_and_the_pagination_header(client):
    spec = _spec(client)
    nodes_get = spec["paths"]["/t/{slug}/api/v1/nodes/{node_id}/subtree"]["get"]
    names = {p["name"] for p in nodes_get["parameters"]}
    assert {"page", "page_size", "include_retired"} <= names
    assert "X-Pagination" in nodes_get["responses"]["200"]["headers"]


def test_the_spec_is_valid_openapi(client):
    need(importlib.util.find_spec("openapi_spec_validator") is not None, "openapi-spec-validator")
    from openapi_spec_validator import validate

    validate(_spec(client))


def test_the_docs_page_loads_swagger_ui_from_our_own_static_files(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html), "a CDN or external URL"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == [
        "/static/js/api-docs.js",  # starts the UI: the page has no inline script
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui-standalone-preset.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
    ]
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.data) > (100 if "/js/" in asset else 10_000), asset
        served.close()
    assert '"/api/openapi.json"' in html
    # Swagger UI's validator badge would call validator.swagger.io
    assert '"validatorUrl": null' in html


def test_the_vendored_ui_records_its_version_and_licence(client):
    version = client.get("/static/vendor/swagger-ui/VERSION")
    text = version.get_data(as_text=True)
    version.close()
    assert re.search(r"swagger-ui-dist \d+\.\d+\.\d+ — Apache-2.0", text)
    licence = client.get("/static/vendor/swagger-ui/LICENSE")
    assert "Apache License" in licence.get_data(as_text=True)
    licence.close()


# Query parameters that may carry a name or an address fragment (searched as typed); an ID
# number or a phone is refused in them (GET /people answers 422 and points to the POST).
TEXT_QUERY_PARAMETERS = {("/t/{slug}/api/v1/people", "q"), ("/t/{slug}/api/v1/dwellings", "q")}
PERSONAL_NAMES = ("q", "id_number", "phone", "landlord_id_number", "contact_phone", "reason")


def test_no_operation_takes_personal_data_in_its_url(client):
    spec = _spec(client)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                name = parameter["name"]
                if (path, name) in TEXT_QUERY_PARAMETERS:
                    continue
                assert name not in PERSONAL_NAMES, (method, path, name)


def _documented_schemas(client) -> list[tuple[str, type, dict]]:
    """(component name, marshmallow schema class, its OpenAPI schema) of every schema in the
    spec."""
    from apispec.ext.marshmallow import MarshmallowPlugin

    from gridgov.extensions import api

    spec = _spec(client)
    plugin = next(p for p in api.spec.plugins if isinstance(p, MarshmallowPlugin))
    return [
        (name, key[0], spec["components"]["schemas"][name])
        for key, name in plugin.converter.refs.items()
        if name in spec["components"]["schemas"]
    ]


def test_every_field_that_may_be_null_is_declared_nullable(client):
    from marshmallow import fields

    checked = 0
    for name, schema_class, documented in _documented_schemas(client):
        for field_name, field in schema_class().fields.items():
            if isinstance(field, fields.Nested):
                continue  # a $ref: nullable sits beside it in an allOf, if anywhere
            key = field.data_key or field_name
            declared = documented.get("properties", {}).get(key, {})
            assert declared.get("nullable", False) is field.allow_none, (name, key)
            checked += field.allow_none
    assert checked > 100  # the tasks' deadlines, the nodes' parents, the people's addresses …


def test_task_fields_empty_until_something_happens_are_nullable(client):
    schemas = _spec(client)["components"]["schemas"]
    task = schemas["Task"]["properties"]
    for key in ("closed_at", "rating", "assignee_role", "department_id", "latitude", "due_at"):
        assert task[key]["nullable"] is True, key
    for key in ("average_handling_hours", "satisfaction_rate"):
        assert schemas["Dashboard"]["properties"][key]["nullable"] is True, key
    assert "nullable" not in task["code"]


def test_every_length_limit_is_in_the_spec(client):
    from marshmallow import validate

    limits = 0
    for name, schema_class, documented in _documented_schemas(client):
        for field_name, field in schema_class().fields.items():
            lengths = [v for v in field.validators if isinstance(v, validate.Length)]
            key = field.data_key or field_name
            if lengths and lengths[0].max is not None:
                declared = documented["properties"][key]
                keyword = "maxItems" if declared.get("type") == "array" else "maxLength"
                assert declared[keyword] == lengths[0].max, (name, key)
                limits += 1
    assert limits >= 10
    schemas = _spec(client)["components"]["schemas"]
    # limits the services check (after trimming) are documented too
    assert schemas["NodeCreate"]["properties"]["code"]["maxLength"] == 64
    assert schemas["NodeCreate"]["properties"]["name"]["maxLength"] == 200
    assert schemas["TaskReport"]["properties"]["title"]["maxLength"] == 200
    assert schemas["PersonCreate"]["properties"]["name"]["maxLength"] == 100


def test_the_pagination_header_is_documented_as_a_json_object(client):
    spec = _spec(client)
    header = spec["components"]["headers"]["Pagination"]
    assert "schema" not in header  # a schema alone would mean "total,3,page,1"
    (media_type, content), *others = header["content"].items()
    assert media_type == "application/json" and not others
    ref = content["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][ref]["properties"]) == {
        "total",
        "total_pages",
        "first_page",
        "last_page",
        "page",
        "previous_page",
        "next_page",
    }
    paginated = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            names = {p["name"] for p in operation.get("parameters", [])}
            headers = (
                operation["responses"]["200"].get("headers", {})
                if "200" in (operation["responses"])
                else {}
            )
            if "page_size" in names:
                paginated += 1
                assert headers["X-Pagination"] == {"$ref": "#/components/headers/Pagination"}, (
                    method,
                    path,
                )
            else:
                assert "X-Pagination" not in headers, (method, path)
    assert paginated > 30


UPLOADS = {
    "/t/{slug}/api/v1/tasks/files": ("file", ("10 MB", "20 MB", "200 MB")),
    "/t/{slug}/api/v1/admissions/files": ("file", ("10 MB", "20 MB")),
    "/t/{slug}/api/v1/form-files": ("file", ("10 MB", "20 MB")),
    "/t/{slug}/api/v1/registry/imports": ("file", ("200 MB",)),
    "/t/{slug}/api/v1/nodes/boundaries": ("file", ()),
    "/t/{slug}/api/v1/modules/disputes/cases/{case_id}/agreement": ("scan", ("10 MB", "20 MB")),
}


def test_upload_bodies_are_multipart_forms_with_the_limit_of_each_kind(client):
    spec = _spec(client)
    for path, (part, limits) in UPLOADS.items():
        operation = spec["paths"][path]["post"]
        body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
        declared = body["properties"][part]
        assert declared["type"] == "string" and declared["format"] == "binary", path
        for limit in limits:
            assert limit in declared["description"], (path, limit)
        assert "GRIDGOV_MAX_REQUEST_MB" in declared["description"], path
        assert "413" in operation["responses"], path
    # only these take files
    multipart = {
        path
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method in HTTP_METHODS
        and "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    }
    assert multipart == set(UPLOADS)
