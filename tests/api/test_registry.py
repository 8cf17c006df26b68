"""The registry API: masked personal data, audited unmasking, dedup, visits, and scope and
tenant isolation of every registry endpoint."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import db_session, tenant_scope
from gridgov.core.registry import service as registry
from gridgov.core.registry.service import PersonInput
from tests.api.bearer import bearer, url
from tests.core.registry.conftest import id_number
from tests.factories import County

API = "/t/<slug>/api/v1"


@dataclass
class Records:
    """One of each registry record in a grid."""

    person: int
    dwelling: int
    household: int
    site: int
    compound: int
    building: int
    rental: int


def seed(county: County, grid_index: int, n: int) -> Records:
    """A compound with a building, a dwelling in it with a household, head of household (with
    phone) who lets it, and a site, all in one grid."""
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        grid = county.grids[grid_index]
        compound = registry.create_compound(session, None, node=grid, name=f"示例小区{n}")
        building = registry.create_building(
            session, None, node=grid, name="1号楼", compound=compound
        )
        dwelling = registry.create_dwelling(
            session,
            county.tenant,
            None,
            grid=grid,
            address=f"示例路 {n} 号",
            building=building,
            unit="1单元",
            number="101",
        )
        household = registry.create_household(session, None, dwelling=dwelling)
        person = registry.create_person(
            session,
            county.tenant,
            None,
            PersonInput(
                name=f"示例{n}", id_number=id_number(n), phone="13812345678", relation="head"
            ),
            household=household,
        )
        site = registry.create_site(
            session, county.tenant, None, grid=grid, name=f"示例商铺{n}", kind="shop"
        )
        rental = registry.create_rental(
            session,
            None,
            dwelling=dwelling,
            landlord=person,
            occupants=[],
            starts_on=dt.date(2026, 1, 1),
        )
        records = Records(
            person.id, dwelling.id, household.id, site.id, compound.id, building.id, rental.id
        )
    session.commit()
    return records


@pytest.fixture
def mine(county) -> Records:
    """Records in grid 0 of county A (grid worker 0's grid)."""
    return seed(county, 0, 1)


@pytest.fixture
def elsewhere(county, mine) -> Records:
    """Records in grid 3 of county A: outside grid worker 0's scope."""
    return seed(county, 3, 2)


def registry_bodies(county: County) -> dict[tuple[str, str], dict]:
    """Valid bodies of the registry's write endpoints (test_isolation uses them too)."""
    grid = county.grids[0].id
    return {
        ("POST", "/people"): {"name": "越界", "grid_id": grid},
        ("POST", "/people/search"): {"q": "越界"},
        ("POST", "/people/export"): {"q": "越界"},
        ("PATCH", "/people/<int:person_id>"): {"name": "越界"},
        ("POST", "/people/<int:person_id>/unmask"): {"field": "phone", "reason": "核实"},
        ("POST", "/people/<int:person_id>/tags"): {"tag": "disabled"},
        ("DELETE", "/people/<int:person_id>/tags/<tag>"): None,
        ("POST", "/people/merge"): {"keep_id": 1, "duplicate_id": 2},
        ("POST", "/dwellings"): {"grid_id": grid, "address": "越界路 1 号"},
        ("POST", "/dwellings/<int:dwelling_id>/move"): {"grid_id": grid},
        ("POST", "/households"): {"dwelling_id": 1},
        ("POST", "/households/<int:household_id>/visits"): {"notes": "越界"},
        ("POST", "/sites"): {"grid_id": grid, "name": "越界", "kind": "shop"},
        ("PATCH", "/sites/<int:site_id>"): {"latitude": 30.0, "longitude": 120.0},
        ("POST", "/registry/imports"): {},  # multipart: refused before the body is read
        ("POST", "/compounds"): {"node_id": grid, "name": "越界小区"},
        ("POST", "/buildings"): {"node_id": grid, "name": "越界楼"},
        ("POST", "/rentals"): {"dwelling_id": 1, "landlord_id": 1, "starts_on": "2026-01-01"},
        ("POST", "/people/exports"): {},
    }


def registry_endpoints(app):
    """(method, rule relative to the API) of every registry endpoint with an object id."""
    for rule in app.url_map.iter_rules():
        if (
            rule.endpoint.startswith("registry.")
            and "_id>" in rule.rule
            and "run_id" not in rule.rule
            and "export_id" not in rule.rule
        ):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule.removeprefix(API)


def fill(rule: str, records: Records) -> str:
    path = (
        rule.replace("<int:person_id>", str(records.person))
        .replace("<int:dwelling_id>", str(records.dwelling))
        .replace("<int:household_id>", str(records.household))
        .replace("<int:site_id>", str(records.site))
        .replace("<int:compound_id>", str(records.compound))
        .replace("<int:building_id>", str(records.building))
        .replace("<int:rental_id>", str(records.rental))
        .replace("<tag>", "disabled")
    )
    assert "<" not in path, f"a new URL variable in {rule}: teach fill() about it"
    return path


def body(method: str, rule: str, county: County, records: Records) -> dict | None:
    if method in ("GET", "DELETE"):
        return None
    data = dict(registry_bodies(county)[(method, rule)])
    if rule == "/people/merge":
        data = {"keep_id": records.person, "duplicate_id": records.person}
    return data


def test_a_grid_worker_gets_404_for_every_record_outside_their_grid(
    app, client, county, mine, elsewhere, mint
):
    token = bearer(mint(county, county.workers[0]))
    tried = 0
    for method, rule in registry_endpoints(app):
        response = client.open(
            url(county, fill(rule, elsewhere)),
            method=method,
            json=body(method, rule, county, elsewhere),
            headers=token,
        )
        assert response.status_code == 404, f"{method} {rule}: {response.status_code}"
        tried += 1
    assert tried >= 12


def test_county_a_urls_with_registry_ids_of_county_b_are_404(
    app, client, county, other, mine, mint
):
    theirs = seed(other, 0, 5)
    token = bearer(mint(county, county.admin))
    for method, rule in registry_endpoints(app):
        response = client.open(
            url(county, fill(rule, theirs)),
            method=method,
            json=body(method, rule, county, theirs),
            headers=token,
        )
        assert response.status_code == 404, f"{method} {rule}: {response.status_code}"


def test_a_grid_worker_lists_only_the_people_dwellings_and_sites_of_their_grid(
    client, county, mine, elsewhere, mint
):
    token = bearer(mint(county, county.workers[0]))
    for path, expected in (
        ("/people", mine.person),
        ("/dwellings", mine.dwelling),
        ("/sites", mine.site),
    ):
        listed = client.get(url(county, path), headers=token).get_json()
        assert [item["id"] for item in listed] == [expected], path


def test_lists_of_county_a_never_show_county_b_people(client, county, other, mine, mint):
    seed(other, 0, 5)
    token = bearer(mint(county, county.admin))
    listed = client.get(url(county, "/people"), headers=token).get_json()
    assert [p["id"] for p in listed] == [mine.person]
    found = client.post(url(county, "/people/search"), json={"q": id_number(5)}, headers=token)
    assert found.get_json() == []


def test_people_are_answered_masked_as_the_callers_role_is_shown_them(client, county, mine, mint):
    number = id_number(1)
    supervisor = bearer(mint(county, county.supervisor))
    person = client.get(url(county, f"/people/{mine.person}"), headers=supervisor).get_json()
    assert person["id_number"] == number[:2] + "*" * 16
    assert person["phone"] == "138********"
    assert (person["birth_year"], person["sex"]) == (int(number[6:10]), "male")
    assert "birth_date" not in person
    worker = bearer(mint(county, county.workers[0]))
    person = client.get(url(county, f"/people/{mine.person}"), headers=worker).get_json()
    assert person["id_number"] == number[:6] + "*" * 12


def test_a_person_is_found_by_exact_id_number(client, county, mine, mint):
    token = bearer(mint(county, county.workers[0]))
    found = client.post(url(county, "/people/search"), json={"q": id_number(1)}, headers=token)
    assert [p["id"] for p in found.get_json()] == [mine.person]


def test_an_exact_search_is_refused_to_a_role_whose_work_does_not_need_it(
    client, county, mine, mint
):
    token = bearer(mint(county, county.supervisor))
    response = client.post(url(county, "/people/search"), json={"q": id_number(1)}, headers=token)
    assert response.status_code == 403
    body = response.get_json()
    assert (body["code"], body["status"]) == (403, "Forbidden")
    assert "请按姓名查找" in body["message"]
    by_name = client.post(url(county, "/people/search"), json={"q": "示例"}, headers=token)
    assert [p["id"] for p in by_name.get_json()] == [mine.person]


def test_exact_searches_past_the_limit_answer_429_in_the_apis_shape(
    client, county, mine, mint, app, monkeypatch
):
    monkeypatch.setitem(app.config, "GRIDGOV_EXACT_SEARCH_LIMITS", "2 per hour")
    token = bearer(mint(county, county.workers[0]))
    search = {"q": id_number(1)}
    for _ in range(2):
        found = client.post(url(county, "/people/search"), json=search, headers=token)
        assert [p["id"] for p in found.get_json()] == [mine.person]
    refused = client.post(url(county, "/people/search"), json=search, headers=token)
    assert refused.status_code == 429
    body = refused.get_json()
    assert (body["code"], body["status"]) == (429, "Too Many Requests")
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "60 分钟内最多 2 次" in body["message"]
    assert "60 分钟内最多 2 次" in body["errors"]["json"]["q"][0]
    export = client.post(url(county, "/people/export"), json=search, headers=token)
    assert export.status_code == 429  # an export of an exact search is one too
    by_name = client.post(url(county, "/people/search"), json={"q": "示例"}, headers=token)
    assert by_name.status_code == 200


def test_an_exact_search_is_audited_with_a_hash_never_the_value(client, county, mine, mint):
    worker = bearer(mint(county, county.workers[0]))
    client.post(url(county, "/people/search"), json={"q": "13812345678"}, headers=worker)
    auditor = bearer(mint(county, county.auditor))
    events = client.get(
        url(county, "/audit"), query_string={"action": "person.search_exact"}, headers=auditor
    ).get_json()
    (event,) = events
    assert event["actor_name"].startswith(county.workers[0].name)
    assert event["after"]["field"] == "phone"
    assert (event["after"]["results"], event["after"]["people"]) == (1, [mine.person])
    assert len(event["after"]["search_hash"]) == 64
    assert "12345678" not in str(event)


def test_an_id_number_or_phone_in_a_url_is_refused(client, county, mine, mint):
    token = bearer(mint(county, county.workers[0]))
    for q in (id_number(1), "13812345678"):
        response = client.get(url(county, "/people"), query_string={"q": q}, headers=token)
        assert response.status_code == 422
        assert "POST /people/search" in response.get_json()["errors"]["query"]["q"][0]


def test_a_role_without_the_right_cannot_unmask(client, county, mine, mint):
    token = bearer(mint(county, county.supervisor))
    response = client.post(
        url(county, f"/people/{mine.person}/unmask"),
        json={"field": "phone", "reason": "核实"},
        headers=token,
    )
    assert response.status_code == 403


def test_a_token_without_the_unmask_scope_cannot_unmask(client, county, mine, mint):
    token = bearer(mint(county, county.admin, scopes=["registry:read", "registry:write"]))
    response = client.post(
        url(county, f"/people/{mine.person}/unmask"),
        json={"field": "id_number", "reason": "核实"},
        headers=token,
    )
    assert response.status_code == 403


def test_unmasking_answers_the_value_and_writes_who_and_why_to_the_audit_log(
    client, county, mine, mint
):
    token = bearer(mint(county, county.admin))
    response = client.post(
        url(county, f"/people/{mine.person}/unmask"),
        json={"field": "id_number", "reason": "办理低保核实"},
        headers=token,
    )
    assert response.status_code == 200
    assert response.get_json() == {"field": "id_number", "value": id_number(1)}
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "person.unmask")
        ).one()
        assert (event.actor_id, event.object_id) == (county.admin.id, str(mine.person))
        assert event.after == {"field": "id_number", "reason": "办理低保核实"}


