"""Who reads which submissions: staff by scope; a department officer only the modules their
departments were admitted for (even where their scope reaches everything)."""

from __future__ import annotations

import pytest

from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.db import set_tenant
from gridgov.core.errors import NotFound
from gridgov.core.forms import access
from gridgov.core.forms import service as forms
from tests.core.admission.factories import add_department, approved, host_with
from tests.core.forms.test_forms import EVERY_TYPE, VALID
from tests.factories import build_county

EVERYWHERE = Scope(everything=True)


@pytest.fixture
def filed(app, session):
    """A county where the fire brigade runs fire_safety, the justice office runs nothing yet,
    and a grid worker filed a fire_safety form in grid 0."""
    county = build_county(session)
    set_tenant(session, county.tenant.id)
    host = host_with("fire_safety")
    fire, fire_officer = add_department(session, county, code="XF")
    _justice, justice_officer = add_department(session, county, code="SF")
    approved(session, host, county, fire, fire_officer, "fire_safety")
    with app.test_request_context():
        submission = forms.submit_form(
            session,
            county.workers[0],
            EVERY_TYPE,
            module="fire_safety",
            node=county.grids[0],
            data=VALID,
        )
    return county, submission, fire_officer, justice_officer


def ids(session, user, scope):
    return [s.id for s in session.scalars(access.visible_submissions(session, user, scope))]


def test_an_officer_reads_the_submissions_of_the_module_their_department_runs(session, filed):
    _county, submission, fire_officer, _justice = filed
    assert ids(session, fire_officer, EVERYWHERE) == [submission.id]
    assert access.visible_submission(session, fire_officer, EVERYWHERE, submission.id)


def test_an_officer_of_another_department_reads_none_even_county_wide(session, filed):
    _county, submission, _fire, justice_officer = filed
    assert ids(session, justice_officer, EVERYWHERE) == []
    with pytest.raises(NotFound):
        access.visible_submission(session, justice_officer, EVERYWHERE, submission.id)


def test_staff_read_by_scope_whatever_the_module(session, filed):
    county, submission, _fire, _justice = filed
    assert ids(session, county.workers[0], scope_of(session, county.workers[0])) == [submission.id]
    assert ids(session, county.workers[1], scope_of(session, county.workers[1])) == []
