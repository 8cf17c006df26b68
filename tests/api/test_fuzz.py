"""schemathesis fuzzes every operation of /api/openapi.json as several roles and checks that
the API answers as its spec says: no 5xx, every status code documented, every body matching its
schema, the content types and headers the spec promises.

Bounded in time: a few examples per operation and role (FUZZ_EXAMPLES), no shrinking, no
example database. Everything the calls write stays in the test's outer transaction and is rolled
back. An exception in a view fails the test outright (TESTING propagates it), a 5xx answer
is counted. Each role fuzzes the reads first, then the writes, on its own county: what one role's
writes change (a node retired, a token revoked) cannot blind the next role.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session, tenant_scope
from tests.api.bearer import bearer, url
from tests.api.test_registry import seed as seed_registry
from tests.factories import build_county

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
# Examples per operation and role; FUZZ_EXAMPLES=50 for a long run by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
ROLES = ("county_admin", "security_admin", "audit_admin", "grid_worker", "department_officer")
READS = {"GET"}


@dataclass
class Tally:
    operations: set[str] = field(default_factory=set)
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


PAGINATION_KEYS = {
    "total",
    "total_pages",
    "first_page",
    "last_page",
    "page",
    "previous_page",
    "next_page",
}


@schemathesis.check
def status_code_is_named(ctx, response, case) -> bool | None:
    """Stricter than status_code_conformance, which any status passes where the spec has a
    "default" answer (flask-smorest gives every operation one): the status is named."""
    documented = {str(code) for code in case.operation.definition.raw.get("responses", {})}
    assert str(response.status_code) in documented, (
        f"{response.status_code} is not among the documented {sorted(documented)}"
    )
    return True


@schemathesis.check
def pagination_is_json(ctx, response, case) -> bool | None:
    """X-Pagination, where the spec documents it, is the JSON object it says (schemathesis
    validates only headers given by a ``schema``, and ours is given by ``content``)."""
    definition = case.operation.responses.find_by_status_code(response.status_code)
    if definition is None or "X-Pagination" not in dict(definition.headers.items()):
        return None
    values = response.headers.get("x-pagination")
    if not values:
        raise AssertionError("X-Pagination is documented but missing")
    metadata = json.loads(values[0])
    assert isinstance(metadata, dict) and set(metadata) <= PAGINATION_KEYS, metadata
    assert {"total", "total_pages"} <= set(metadata), metadata
    assert all(type(value) is int and value >= 0 for value in metadata.values()), metadata
    return True


def _spec(client) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _user(county, role: str):
    if role == "county_admin":
        return county.admin
    if role == "security_admin":
        return county.security
    if role == "audit_admin":
        return county.auditor
    if role == "grid_worker":
        return county.workers[0]
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        user = accounts.create_user(
            session, None, username="fuzz.officer", name="王消防", role="department_officer"
        )
    session.commit()
    return user


def _seed(client, county, mint) -> dict[str, Any]:
    """Rows for the operations to find (besides the ids the fuzzer makes up, mostly 404): an
    open task and a closed, rated one, one of each registry record in grid 0 (grid worker 0's),
    with the ids of the county's own rows."""
    records = seed_registry(county, 0, 1)
    worker = bearer(mint(county, county.workers[0]))
    station = bearer(mint(county, county.station_staff))
    tasks_url = url(county, "/tasks")
    body = {"node_id": county.grids[0].id, "category": "民生事项", "title": "路灯不亮"}
    open_task = client.post(tasks_url, json={**body, "track": "general"}, headers=worker)
    assert open_task.status_code == 201, open_task.get_json()
    closed = client.post(tasks_url, json={**body, "track": "coordinate"}, headers=worker)
    task_id = closed.get_json()["id"]
    for headers, step in (
        (station, {"action": "accept"}),
        (station, {"action": "handle", "comment": "已修复"}),
        (station, {"action": "close"}),
        (worker, {"action": "evaluate", "rating": "satisfied"}),
    ):
        answer = client.post(f"{tasks_url}/{task_id}/transitions", json=step, headers=headers)
        assert answer.status_code == 200, answer.get_json()
    return {
        "slug": county.tenant.slug,
        "task_id": open_task.get_json()["id"],
        "node_id": county.grids[0].id,
        "user_id": county.workers[0].id,
        "department_id": county.department.id,
        **{f"{name}_id": value for name, value in dataclasses.asdict(records).items()},
    }


def _fuzz(operation, tally: Tally, *, known: dict[str, Any], token: str, app) -> None:
    """A few generated cases, then as many again on the county's own rows when every path
    parameter of the operation names one (a task, a node, a user, its department)."""
    names = {p.name for p in operation.path_parameters}
    _fuzz_with(operation, tally, {k: v for k, v in known.items() if k == "slug"}, token, app)
    if names - {"slug"} and names <= known.keys():
        _fuzz_with(operation, tally, {k: known[k] for k in names}, token, app)


def _fuzz_with(operation, tally: Tally, path_parameters: dict[str, Any], token: str, app) -> None:
    strategy = operation.as_strategy(path_parameters=path_parameters) | operation.as_strategy(
        GenerationMode.NEGATIVE, path_parameters=path_parameters
    )
    label = f"{operation.method.upper()} {operation.path}"
    tally.operations.add(label)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(case=strategy)
    def run(case) -> None:
        headers = bearer(token)
        response = case.call(app=app, headers=headers)
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(
                response,
                checks=CHECKS,
                additional_checks=[status_code_is_named, pagination_is_json],
                headers=headers,
            )
        except (FailureGroup, Failure) as failure:  # what failed, with a curl to reproduce
            tally.failures.append(f"{label} → {response.status_code}: {failure}")

    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run()


def test_the_api_answers_as_its_spec_says(session, client, app, mint, operator_token, capsys):
    started = time.monotonic()
    schema = schemathesis.openapi.from_dict(_spec(client))
    operations = [result.ok() for result in schema.get_all_operations()]
    tally = Tally()
    for n, role in enumerate(ROLES):
        county = build_county(session, f"fuzz{n}")
        session.commit()
        known = _seed(client, county, mint)
        token = mint(county, _user(county, role), scopes=accounts.USER_SCOPES)
        county_ops = [op for op in operations if op.path.startswith("/t/{slug}/")]
        for reads in (True, False):
            for operation in county_ops:
                if (operation.method.upper() in READS) == reads:
                    _fuzz(operation, tally, known=known, token=token, app=app)
    for operation in sorted(
        (op for op in operations if not op.path.startswith("/t/{slug}/")),
        key=lambda op: op.method.upper() not in READS,
    ):
        _fuzz(operation, tally, known={}, token=operator_token, app=app)
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\nschemathesis: {len(tally.operations)} operations, {tally.requests} requests,"
            f" {tally.server_errors} answers 5xx, {len(tally.failures)} not as the spec says,"
            f" {elapsed:.0f} s; statuses {dict(sorted(tally.statuses.items()))}"
        )
    assert tally.requests >= len(tally.operations) * len(ROLES)
    kinds = Counter(failure.split(":", 1)[0] for failure in tally.failures)
    report = "\n".join(f"{n} × {kind}" for kind, n in kinds.most_common())
    report += "\n\n" + "\n\n".join(tally.failures[:10])
    assert tally.server_errors == 0, report
    assert not tally.failures, report
