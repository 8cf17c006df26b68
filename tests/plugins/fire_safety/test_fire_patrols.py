"""Patrol checklists (消防巡查检查单) per kind of site: declared as forms, each item answered "no"
filed as a graded hazard with its photo; checklists filed through the core's generic form page
are picked up by the module's periodic job; and the "four abilities" checks with their re-visit
(回头看)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridgov.core import runtime
from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import DomainError, Forbidden
from gridgov.core.forms import service as forms
from gridgov.core.forms.definitions import FieldType, definition_problems
from gridgov.core.registry import service as registry
from gridgov.core.tasks import reading
from gridgov.core.tenancy.county_time import CountyClock
from gridgov_plugins.fire_safety import hazards, inspections
from gridgov_plugins.fire_safety.checklists import (
    ABILITY_FORM_DEFINITION,
    PATROL_FORMS,
    SITE_TYPES,
    findings,
)
from gridgov_plugins.fire_safety.models import AbilityCheck, Hazard, Patrol
from tests.plugins.fire_safety.conftest import PNG

TODAY = CountyClock.of(None).today()
SHOP = PATROL_FORMS["fire_safety.patrol_shop"]


def shop_checklist(**changes):
    data = {
        "place": "城关镇示例商铺",
        "inspected_on": TODAY.isoformat(),
        "extinguisher_count": 2,
        "extinguisher_expiry": (TODAY + dt.timedelta(days=300)).isoformat(),
        **{f"{code}_ok": True for code in SITE_TYPES["shop"].items},
    }
    data.update(changes)
    return data


def submit(session, user, node, form=SHOP, site_id=None, **changes):
    data = shop_checklist(**changes) if form is SHOP else {**ability_check(), **changes}
    return inspections.submit(
        session, user, scope_of(session, user), node, form, data, site_id=site_id
    )


def ability_check(**changes):
    return {
        "place": "城关镇示例商铺",
        "checked_on": TODAY.isoformat(),
        "eliminate": True,
        "extinguish": True,
        "evacuate": True,
        "educate": True,
        "facilities": True,
        **changes,
    }


@pytest.mark.parametrize("site_type", sorted(SITE_TYPES))
def test_hook_forms_declare_a_sound_checklist_for_each_kind_of_site(app, site_type):
    form = PATROL_FORMS[SITE_TYPES[site_type].form_code]
    assert definition_problems(form) == []
    names = {f.name for f in form.fields}
    assert {f"{item}_ok" for item in SITE_TYPES[site_type].items} <= names
    with app.app_context():
        assert runtime.current().plugins.form(form.code) is not None


def test_the_checklists_ask_what_the_brigade_counts():
    market = PATROL_FORMS["fire_safety.patrol_market"]
    fields = {f.name: f for f in market.fields}
    assert [c.value for c in fields["hydrant_problems"].choices] == ["missing", "dry", "damaged"]
    assert fields["extinguisher_count"].type == FieldType.INTEGER
    assert fields["extinguisher_expiry"].type == FieldType.DATE
    assert fields["billboard_ok"].required
    village = {f.name for f in PATROL_FORMS["fire_safety.patrol_village_household"].fields}
    assert "straw_ok" in village and "hydrant_ok" not in village
    assert fields["evacuation_photo"].type == FieldType.PHOTO
    assert fields["evacuation_photo"].show_if.field == "evacuation_ok"


def test_each_failed_item_an_expired_extinguisher_and_each_other_hazard_are_findings():
    data = shop_checklist(
        evacuation_ok=False,
        evacuation_grade="major",
        evacuation_note="后门堆满纸箱",
        extinguisher_expiry=(TODAY - dt.timedelta(days=1)).isoformat(),
        other_hazards=[{"description": "仓库住人", "grade": "general"}],
    )
    found = findings(SITE_TYPES["shop"], data)
    assert [(f.item, f.grade) for f in found] == [
        ("extinguisher", "general"),
        ("evacuation", "major"),
        ("other", "general"),
    ]
    assert "过期" in found[0].description and found[1].description == "后门堆满纸箱"


def test_a_clean_checklist_files_a_patrol_and_no_hazard(session, county):
    patrol = submit(session, county.workers[0], county.grids[0])
    assert isinstance(patrol, Patrol)
    assert (patrol.site_type, patrol.findings, patrol.inspector_id) == (
        "shop",
        0,
        county.workers[0].id,
    )
    assert session.scalars(select(Hazard)).all() == []


def test_each_finding_becomes_a_hazard_with_its_grade_and_photo(session, county):
    worker = county.workers[0]
    photo = forms.store_upload(
        session, worker, FieldType.PHOTO, name="门.png", data=PNG, field="exits_photo"
    )
    patrol = submit(
        session,
        worker,
        county.grids[0],
        exits_ok=False,
        exits_grade="general",
        exits_photo=photo.id,
        wiring_ok=False,
        wiring_grade="major",
        wiring_note="飞线充电",
        deadline=(TODAY + dt.timedelta(days=3)).isoformat(),
    )
    assert patrol.findings == 2
    rows = inspections.hazards_of_patrol(session, patrol)
    assert [(h.item, h.grade, h.deadline) for h, _t in rows] == [
        ("exits", "general", TODAY + dt.timedelta(days=3)),
        ("wiring", "major", TODAY + dt.timedelta(days=3)),
    ]
    exits_task = rows[0][1]
    assert [f.id for f in reading.attachments(session, exits_task)] == [photo.id]
    assert rows[1][1].current_node_id == county.top.id  # the major one went up
    assert all(h.site_type == "shop" and h.patrol_id == patrol.id for h, _t in rows)


def test_a_failed_item_without_its_grade_is_refused_by_the_form(session, county):
    with pytest.raises(forms.FormInvalid) as invalid:
        submit(session, county.workers[0], county.grids[0], exits_ok=False)
    assert "exits_grade" in invalid.value.messages


def test_an_inspection_in_the_future_is_refused_on_its_field(session, county):
    with pytest.raises(forms.FormInvalid) as invalid:
        submit(
            session,
            county.workers[0],
            county.grids[0],
            inspected_on=(TODAY + dt.timedelta(days=1)).isoformat(),
        )
    assert "inspected_on" in invalid.value.messages


def test_a_registry_site_of_the_grid_is_kept_with_the_patrol(session, county):
    site = registry.create_site(
        session, county.tenant, None, grid=county.grids[0], name="示例商铺", kind="shop"
    )
    patrol = submit(
        session,
        county.workers[0],
        county.grids[0],
        site_id=site.id,
        exits_ok=False,
        exits_grade="general",
    )
    assert patrol.site_id == site.id
    hazard, _task = inspections.hazards_of_patrol(session, patrol)[0]
    assert hazard.site_id == site.id


def test_a_site_of_another_grid_is_refused(session, county):
    site = registry.create_site(
        session, county.tenant, None, grid=county.grids[1], name="别处", kind="shop"
    )
    with pytest.raises(DomainError) as refused:
        submit(session, county.admin, county.grids[0], site_id=site.id)
    assert refused.value.field == "site_id"


def test_a_volunteer_does_not_patrol(session, county):
    with pytest.raises(Forbidden):
        submit(session, county.volunteer, county.grids[0])


def test_hook_periodic_jobs_pick_up_checklists_filed_on_the_generic_form_page(session, county):
    worker = county.workers[0]
    data = shop_checklist(flammables_ok=False, flammables_grade="general")
    submission = forms.submit_form(
        session, worker, SHOP, module="fire_safety", node=county.grids[0], data=data
    )
    check = forms.submit_form(
        session,
        worker,
        ABILITY_FORM_DEFINITION,
        module="fire_safety",
        node=county.grids[0],
        data=ability_check(),
    )
    job = next(
        j for j in runtime.current().plugins.periodic_jobs() if j.code == "fire_safety.inspections"
    )
    job.run(session, county.tenant.id)
    patrol = session.scalars(select(Patrol)).one()
    assert (patrol.submission_id, patrol.findings) == (submission.id, 1)
    assert session.scalars(select(AbilityCheck)).one().submission_id == check.id
    job.run(session, county.tenant.id)  # idempotent: processed once
    assert len(session.scalars(select(Hazard)).all()) == 1


def test_a_checklist_whose_grid_was_retired_waits_and_does_not_stop_the_job(session, county):
    from gridgov.core.hierarchy import service as hierarchy

    worker = county.workers[0]
    for grid, flammable in ((county.grids[0], "杂物"), (county.grids[1], "纸箱")):
        forms.submit_form(
            session,
            county.admin,
            SHOP,
            module="fire_safety",
            node=grid,
            data=shop_checklist(
                flammables_ok=False, flammables_grade="general", flammables_note=flammable
            ),
        )
    hierarchy.retire_node(session, None, county.grids[0])
    inspections.process_pending(session, county.tenant.id)
    assert [h.description for h in session.scalars(select(Hazard))] == ["纸箱"]
    assert session.scalars(inspections.unprocessed(session)).one().node_id == county.grids[0].id
    assert worker.id


def test_a_four_abilities_check_passes_only_with_every_ability_and_working_systems(session, county):
    passed = submit(session, county.workers[0], county.grids[0], form=ABILITY_FORM_DEFINITION)
    assert passed.passed and passed.failed == [] and not passed.is_revisit
    failed = submit(
        session,
        county.workers[0],
        county.grids[0],
        form=ABILITY_FORM_DEFINITION,
        place="另一家",
        facilities=False,  # 一票否决
    )
    assert not failed.passed and failed.failed == ["facilities"]


def test_a_check_after_a_passed_one_is_the_sites_revisit(session, county):
    first = submit(session, county.workers[0], county.grids[0], form=ABILITY_FORM_DEFINITION)
    again = submit(
        session, county.workers[0], county.grids[0], form=ABILITY_FORM_DEFINITION, educate=False
    )
    assert (again.previous_id, again.is_revisit, again.passed) == (first.id, True, False)
    elsewhere = submit(session, county.workers[1], county.grids[1], form=ABILITY_FORM_DEFINITION)
    assert elsewhere.previous_id is None  # same name, another grid: another site


def test_a_passed_site_falls_due_for_its_revisit_after_the_countys_interval(session, county):
    county.tenant.settings = {"fire_safety": {"revisit_days": 30}}
    worker = county.workers[0]
    old = forms.submit_form(
        session,
        worker,
        ABILITY_FORM_DEFINITION,
        module="fire_safety",
        node=county.grids[0],
        data=ability_check(checked_on=(TODAY - dt.timedelta(days=40)).isoformat()),
    )
    inspections.process_ability_check(session, old)
    submit(
        session, worker, county.grids[0], form=ABILITY_FORM_DEFINITION, place="新店", evacuate=False
    )
    statuses = inspections.site_statuses(session, scope_of(session, worker))
    assert [(s.latest.place, s.latest.passed) for s in statuses] == [
        ("新店", False),
        ("城关镇示例商铺", True),
    ]
    assert statuses[1].revisit_due_on == TODAY - dt.timedelta(days=10)
    assert statuses[1].is_revisit_due(TODAY) and not statuses[0].is_revisit_due(TODAY)
    other = county.workers[1]
    assert inspections.site_statuses(session, scope_of(session, other)) == []


def test_the_hazards_of_a_patrol_are_visible_where_the_patrol_is(session, county):
    patrol = submit(
        session, county.workers[0], county.grids[0], exits_ok=False, exits_grade="general"
    )
    hazard, _task = inspections.hazards_of_patrol(session, patrol)[0]
    worker = county.workers[0]
    assert hazards.visible_hazard(session, worker, scope_of(session, worker), hazard.id)
    assert inspections.visible_patrol(session, worker, scope_of(session, worker), patrol.id)
