"""Departments (职能部门): the organisations that take dispatched work and run modules."""
