"""Checks: one module per kind. Each check function returns an Outcome; never raises on a
student's mistake."""