def test_an_invalid_id_number_is_a_field_error_and_nothing_is_stored(client, county, mint):
    token = bearer(mint(county, county.workers[0]))
    response = client.post(
        url(county, "/people"),
        json={"name": "错号", "grid_id": county.grids[0].id, "id_number": "110101198001011233"},
        headers=token,
    )
    assert response.status_code == 422
    assert "id_number" in response.get_json()["errors"]["json"]
    assert client.get(url(county, "/people"), headers=token).get_json() == []


def test_an_id_number_already_registered_is_409(client, county, mine, mint):
    token = bearer(mint(county, county.workers[0]))
    response = client.post(
        url(county, "/people"),
        json={"name": "重复", "grid_id": county.grids[0].id, "id_number": id_number(1)},
        headers=token,
    )
    assert response.status_code == 409
    assert "id_number" in response.get_json()["errors"]["json"]


def test_a_grid_worker_adds_a_member_tags_them_and_records_a_visit(client, county, mine, mint):
    token = bearer(mint(county, county.workers[0]))
    member = client.post(
        url(county, "/people"),
        json={
            "name": "示例老人",
            "household_id": mine.household,
            "relation": "parent",
            "id_number": id_number(9, year=1940),
        },
        headers=token,
    )
    assert member.status_code == 201, member.get_json()
    person_id = member.get_json()["id"]
    tagged = client.post(
        url(county, f"/people/{person_id}/tags"), json={"tag": "empty_nest_elderly"}, headers=token
    )
    assert tagged.get_json()["tags"] == ["empty_nest_elderly"]
    due = client.get(url(county, "/visits/due"), headers=token).get_json()
    assert [d["person"]["id"] for d in due] == [person_id]
    visit = client.post(
        url(county, f"/households/{mine.household}/visits"),
        json={"notes": "身体硬朗"},
        headers=token,
    )
    assert visit.status_code == 201
    assert client.get(url(county, "/visits/due"), headers=token).get_json() == []
    dwelling = client.get(url(county, f"/dwellings/{mine.dwelling}"), headers=token).get_json()
    assert {m["name"] for m in dwelling["households"][0]["members"]} == {"示例1", "示例老人"}


