"""Renderers: a GradeReport in, text out. No scoring happens here."""
