"""Accounts: staff users of a county, platform operators, roles, node assignments, API tokens."""
