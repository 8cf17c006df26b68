"""What tests/api/test_isolation.py needs to try the fire-safety module's endpoints: a valid
body for each write."""

from __future__ import annotations

PREFIX = "/modules/fire_safety"


def fire_safety_bodies(county) -> dict[tuple[str, str], dict | None]:
    grid = county.grids[0].id
    return {
        ("POST", f"{PREFIX}/hazards"): {"node_id": grid, "place": "越界", "grade": "general"},
        ("POST", f"{PREFIX}/hazards/<int:hazard_id>/publish"): None,
        ("POST", f"{PREFIX}/patrols"): {
            "form": "fire_safety.patrol_shop",
            "node_id": grid,
            "data": {},
        },
        ("POST", f"{PREFIX}/ability-checks"): {
            "form": "fire_safety.four_abilities",
            "node_id": grid,
            "data": {},
        },
    }
