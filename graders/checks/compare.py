"""Comparing a student's array with an expected one: shape and dtype first, then non-finite
values, then values with explicit rtol/atol, with a small table of the worst entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Comparison:
    ok: bool
    summary: str  # one line: what is wrong, or "matches"
    table: str = ""  # the worst entries, for the report
    problem: str = ""  # "type", "shape", "nonfinite", "values", or "" when ok
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return f"{self.summary}\n{self.table}" if self.table else self.summary


def as_float_array(value: Any) -> np.ndarray | None:
    """The value as a float64 array, or None when it is not numeric data."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value.astype(np.float64)
    if isinstance(value, list):
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return None
        return array
    return None


def describe_value(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None"
    return f"a {type(value).__name__}"


def compare_arrays(*, actual: Any, expected: np.ndarray, name: str, rtol: float, atol: float,
                   worst: int = 5) -> Comparison:
    """Compare like numpy.isclose (|a - e| <= atol + rtol * |e|), reporting what differs."""
    expected = np.asarray(expected, dtype=np.float64)
    array = as_float_array(actual)
    if array is None:
        return Comparison(False, f"{name} should be an array of shape {expected.shape}, "
                          f"but it is {describe_value(actual)}", problem="type")
    if array.shape != expected.shape:
        transposed = array.ndim == 2 and array.shape == expected.shape[::-1]
        extra = " (the transpose of the expected shape)" if transposed else ""
        return Comparison(False, f"{name} has shape {array.shape}, expected {expected.shape}"
                          f"{extra}", problem="shape", details={"shape": list(array.shape)})
    bad = ~np.isfinite(array)
    if bad.any() and array.size == 1:
        return Comparison(False, f"{name} is {float(array.ravel()[0])}, not a finite number",
                          problem="nonfinite", details={"nonfinite": 1})
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        return Comparison(False, f"{name} has {int(bad.sum())} NaN or infinite entries "
                          f"(first at index {first})", problem="nonfinite",
                          details={"nonfinite": int(bad.sum())})
    with np.errstate(over="ignore", invalid="ignore"):  # a value near 1e308 is just "wrong"
        diff = np.abs(array - expected)
        close = diff <= atol + rtol * np.abs(expected)
        rel = diff / np.maximum(np.abs(expected), atol) if diff.size else diff
    max_abs = float(diff.max()) if diff.size else 0.0
    max_rel = float(rel.max()) if diff.size else 0.0
    details = {"max_abs_error": max_abs, "max_rel_error": max_rel,
               "mismatched": int((~close).sum()), "entries": int(close.size)}
    if close.all():
        return Comparison(True, f"{name} matches (largest difference {max_abs:.2e})",
                          details=details)
    summary = (f"{name}: {details['mismatched']} of {close.size} entries differ "
               f"(largest absolute difference {max_abs:.3g}, largest relative {max_rel:.3g}; "
               f"tolerance rtol={rtol:g}, atol={atol:g})")
    return Comparison(False, summary, table=worst_entries_table(array, expected, worst),
                      problem="values", details=details)


def worst_entries_table(actual: np.ndarray, expected: np.ndarray, count: int = 5) -> str:
    diff = np.abs(actual - expected).ravel()
    order = np.argsort(diff)[::-1][:count]
    rows = [f"    {'index':<14}{'yours':>14}{'expected':>14}"]
    for flat in order:
        index = np.unravel_index(flat, actual.shape) if actual.ndim else ()
        label = str(tuple(int(i) for i in index)) if actual.ndim else "()"
        rows.append(f"    {label:<14}{actual.ravel()[flat]:>14.6g}{expected.ravel()[flat]:>14.6g}")
    return "\n".join(rows)


def gradient_array(value: Any, expected: np.ndarray) -> np.ndarray | None:
    """A student's gradient as a float array; a bias gradient given as (n,) where (1, n) is
    expected, or the other way round, is reshaped (either updates the bias)."""
    array = as_float_array(value)
    if (array is not None and array.shape != expected.shape and 1 in (array.ndim, expected.ndim)
            and array.squeeze().shape == expected.squeeze().shape):
        return array.reshape(expected.shape)
    return array


def is_transposed(array: np.ndarray | None, expected: np.ndarray, *, rtol: float,
                  atol: float) -> bool:
    """True when the array is the expected (non-square) matrix, transposed."""
    return (array is not None and array.ndim == 2 and expected.ndim == 2
            and array.shape == expected.shape[::-1] and expected.shape[0] != expected.shape[1]
            and bool(np.allclose(array.T, expected, rtol=rtol, atol=atol)))