def test_volunteers_see_no_residents(client, county, mine, mint):
    token = bearer(mint(county, county.volunteer))
    assert client.get(url(county, "/people"), headers=token).status_code == 403


def test_history_of_a_person_shows_masked_old_and_new_phone(client, county, mine, mint):
    token = bearer(mint(county, county.workers[0]))
    client.patch(
        url(county, f"/people/{mine.person}"), json={"phone": "13900001111"}, headers=token
    )
    changes = client.get(url(county, f"/people/{mine.person}/history"), headers=token).get_json()
    phone = [c for c in changes if c["field"] == "phone"]
    assert [(c["old_value"], c["new_value"]) for c in phone] == [("138********", "139********")]


def test_changed_records_are_counted_per_grid(client, county, mine, elsewhere, mint):
    token = bearer(mint(county, county.workers[0]))
    counts = client.get(
        url(county, "/registry/changes?start=2000-01-01T00:00:00&end=2100-01-01T00:00:00"),
        headers=token,
    ).get_json()
    assert counts == [{"grid_id": county.grids[0].id, "records": 3}]


def test_quality_figures_are_404_for_a_node_outside_the_callers_scope(client, county, mine, mint):
    token = bearer(mint(county, county.workers[0]))
    ok = client.get(url(county, f"/registry/quality?node_id={county.grids[0].id}"), headers=token)
    assert ok.status_code == 200 and ok.get_json()["people"] == 1
    other = client.get(url(county, f"/registry/quality?node_id={county.top.id}"), headers=token)
    assert other.status_code == 404


