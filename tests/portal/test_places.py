"""Places pages: compounds → buildings → units → dwellings and sites with the key-site flag,
registered in scope; what lies outside the user's scope or county is 404."""

from __future__ import annotations

from gridgov.core.db import db_session, set_tenant
from gridgov.core.registry import service as registry
from tests.portal.conftest import login, make_county, post_form

BASE = "/t/changshan"


def make_site(app, county, grid_index: int, name: str, *, is_key: bool = False) -> int:
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        site = registry.create_site(
            session,
            county.tenant,
            None,
            grid=county.grids[grid_index],
            name=name,
            kind="market",
            contact_phone="13812345678",
            is_key=is_key,
        )
        session.commit()
        return site.id


def test_a_grid_worker_registers_a_building_and_a_dwelling_unit_by_unit(app, client, county):
    login(client, "changshan", county.admin.username)
    created = post_form(
        client,
        f"{BASE}/compounds",
        f"{BASE}/compounds",
        {"name": "幸福小区", "address": "幸福路", "node": str(county.grids[0].id)},
    )
    assert created.status_code == 302
    compound = created.headers["Location"]
    client = app.test_client()  # the compound's community grid worker
    login(client, "changshan", county.workers[0].username)
    building = post_form(
        client, compound, compound, {"name": "3号楼", "node": str(county.grids[0].id)}
    )
    assert building.status_code == 302
    page = building.headers["Location"]
    dwelling = post_form(
        client,
        page,
        page,
        {
            "unit": "2单元",
            "number": "301",
            "address": "幸福小区 3号楼 2单元 301",
            "node": str(county.grids[0].id),
        },
    )
    assert dwelling.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "2单元" in html and "301" in html
    assert "3号楼" in client.get(compound).get_data(as_text=True)


def test_a_grid_outside_the_workers_scope_is_not_offered(client, county):
    login(client, "changshan", county.workers[0].username)
    refused = post_form(
        client,
        f"{BASE}/compounds",
        f"{BASE}/compounds",
        {"name": "越界小区", "node": str(county.grids[3].id)},
    )
    assert refused.status_code == 422
    assert (
        "越界小区" not in client.get(f"{BASE}/compounds").get_data(as_text=True).split("</ul>")[0]
    )


def test_key_sites_are_listed_apart_and_opened_with_a_masked_phone(app, client, county):
    make_site(app, county, 0, "示例菜市场", is_key=True)
    shop = make_site(app, county, 0, "示例小卖部")
    login(client, "changshan", county.workers[0].username)
    key_only = client.get(f"{BASE}/sites?key=1").get_data(as_text=True)
    assert "示例菜市场" in key_only and "示例小卖部" not in key_only
    opened = client.get(f"{BASE}/sites/{shop}").get_data(as_text=True)
    assert "138********" in opened and "13812345678" not in opened


def test_a_worker_registers_a_key_site_and_a_bad_phone_is_marked(client, county):
    login(client, "changshan", county.workers[0].username)
    data = {"name": "示例学校", "kind": "school", "node": str(county.grids[0].id), "is_key": "y"}
    refused = post_form(
        client, f"{BASE}/sites/new", f"{BASE}/sites/new", {**data, "contact_phone": "12345"}
    )
    assert refused.status_code == 422
    assert 'id="contact_phone-error"' in refused.get_data(as_text=True)
    created = post_form(client, f"{BASE}/sites/new", f"{BASE}/sites/new", data)
    assert created.status_code == 302
    assert "重点单位场所" in client.get(created.headers["Location"]).get_data(as_text=True)


def test_sites_outside_the_scope_or_county_are_404(app, client, county):
    theirs = make_site(app, make_county(app, "lishui"), 0, "外县市场")
    elsewhere = make_site(app, county, 3, "别的网格市场")
    login(client, "changshan", county.workers[0].username)
    assert client.get(f"{BASE}/sites/{elsewhere}").status_code == 404
    assert client.get(f"{BASE}/sites/{theirs}").status_code == 404
    assert "别的网格市场" not in client.get(f"{BASE}/sites").get_data(as_text=True)


def test_compounds_and_buildings_outside_the_scope_are_404(app, client, county):
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        compound = registry.create_compound(session, None, node=county.grids[3], name="远处小区")
        building = registry.create_building(
            session, None, node=county.grids[3], name="1号楼", compound=compound
        )
        ids = compound.id, building.id
        session.commit()
    login(client, "changshan", county.workers[0].username)
    assert client.get(f"{BASE}/compounds/{ids[0]}").status_code == 404
    assert client.get(f"{BASE}/buildings/{ids[1]}").status_code == 404
    volunteer = app.test_client()
    login(volunteer, "changshan", county.volunteer.username)
    assert volunteer.get(f"{BASE}/compounds").status_code == 404
