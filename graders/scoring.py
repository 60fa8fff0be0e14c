"""Marks arithmetic. Pure functions, no I/O: every total in every report comes from here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class _HasAwarded(Protocol):
    @property
    def awarded(self) -> float: ...

    marks: float


def awarded_marks(*, marks: float, fraction: float) -> float:
    """Marks earned for a check worth `marks` at credit `fraction` (clamped to [0, 1])."""
    fraction = min(max(float(fraction), 0.0), 1.0)
    return round(marks * fraction, 2)


def part_marks(checks: Iterable[_HasAwarded]) -> float:
    return round(sum(c.awarded for c in checks), 2)


def total_marks(parts: Iterable[_HasAwarded]) -> float:
    return round(sum(p.awarded for p in parts), 2)


def total_available(parts: Iterable[_HasAwarded]) -> float:
    return round(sum(p.marks for p in parts), 2)

