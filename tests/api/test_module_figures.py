"""GET /module-figures: the figures of the modules the caller's county admitted."""

from __future__ import annotations

from tests.api.bearer import bearer, url
from tests.portal.test_module_figures import admit, modules  # noqa: F401  (fixture)


def test_the_api_gives_the_admitted_modules_figures(app, client, county, other, mint, modules):  # noqa: F811
    admit(app, county, "hazards")
    admit(app, county, "broken")
    got = client.get(url(county, "/module-figures"), headers=bearer(mint(county, county.admin)))
    assert got.status_code == 200
    assert [(f["module"], f["code"], f["value"], f["unit"]) for f in got.get_json()] == [
        ("hazards", "hazards.open", 367, "处"),
        ("hazards", "hazards.on_time", 92, "%"),  # the unit as the module gives it, in any locale
    ]
    elsewhere = client.get(url(other, "/module-figures"), headers=bearer(mint(other, other.admin)))
    assert elsewhere.get_json() == []
