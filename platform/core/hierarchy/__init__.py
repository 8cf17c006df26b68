"""The grid hierarchy of a county: 2–5 named levels, nodes, re-gridding with history."""
