"""schemathesis on the module's own operations in a county that admitted it (the suite's fuzz,
tests/api/test_fuzz.py, runs where no module is admitted, so it meets only their 404s): as the
grid worker, the township, the office and the audit administrator, on real rows and made-up
ones, no 5xx and every answer as the spec says."""

from __future__ import annotations

import datetime as dt

import schemathesis

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import tenant_scope
from gridgov_plugins.family_planning import births, entitlements
from tests.api.test_fuzz import Tally, _fuzz, _spec
from tests.plugins.family_planning.conftest import TODAY, make_world, special, woman

MODULE_PATHS = "/t/{slug}/api/v1/modules/family_planning/"


def seed(session, world) -> dict[str, int | str]:
    target = woman(session, world)
    special(session, world)
    worker = world.county.workers[0]
    birth = births.register_birth(
        session,
        worker,
        scope_of(session, worker),
        births.BirthInput(
            mother_id=world.family.mother.id,
            child_name="甲宝宝",
            sex="male",
            born_on=TODAY - dt.timedelta(days=3),
            place_of_birth="县医院",
        ),
    )
    made = entitlements.apply_for(
        session,
        worker,
        scope_of(session, worker),
        entitlements.ApplicationInput(person_id=world.family.grandfather.id, scheme="special"),
    )
    return {
        "slug": world.county.tenant.slug,
        "target_id": target.id,
        "birth_id": birth.id,
        "entitlement_id": made.id,
    }


def test_the_modules_api_answers_as_its_spec_says(session, client, app):
    world = make_world(session, "fpfuzz")
    known = seed(session, world)
    session.commit()
    schema = schemathesis.openapi.from_dict(_spec(client))
    operations = [
        op
        for op in (r.ok() for r in schema.get_all_operations())
        if op.path.startswith(MODULE_PATHS)
    ]
    assert len(operations) >= 14
    tally = Tally()
    county = world.county
    for user in (county.workers[0], county.township_staff, world.officer, county.auditor):
        with tenant_scope(session, county.tenant.id):
            token, _record = accounts.create_token(
                session, None, county.tenant, user, scopes=accounts.USER_SCOPES
            )
        session.commit()
        for reads in (True, False):
            for operation in operations:
                if (operation.method.upper() == "GET") == reads:
                    _fuzz(operation, tally, known=known, token=token, app=app)
    report = "\n\n".join(tally.failures[:10])
    assert tally.server_errors == 0, report
    assert not tally.failures, report
    assert tally.statuses[200] > 0