def test_a_grid_worker_walks_from_compound_to_building_to_unit_to_dwelling(
    client, county, mine, elsewhere, mint
):
    token = bearer(mint(county, county.workers[0]))
    compounds = client.get(url(county, "/compounds"), headers=token).get_json()
    assert [c["id"] for c in compounds] == [mine.compound]
    compound = client.get(url(county, f"/compounds/{mine.compound}"), headers=token).get_json()
    assert [b["id"] for b in compound["buildings"]] == [mine.building]
    building = client.get(url(county, f"/buildings/{mine.building}"), headers=token).get_json()
    assert [u["unit"] for u in building["units"]] == ["1单元"]
    assert [d["id"] for d in building["units"][0]["dwellings"]] == [mine.dwelling]


def test_a_compound_filed_under_the_community_is_seen_by_its_grid_workers(client, county, mint):
    admin, worker = bearer(mint(county, county.admin)), bearer(mint(county, county.workers[0]))
    created = client.post(
        url(county, "/compounds"),
        json={"node_id": county.communities[0].id, "name": "幸福小区"},
        headers=admin,
    )
    assert created.status_code == 201
    building = client.post(
        url(county, "/buildings"),
        json={
            "node_id": county.grids[0].id,
            "compound_id": created.get_json()["id"],
            "name": "3号楼",
        },
        headers=worker,
    )
    assert building.status_code == 201, building.get_json()
    dwelling = client.post(
        url(county, "/dwellings"),
        json={
            "grid_id": county.grids[0].id,
            "building_id": building.get_json()["id"],
            "address": "幸福小区 3号楼 2单元 301",
            "unit": "2单元",
            "number": "301",
        },
        headers=worker,
    )
    assert dwelling.status_code == 201, dwelling.get_json()
    assert [
        c["name"] for c in client.get(url(county, "/compounds"), headers=worker).get_json()
    ] == ["幸福小区"]


def test_a_building_outside_its_compounds_node_is_a_field_error(client, county, mine, mint):
    token = bearer(mint(county, county.admin))
    response = client.post(
        url(county, "/buildings"),
        json={"node_id": county.grids[3].id, "compound_id": mine.compound, "name": "2号楼"},
        headers=token,
    )
    assert response.status_code == 422
    assert "node_id" in response.get_json()["errors"]["json"]


