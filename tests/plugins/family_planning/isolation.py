"""What tests/api/test_isolation.py needs to try the family-planning module's endpoints: a
valid body for each write."""

from __future__ import annotations

PREFIX = "/modules/family_planning"


def family_planning_bodies(county) -> dict[tuple[str, str], dict | None]:
    return {
        ("POST", f"{PREFIX}/targets"): {"person_id": 1, "kind": "woman"},
        ("POST", f"{PREFIX}/targets/<int:target_id>/follow-ups"): {
            "data": {"visited_on": "2026-05-08", "condition": "good", "notes": "越界"}
        },
        ("POST", f"{PREFIX}/births"): {
            "mother_id": 1,
            "child_name": "越界",
            "sex": "female",
            "born_on": "2026-05-08",
            "place_of_birth": "越界",
        },
        ("POST", f"{PREFIX}/births/<int:birth_id>/child"): {"child_id": 1},
        ("POST", f"{PREFIX}/entitlements"): {"person_id": 1, "scheme": "reward"},
        ("POST", f"{PREFIX}/entitlements/<int:entitlement_id>/steps"): {"action": "check"},
    }
