"""Declarative forms: modules declare forms as data; the core validates, stores and renders
submissions, keeping every version of a definition."""
