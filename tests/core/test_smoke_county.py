from tests.factories import build_county


def test_build_county_gives_each_grid_one_worker(session):
    county = build_county(session)
    assert len(county.grids) == 8
    assert len(county.workers) == 8
