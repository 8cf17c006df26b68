"""Tenancy: one county (or district, banner) per tenant."""
