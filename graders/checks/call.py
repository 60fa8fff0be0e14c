"""Kind `call`: call the student's function on generated inputs and compare one output with the
reference function's on the same inputs (computed here, never in the kernel).

    kind: call
    params:
      function: sigmoid            # or a class, or $store.method after setup
      reference: sigmoid           # reference.py
      inputs: {x: {normal: [4, 3]}}
      output: {of: returned, index: 0}          # or of: argument / object, attribute, key
      mistakes: {sigmoid_sign_flipped: "exp(-x), not exp(x)"}   # known wrong answers

Fetch: one kernel request (inputs, setup, the call, what the output names). Judge: a pure
function of the fetched value, the expected value and the known wrong answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from graders.checks.base import CheckContext, Outcome
from graders.checks.compare import (
    as_float_array,
    compare_arrays,
    describe_value,
    is_transposed,
)
from graders.checks.invocation import (
    OUTPUT,
    Call,
    MistakeMap,
    call_params,
    call_rules,
    describe_output,
    output_rule,
    pick,
    select,
    validated,
)
from graders.checks.registry import register
from graders.checks.schema import Choice, Number, Param, Schema, Text

MISTAKES = ("not_defined", "crashed", "wrong_type", "wrong_shape", "transposed", "nonfinite",
            "wrong_dtype", "wrong_values")

SCHEMA = Schema(
    *call_params(),
    Param("output", OUTPUT, {"of": "returned"}, doc="what to compare"),
    Param("name", Text(), "", doc="what the report calls the output (default: described)"),
    Param("compare", Choice("values", "shape"), "values", doc="`shape`: only the output's "
          "shape is compared (random weights, whose values no reference can know)"),
    Param("rtol", Number(minimum=0), 1e-6, doc="relative tolerance"),
    Param("atol", Number(minimum=0), 1e-9, doc="absolute tolerance"),
    Param("mistakes", MistakeMap(), {}, doc="reference.py function computing a known wrong "
          "answer -> the hint a student gets when their output matches it"),
    doc="Call the student's code and compare one output with the reference's.",
    rules=(*call_rules(), output_rule("output")),
)

STORE = "out"


@dataclass(frozen=True)
class Fetched:
    """What the kernel sent back for one call: the selected value, or why there is none."""

    value: Any = None
    problem: str = ""  # a sentence for the student
    mistake: str = ""


def fetch_raw(ctx: CheckContext, call: Call, values: Mapping[str, Any],
              output: Mapping[str, Any], doing: str) -> Fetched:
    """Run the call in one request and return what `output` names before any index or key
    (so checks of one part that differ only in those share the request)."""
    store = call.handle(STORE)
    ops = call.kernel_ops(values, store=store)
    extra = call.fetch_ops(output, store)
    results, failed = ctx.request(None, ops + extra, doing)
    if failed is not None:
        return Fetched(problem=failed.message, mistake=failed.mistake)
    assert results is not None
    return Fetched(results[-1])


def fetch_output(ctx: CheckContext, call: Call, values: Mapping[str, Any],
                 output: Mapping[str, Any], doing: str) -> Fetched:
    """What `output` selects (the request shared with the part's checks making the same call
    and reading the same object)."""
    paths = [op["target"] for op in call.fetch_ops(output, call.handle(STORE))]
    raw = ctx.once(("call", call.key(), tuple(paths)),
                   lambda: fetch_raw(ctx, call, values, output, doing))
    if raw.problem:
        return raw
    try:
        return Fetched(pick(output, raw.value))
    except LookupError as exc:
        return Fetched(problem=f"{describe_output(output, call.params['function'])} {exc}.",
                       mistake="wrong_type")


def judge_output(*, actual: Any, expected: Any, name: str, rtol: float, atol: float,
                 wrong_answers: Mapping[str, tuple[Any, str]] | None = None) -> Outcome:
    """Compare a student's value with the expected one; name a known wrong answer it matches
    (`wrong_answers`: mistake -> (its value, hint)), a transpose, an integer dtype. A tuple
    (e.g. a cache (X, pre_act, post_act)) is compared element by element, a dict entry by entry
    (the expected keys, in order)."""
    if isinstance(expected, tuple):
        return _judge_elements(actual=actual, expected=expected, name=name, rtol=rtol,
                               atol=atol)
    if isinstance(expected, Mapping):
        return _judge_entries(actual=actual, expected=expected, name=name, rtol=rtol,
                              atol=atol, wrong_answers=wrong_answers)
    if as_float_array(expected) is None:
        if _equal(actual, expected):
            return Outcome.passed(f"{name} is right.")
        return Outcome.failed(f"{name} is {_short(actual)}, expected {_short(expected)}.",
                              mistake="wrong_values")
    expected = np.asarray(expected, dtype=np.float64)
    array = as_float_array(actual)
    if array is not None and array.size == expected.size == 1:
        array = array.reshape(expected.shape)  # a loss as float, (1,) or (1, 1) is one number
    comparison = compare_arrays(actual=array if array is not None else actual,
                                expected=expected, name=name, rtol=rtol, atol=atol)
    if comparison.ok:
        return Outcome.passed(comparison.summary, **comparison.details)
    for mistake, (value, hint) in (wrong_answers or {}).items():
        if array is not None and same_answer(array, as_float_array(value), rtol=rtol,
                                             atol=atol):
            return Outcome.failed(f"{name} is the known wrong answer '{mistake}' (see the "
                                  f"hint).\n{comparison.message}", mistake=mistake, hint=hint,
                                  **comparison.details)
    if is_transposed(array, expected, rtol=rtol, atol=atol):
        return Outcome.failed(f"{name} is transposed: shape {array.shape}, expected "
                              f"{expected.shape}, and its transpose is right.",
                              mistake="transposed")
    dtype = getattr(actual, "dtype", None)
    if comparison.problem == "values" and dtype is not None and dtype.kind in "biu" and \
            not np.allclose(expected, np.round(expected)):
        return Outcome.failed(f"{comparison.message}\n{name} has dtype {dtype}: its values were "
                              "made whole numbers. Use float arrays (e.g. np.zeros(shape), "
                              "not np.zeros(shape, dtype=int)).", mistake="wrong_dtype",
                              **comparison.details)
    mistake = {"type": "wrong_type", "shape": "wrong_shape",
               "nonfinite": "nonfinite"}.get(comparison.problem, "wrong_values")
    return Outcome.failed(comparison.message, mistake=mistake, **comparison.details)


def judge_shape(*, actual: Any, expected: Any, name: str) -> Outcome:
    """Only the shape: the student's array against the expected one's shape (a transpose
    named)."""
    want = np.shape(expected)
    array = as_float_array(actual)
    if array is None:
        return Outcome.failed(f"{name} should be an array of shape {want}, but it is "
                              f"{describe_value(actual)}.", mistake="wrong_type")
    if array.shape == want:
        return Outcome.passed(f"{name} has shape {want}.")
    if array.ndim == 2 and len(want) == 2 and array.shape == want[::-1]:
        return Outcome.failed(f"{name} has shape {array.shape}, the transpose of the expected "
                              f"{want}.", mistake="transposed")
    return Outcome.failed(f"{name} has shape {array.shape}, expected {want}.",
                          mistake="wrong_shape")


def _judge_elements(*, actual: Any, expected: tuple[Any, ...], name: str, rtol: float,
                    atol: float) -> Outcome:
    if not isinstance(actual, tuple | list) or len(actual) != len(expected):
        return Outcome.failed(f"{name} should be a tuple of {len(expected)} values, but it is "
                              f"{describe_value(actual)}"
                              + (f" of {len(actual)}" if isinstance(actual, tuple | list)
                                 else "") + ".", mistake="wrong_type")
    for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
        verdict = judge_output(actual=got, expected=want, name=f"element {index} of {name}",
                               rtol=rtol, atol=atol)
        if verdict.fraction < 1:
            return verdict
    return Outcome.passed(f"{name}: all {len(expected)} elements match.")


def _judge_entries(*, actual: Any, expected: Mapping[str, Any], name: str, rtol: float,
                   atol: float, wrong_answers: Mapping[str, tuple[Any, str]] | None) -> Outcome:
    if not isinstance(actual, Mapping):
        return Outcome.failed(f"{name} should be a dict, but it is {describe_value(actual)}.",
                              mistake="wrong_type")
    for key, want in expected.items():
        if key not in actual:
            return Outcome.failed(f"{name} has no entry {key!r} (it holds: "
                                  f"{', '.join(map(str, actual)) or 'nothing'}).",
                                  mistake="wrong_type")
        verdict = judge_output(actual=actual[key], expected=want, name=f"{name}[{key!r}]",
                               rtol=rtol, atol=atol)
        if verdict.fraction < 1:
            for mistake, (value, hint) in (wrong_answers or {}).items():
                if isinstance(value, Mapping) and all(
                        k in actual and judge_output(actual=actual[k], expected=v, name="",
                                                     rtol=rtol, atol=atol).fraction == 1
                        for k, v in value.items()):
                    return Outcome.failed(f"{name} is the known wrong answer '{mistake}' (see "
                                          f"the hint).\n{verdict.message}", mistake=mistake,
                                          hint=hint)
            return verdict
    return Outcome.passed(f"{name}: all {len(expected)} entries match.")


def same_answer(array: np.ndarray, wrong: np.ndarray | None, *, rtol: float,
                atol: float) -> bool:
    """True when a student's array is a known wrong answer: the same shape, NaN or infinite in
    the same entries (a softmax that overflows is named by where it does), close elsewhere."""
    if wrong is None or wrong.shape != array.shape:
        return False
    bad = ~np.isfinite(array)
    if not np.array_equal(bad, ~np.isfinite(wrong)):
        return False
    return bool(np.allclose(array[~bad], wrong[~bad], rtol=rtol, atol=atol))


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(a), np.asarray(b)))
        except (TypeError, ValueError):
            return False
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def expected_answers(ctx: CheckContext, call: Call, values: Mapping[str, Any],
                     output: Mapping[str, Any], mistakes: Mapping[str, str]
                     ) -> tuple[Any, dict[str, tuple[Any, str]]]:
    """The reference's value and every known wrong answer's, all computed up front (so a
    student's self-check, answered from the record, gives the same messages as grading)."""
    returned, space = call.call_reference(ctx.reference, values)
    expected = select(output, returned, space, call.params["function"])
    wrong = {}
    for function, hint in mistakes.items():
        got, got_space = call.call_reference(ctx.reference, values, function)
        wrong[function] = (select(output, got, got_space, call.params["function"]), hint)
    return expected, wrong


@register("call", params=SCHEMA, mistakes=MISTAKES)
def check_call(ctx: CheckContext) -> Outcome:
    """Call the student's function, method or constructor on generated inputs; compare what it
    returns, stores or changes with the reference function's on the same inputs."""
    p = validated(SCHEMA, ctx.check.params)
    call = Call(p, ctx.check.visibility)
    values = ctx.once(("inputs", call.key()), lambda: call.draw(ctx.seed, ctx.reference))
    function = p["function"].lstrip("$")
    output = p["output"]
    fetched = fetch_output(ctx, call, values, output, f"call {function}")
    if fetched.problem:
        return Outcome.failed(fetched.problem, mistake=fetched.mistake)
    expected, wrong = expected_answers(ctx, call, values, output, p["mistakes"])
    name = p["name"] or describe_output(output, p["function"])
    if p["compare"] == "shape":
        return judge_shape(actual=fetched.value, expected=expected, name=name)
    return judge_output(actual=fetched.value, expected=expected, name=name,
                        rtol=p["rtol"], atol=p["atol"], wrong_answers=wrong)