def test_a_rental_records_landlord_renters_and_lease_period(client, county, mine, mint):
    token = bearer(mint(county, county.workers[0]))
    renter = client.post(
        url(county, "/people"),
        json={"name": "示例租客", "grid_id": county.grids[0].id, "residence_type": "floating"},
        headers=token,
    ).get_json()
    created = client.post(
        url(county, "/rentals"),
        json={
            "dwelling_id": mine.dwelling,
            "landlord_id": mine.person,
            "occupant_ids": [renter["id"]],
            "starts_on": "2026-03-01",
            "ends_on": "2027-02-28",
        },
        headers=token,
    )
    assert created.status_code == 201, created.get_json()
    leases = client.get(
        url(county, f"/rentals?dwelling_id={mine.dwelling}"), headers=token
    ).get_json()
    latest = leases[0]
    assert (latest["landlord_id"], latest["occupant_ids"]) == (mine.person, [renter["id"]])
    assert (latest["starts_on"], latest["ends_on"]) == ("2026-03-01", "2027-02-28")
    assert client.get(url(county, f"/dwellings/{mine.dwelling}"), headers=token).get_json()[
        "is_rental"
    ]


def test_a_lease_ending_before_it_starts_is_a_field_error(client, county, mine, mint):
    token = bearer(mint(county, county.workers[0]))
    response = client.post(
        url(county, "/rentals"),
        json={
            "dwelling_id": mine.dwelling,
            "landlord_id": mine.person,
            "starts_on": "2026-03-01",
            "ends_on": "2026-02-01",
        },
        headers=token,
    )
    assert response.status_code == 422
    assert "ends_on" in response.get_json()["errors"]["json"]


def test_a_renter_outside_the_grid_workers_scope_is_404(client, county, mine, elsewhere, mint):
    token = bearer(mint(county, county.workers[0]))
    response = client.post(
        url(county, "/rentals"),
        json={
            "dwelling_id": mine.dwelling,
            "landlord_id": mine.person,
            "occupant_ids": [elsewhere.person],
            "starts_on": "2026-03-01",
        },
        headers=token,
    )
    assert response.status_code == 404


def test_people_are_filtered_by_residence_type_and_a_wrong_one_is_named(client, county, mine, mint):
    token = bearer(mint(county, county.workers[0]))
    floating = client.post(
        url(county, "/people"),
        json={"name": "示例流动", "grid_id": county.grids[0].id, "residence_type": "floating"},
        headers=token,
    ).get_json()
    listed = client.get(url(county, "/people?residence_type=floating"), headers=token)
    assert [p["id"] for p in listed.get_json()] == [floating["id"]]
    registered = client.get(url(county, "/people?residence_type=registered"), headers=token)
    assert [p["id"] for p in registered.get_json()] == [mine.person]
    searched = client.post(
        url(county, "/people/search"), json={"residence_type": "floating"}, headers=token
    )
    assert [p["id"] for p in searched.get_json()] == [floating["id"]]
    wrong = client.get(url(county, "/people?residence_type=tourist"), headers=token)
    assert wrong.status_code == 422
    assert "residence_type" in wrong.get_json()["errors"]["query"]


def test_a_site_is_registered_and_placed_with_a_position_both_coordinates_or_none(
    client, county, mine, mint
):
    token = bearer(mint(county, county.workers[0]))
    made = client.post(
        url(county, "/sites"),
        json={
            "grid_id": county.grids[0].id,
            "name": "示例加油站",
            "kind": "enterprise",
            "is_key": True,
            "latitude": 30.01,
            "longitude": 120.02,
        },
        headers=token,
    )
    assert made.status_code == 201
    assert (made.get_json()["latitude"], made.get_json()["longitude"]) == (30.01, 120.02)
    site = url(county, f"/sites/{mine.site}")
    half = client.patch(site, json={"latitude": 30.0, "longitude": None}, headers=token)
    assert half.status_code == 422 and "latitude" in half.get_json()["errors"]["json"]
    wrong = client.patch(site, json={"latitude": 30.0, "longitude": 181}, headers=token)
    assert wrong.status_code == 422 and "longitude" in wrong.get_json()["errors"]["json"]
    placed = client.patch(site, json={"latitude": 30.0, "longitude": 120.0}, headers=token)
    assert placed.status_code == 200 and placed.get_json()["latitude"] == 30.0
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "site.place")).one()
    assert event.before == {"latitude": None, "longitude": None}
    assert event.after == {"latitude": 30.0, "longitude": 120.0}
    cleared = client.patch(site, json={"latitude": None, "longitude": None}, headers=token)
    assert cleared.status_code == 200 and cleared.get_json()["latitude"] is None
