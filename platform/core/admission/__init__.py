"""Admission (准入制): a department's module goes live in a county only after the county's
review meeting approves it, possibly as a pilot in a few townships first."""
