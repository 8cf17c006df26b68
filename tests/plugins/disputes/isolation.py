"""What tests/api/test_isolation.py needs to try the dispute module's endpoints: a valid body
for each write."""

from __future__ import annotations

import datetime as dt

PREFIX = "/modules/disputes/cases"


def disputes_bodies(county) -> dict[tuple[str, str], dict | None]:
    today = dt.date(2026, 5, 8).isoformat()
    return {
        ("POST", PREFIX): {"node_id": county.grids[0].id, "title": "越界", "kind": "neighbour"},
        ("POST", f"{PREFIX}/<int:case_id>/parties"): {"role": "applicant", "name": "越界"},
        ("POST", f"{PREFIX}/<int:case_id>/sessions"): {
            "held_on": today,
            "mediator": "越界",
            "notes": "越界",
        },
        ("POST", f"{PREFIX}/<int:case_id>/agreement"): {"text": "越界", "signed_on": today},
        ("POST", f"{PREFIX}/<int:case_id>/steps"): {"action": "confirm"},
        ("POST", f"{PREFIX}/<int:case_id>/outcome"): {"outcome": "resolved", "note": "越界"},
        ("POST", f"{PREFIX}/<int:case_id>/follow-ups"): {
            "visited_on": today,
            "is_kept": True,
            "note": "越界",
        },
    }
