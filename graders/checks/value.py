"""Kind `value`: a value the notebook defines (a variable, an attribute, an entry of either).

The value comes back from the kernel as data and is judged here: against a literal (`equals`),
against what a reference function returns (`expected`), or first run through a reference
function (`through`, e.g. a proposed input pushed through the grader's own model) and that result
compared. Tolerances are explicit (rtol, atol, as numpy.isclose).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graders.checks.base import CheckContext, Outcome
from graders.checks.compare import as_float_array, compare_arrays, describe_value
from graders.checks.registry import register
from graders.checks.schema import (
    AnyOf,
    Integer,
    ListOf,
    Number,
    Param,
    ReferenceFunction,
    Schema,
    Text,
)
from graders.kernel import get_op

NUMBERS = AnyOf(Number(), ListOf(AnyOf(Number(), ListOf(Number()))))


def _one_expectation(values: dict[str, Any]) -> tuple[str, str, str] | None:
    given = [name for name in ("equals", "expected") if values[name] not in (None, "")]
    if len(given) != 1:
        return ("equals", "give exactly one of `equals` (a literal) and `expected` (a "
                "reference function)", "add one, or remove one")
    return None


SCHEMA = Schema(
    Param("target", Text(), doc="the variable or attribute the notebook defines "
          "(`answer_2b`, `net.weights`)"),
    Param("path", ListOf(AnyOf(Integer(), Text())), [],
          "dict keys and list indices to follow into it, e.g. `[i, f]`"),
    Param("shape", ListOf(Integer(minimum=0)), [],
          "the shape the value must have, before `through` (optional)"),
    Param("through", ReferenceFunction(), "",
          "a reference.py function the value is passed to; its result is what is compared"),
    Param("equals", NUMBERS, None, "the expected number or nested list of numbers"),
    Param("expected", ReferenceFunction(), "",
          "a reference.py function of no arguments returning the expected value"),
    Param("rtol", Number(minimum=0), 1e-6, "relative tolerance"),
    Param("atol", Number(minimum=0), 1e-9, "absolute tolerance"),
    Param("name", Text(), "", "how the report names the value (default: target and path)"),
    Param("hint_through", Text(), "", "how the report names the result of `through`, e.g. "
          "`C_t`"),
    rules=(_one_expectation,),
    doc="A value the notebook defines, against a literal or a reference function.",
)

MISTAKES = ("not_defined", "crashed", "missing_entry", "wrong_type", "wrong_shape", "nonfinite",
            "wrong_values", "unusable")


def follow(value: Any, path: list[Any], name: str) -> tuple[Any, str]:
    """The entry at `path` inside a fetched value: (entry, '') or (None, what is missing)."""
    where = name
    for step in path:
        if isinstance(value, dict) and str(step) in value:
            value = value[str(step)]
        elif isinstance(value, list | tuple) and isinstance(step, int) \
                and -len(value) <= step < len(value):
            value = value[step]
        else:
            held = (", ".join(repr(k) for k in list(value)[:10]) if isinstance(value, dict)
                    else f"{len(value)} items" if isinstance(value, list | tuple)
                    else describe_value(value))
            return None, f"{where} has no entry {step!r} (it holds {held or 'nothing'})"
        where = f"{where}[{step!r}]"
    return value, ""


def judge_value(actual: Any, expected: Any, *, name: str, rtol: float,
                atol: float) -> Outcome:
    """The student's (or the `through` result's) numbers against the expected ones."""
    want = np.asarray(expected, dtype=np.float64)
    if as_float_array(actual) is None:
        wanted = f"numbers of shape {want.shape}" if want.ndim else "a number"
        return Outcome.failed(f"{name} should be {wanted}, but it is {describe_value(actual)}.",
                              mistake="wrong_type")
    comparison = compare_arrays(actual=actual, expected=want, name=name, rtol=rtol, atol=atol)
    got = as_float_array(actual)
    if comparison.problem == "values" and want.size == 1 and got is not None and got.size == 1:
        return Outcome.failed(f"{name} is {float(got.ravel()[0]):.6g}, expected "
                              f"{float(want.ravel()[0]):.6g}: off by "
                              f"{comparison.details['max_abs_error']:.3g} (tolerance "
                              f"rtol={rtol:g}, atol={atol:g}).", mistake="wrong_values",
                              **comparison.details)
    if comparison.ok:
        return Outcome.passed(comparison.summary, **comparison.details)
    mistake = {"type": "wrong_type", "shape": "wrong_shape", "nonfinite": "nonfinite"}.get(
        comparison.problem, "wrong_values")
    return Outcome.failed(comparison.message, mistake=mistake, **comparison.details)


def judge_shape(value: Any, shape: list[int], name: str) -> Outcome | None:
    array = as_float_array(value)
    if array is None:
        return Outcome.failed(f"{name} should be numbers of shape {tuple(shape)}, but it is "
                              f"{describe_value(value)}.", mistake="wrong_type")
    if list(array.shape) != list(shape):
        return Outcome.failed(f"{name} has shape {array.shape}, expected {tuple(shape)}.",
                              mistake="wrong_shape")
    return None


def _through(ctx: CheckContext, function: str, value: Any, name: str) -> tuple[Any, Outcome | None]:
    data = as_float_array(value)
    try:
        return getattr(ctx.reference, function)(value if data is None else data), None
    except (TypeError, ValueError, IndexError, KeyError, ArithmeticError) as exc:
        return None, Outcome.failed(f"The grader could not use {name} = {_short(value)}: "
                                    f"{type(exc).__name__}: {exc}. Give it in the form the "
                                    "handout asks for.", mistake="unusable")


def _short(value: Any) -> str:
    text = repr(value.tolist() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= 120 else text[:120] + "..."


@register("value", params=SCHEMA, mistakes=MISTAKES)
def check_value(ctx: CheckContext) -> Outcome:
    """Read a value the notebook defines and compare it (or what a reference function makes of
    it) with a literal or a reference function's value, within rtol/atol."""
    p = ctx.params
    name = p["name"] or p["target"] + "".join(f"[{s!r}]" for s in p["path"])
    results, failure = ctx.once(("value", p["target"]), lambda: ctx.request(
        None, [get_op(p["target"])], f"read `{p['target']}`"))
    if failure:
        return failure
    value, missing = follow(results[0], p["path"], p["target"])
    if missing:
        return Outcome.failed(f"{missing}.", mistake="missing_entry")
    if p["shape"]:
        wrong = judge_shape(value, p["shape"], name)
        if wrong is not None:
            return wrong
    compared, label = value, name
    if p["through"]:
        compared, unusable = _through(ctx, p["through"], value, name)
        if unusable:
            return unusable
        label = f"{p['hint_through'] or p['through'] + '(...)'} from {name} = {_short(value)}"
    expected = p["equals"] if p["equals"] is not None else getattr(ctx.reference,
                                                                   p["expected"])()
    return judge_value(compared, expected, name=label, rtol=p["rtol"], atol=p["atol"])
