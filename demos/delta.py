"""Placeholder: filled in by the demos work."""
DEMOS = []
