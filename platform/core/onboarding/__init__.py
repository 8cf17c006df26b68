"""Onboarding: setting a county up and keeping it as its manifest says (tenant, levels, node
tree, staff, departments, modules, rule table, calendar). It sits above tenancy, accounts,
hierarchy and the task engine, and is the one place that changes them together."""
