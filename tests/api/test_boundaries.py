"""``POST /nodes/boundaries``: a county imports its grids' boundaries from a file, first as a
dry run that reports, then for real; each stored boundary is a new version of its node."""

from __future__ import annotations

import io
import json

from tests.api.bearer import bearer, url


def square(x: float, y: float, size: float = 0.01) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def collection(*features: tuple[str, dict]) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"code": code}, "geometry": geometry}
                for code, geometry in features
            ],
        }
    ).encode()


def upload(client, county, token, data: bytes, name="grids.geojson", query=""):
    return client.post(
        url(county, f"/nodes/boundaries{query}"),
        data={"file": (io.BytesIO(data), name)},
        headers=token,
        content_type="multipart/form-data",
    )


def test_a_dry_run_reports_and_a_real_run_stores_a_version(client, county, mint):
    admin = bearer(mint(county, county.admin))
    data = collection((county.grids[0].code, square(120, 30)), ("NO-SUCH", square(121, 31)))
    report = upload(client, county, admin, data)
    assert report.status_code == 200, report.get_json()
    body = report.get_json()
    assert (body["matched"], body["stored"]) == ([county.grids[0].code], False)
    assert body["unmatched"][0]["code"] == "NO-SUCH" and body["unmatched"][0]["feature"] == 2
    node = url(county, f"/nodes/{county.grids[0].id}")
    assert client.get(node, headers=admin).get_json()["boundary"] is None

    stored = upload(client, county, admin, data, query="?dry_run=false").get_json()
    assert stored["stored"] is True and stored["changed"] == [county.grids[0].code]
    assert client.get(node, headers=admin).get_json()["boundary"] == square(120, 30)
    history = client.get(f"{node}/history", headers=admin).get_json()
    assert [(v["change"], v["boundary"]) for v in history] == [
        ("create", None),
        ("boundary", square(120, 30)),
    ]


def test_a_grid_worker_may_not_redraw_even_their_own_grid(client, county, mint):
    worker = bearer(mint(county, county.workers[0]))
    data = collection((county.grids[0].code, square(120, 30)))
    body = upload(client, county, worker, data, query="?dry_run=false").get_json()
    assert body["matched"] == [] and body["unmatched"][0]["code"] == county.grids[0].code


def test_another_countys_codes_are_unmatched(client, county, other, mint):
    admin = bearer(mint(county, county.admin))
    data = collection((other.grids[0].code, square(120, 30)))
    body = upload(client, county, admin, data).get_json()
    assert body["matched"] == [] and [p["code"] for p in body["unmatched"]] == [other.grids[0].code]


def test_an_unreadable_file_is_a_422_on_the_file_field(client, county, mint):
    admin = bearer(mint(county, county.admin))
    response = upload(client, county, admin, b"{not json")
    assert response.status_code == 422
    assert "不是有效的 GeoJSON" in json.dumps(response.get_json(), ensure_ascii=False)
    assert "file" in json.dumps(response.get_json()["errors"])
    missing = client.post(
        url(county, "/nodes/boundaries"), data={}, headers=admin, content_type="multipart/form-data"
    )
    assert missing.status_code == 422


def test_stored_boundaries_have_the_county_map_s_outlines_merged_at_once(client, county, mint):
    from sqlalchemy import select

    from gridgov.core.db import db_session, tenant_scope
    from gridgov.core.maps.models import NodeOutline

    def merged() -> dict:
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            return dict(session.execute(select(NodeOutline.node_id, NodeOutline.outline)).all())

    admin = bearer(mint(county, county.admin))
    data = collection((county.grids[0].code, square(120, 30)))
    upload(client, county, admin, data)  # a dry run changes nothing
    assert merged() == {}
    upload(client, county, admin, data, query="?dry_run=false")
    first = merged()
    assert set(first) == {t.id for t in county.townships}
    assert first[county.townships[0].id]["type"] == "Polygon"
    assert first[county.townships[1].id] is None  # none of its grids has a boundary yet
    node = url(county, f"/nodes/{county.grids[4].id}")
    assert client.patch(node, json={"boundary": square(121, 30)}, headers=admin).status_code == 200
    assert merged()[county.townships[1].id]["type"] == "Polygon"
