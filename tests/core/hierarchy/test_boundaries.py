"""Boundaries imported from the files counties have (GeoJSON, KML/KMZ, a zipped shapefile):
matched to nodes by code, with a dry run that reports unmatched features, invalid and
overlapping polygons and gaps, and a real run that stores each good one as a new version."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import shapefile

from gridgov.core.errors import DomainError
from gridgov.core.hierarchy import boundaries
from gridgov.core.hierarchy import service as hierarchy
from tests.factories import build_county

BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def square(x: float, y: float, size: float = 0.01) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def geojson(*features: tuple[str | None, dict | None]) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"编码": code}, "geometry": geometry}
                for code, geometry in features
            ],
        }
    ).encode()


def kml(*features: tuple[str, dict]) -> bytes:
    placemarks = "".join(
        f"<Placemark><name>网格</name><ExtendedData><Data name='code'><value>{code}</value>"
        "</Data></ExtendedData><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        + " ".join(f"{x},{y}" for x, y in geometry["coordinates"][0])
        + "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        for code, geometry in features
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><Folder>{placemarks}</Folder></Document></kml>"
    ).encode()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def shapefile_zip(*features: tuple[str, dict], prj: str = 'GEOGCS["GCS_WGS_1984"]') -> bytes:
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as writer:
        writer.field("WGBM", "C", size=40)
        for code, geometry in features:
            writer.poly(geometry["coordinates"])
            writer.record(code)
    return zipped(
        {
            "grids.shp": shp.getvalue(),
            "grids.shx": shx.getvalue(),
            "grids.dbf": dbf.getvalue(),
            "grids.prj": prj.encode(),
            "grids.cpg": b"UTF-8",
        }
    )


@pytest.fixture
def county(session):
    county = build_county(session)
    # The first community's outline: two grids side by side fill it.
    hierarchy.update_node(session, None, county.communities[0], boundary=square(120, 30, 0.02))
    return county


def run(session, county, name, data, **kwargs):
    return boundaries.import_boundaries(
        session, None, name, data, may_change=lambda node: True, **kwargs
    )


def test_a_dry_run_reports_every_problem_and_stores_nothing(session, county):
    grids = county.grids
    data = geojson(
        (grids[0].code, square(120, 30)),
        (grids[1].code, square(120.005, 30.0)),  # overlaps half of grid 0, leaves a gap
        ("NO-SUCH", square(121, 31)),
        (None, square(121, 31)),
        (grids[2].code, BOWTIE),
        (grids[0].code, square(120, 30)),  # the same node twice
    )
    report = run(session, county, "grids.geojson", data)
    assert (report.format, report.features, report.stored) == ("geojson", 6, False)
    assert report.matched == [grids[0].code, grids[1].code]
    assert [(p.feature, p.code) for p in report.unmatched] == [(3, "NO-SUCH"), (4, None)]
    assert [(p.feature, p.code) for p in report.invalid] == [(5, grids[2].code), (6, grids[0].code)]
    assert "无效" in report.invalid[0].reason and "第 1 个要素" in report.invalid[1].reason
    assert [(o.codes, o.share) for o in report.overlaps] == [((grids[0].code, grids[1].code), 0.5)]
    assert [(g.code, g.share) for g in report.gaps] == [(county.communities[0].code, 0.625)]
    assert county.grids[0].boundary is None  # nothing stored


def test_a_real_run_stores_each_good_boundary_as_a_new_version(session, county):
    grids = county.grids
    data = geojson((grids[0].code, square(120, 30)), (grids[1].code, square(120.01, 30)))
    report = run(session, county, "grids.json", data, dry_run=False)
    assert report.stored and report.changed == [grids[0].code, grids[1].code]
    assert report.overlaps == [] and report.without_boundary == []
    assert [(g.code, g.share) for g in report.gaps] == [(county.communities[0].code, 0.5)]
    assert grids[0].boundary == square(120, 30)
    assert [v.change for v in hierarchy.history(session, grids[0])] == ["create", "boundary"]
    again = run(session, county, "grids.json", data, dry_run=False)
    assert again.matched == [grids[0].code, grids[1].code] and again.changed == []


def test_kml_kmz_and_a_zipped_shapefile_are_read_alike(session, county):
    grids = county.grids
    features = ((grids[0].code, square(120, 30)), (grids[1].code, square(120.01, 30)))
    for name, data in (
        ("grids.kml", kml(*features)),
        ("grids.kmz", zipped({"doc.kml": kml(*features)})),
        ("grids.zip", shapefile_zip(*features)),
    ):
        report = run(session, county, name, data)
        assert report.matched == [grids[0].code, grids[1].code], name
        assert report.unmatched == [] and report.invalid == [] and report.overlaps == [], name


def test_a_node_the_importer_may_not_change_is_reported_as_unmatched(session, county):
    data = geojson((county.grids[0].code, square(120, 30)))
    report = boundaries.import_boundaries(
        session, None, "grids.geojson", data, may_change=lambda node: False, dry_run=False
    )
    assert report.matched == [] and [p.code for p in report.unmatched] == [county.grids[0].code]
    assert county.grids[0].boundary is None


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("grids.shp", b"x", "不支持的文件格式"),
        ("grids.geojson", b"{not json", "不是有效的 GeoJSON"),
        ("grids.geojson", b'{"type": "Point"}', "FeatureCollection"),
        ("grids.kml", b'<!DOCTYPE kml [<!ENTITY x "y">]><kml/>', "DOCTYPE"),
        ("grids.kml", b"<kml><Document>", "不是有效的 KML"),
        ("grids.zip", b"PK not a zip", "不是有效的 zip"),
        ("grids.zip", zipped({"readme.txt": b"x"}), ".shp 和 .dbf"),
        ("grids.zip", shapefile_zip(prj='PROJCS["CGCS2000_3_Degree_GK_CM_111E"]'), "投影坐标系"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_on_the_file_field(
    session, county, name, data, fragment
):
    with pytest.raises(DomainError) as refused:
        run(session, county, name, data)
    assert refused.value.field == "file" and fragment in str(refused.value.message)


def test_a_gap_is_measured_against_the_parents_outline_the_same_file_draws(session, county):
    grids, community = county.grids, county.communities[0]
    data = geojson(
        (community.code, square(120, 30, 0.02)),  # the same outline as before …
        (grids[0].code, square(120, 30)),
        (grids[1].code, square(120.01, 30)),
    )
    assert [g.share for g in run(session, county, "a.geojson", data).gaps] == [0.5]
    redrawn = geojson(  # … and the outline shrunk to the two grids: no gap left
        (
            community.code,
            {
                "type": "Polygon",
                "coordinates": [
                    [[120, 30], [120.02, 30], [120.02, 30.01], [120, 30.01], [120, 30]]
                ],
            },
        ),
        (grids[0].code, square(120, 30)),
        (grids[1].code, square(120.01, 30)),
    )
    assert run(session, county, "b.geojson", redrawn).gaps == []


def test_the_boundaries_stamp_is_the_countys_newest_version_whatever_another_county_does(
    session, county
):
    from gridgov.core.db import set_tenant
    from gridgov.core.hierarchy.locate import boundaries_stamp

    mine = boundaries_stamp(session)
    assert mine[0] is not None
    other = build_county(session, "baishui")  # newer versions, all another county's
    theirs = boundaries_stamp(session)
    assert theirs[0] > mine[0]
    set_tenant(session, county.tenant.id)
    assert boundaries_stamp(session) == mine
    hierarchy.update_node(session, None, county.grids[0], boundary=square(120, 30))
    changed = boundaries_stamp(session)
    assert changed != mine and changed[0] > mine[0]
    set_tenant(session, other.tenant.id)
    assert boundaries_stamp(session) == theirs  # county B's stamp did not move
