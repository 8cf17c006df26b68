"""What tests/api/test_isolation.py needs to try the civil-affairs module's endpoints: a valid
body for each write."""

from __future__ import annotations

import datetime as dt

PREFIX = "/modules/civil_affairs"


def civil_affairs_bodies(county) -> dict[tuple[str, str], dict | None]:
    today = dt.date(2026, 5, 8).isoformat()
    person = f"{PREFIX}/people/<int:person_id>"
    return {
        ("PUT", f"{person}/record"): {"illness": "越界"},
        ("POST", f"{person}/visits"): {"visited_on": today, "condition": "good"},
        ("POST", f"{person}/assistance"): {
            "kind": "goods",
            "what": "越界",
            "given_on": today,
            "given_by": "越界",
        },
        ("POST", f"{person}/errands"): {"kind": "other", "title": "越界"},
        ("POST", f"{PREFIX}/errands/<int:errand_id>/steps"): {"action": "accept"},
    }
