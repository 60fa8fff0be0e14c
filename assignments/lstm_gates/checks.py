"""Check kinds for lstm_gates: an LSTM cell worked by hand (course document, question 2).

The student writes their numbers into plain variables (`answer_2a`, `answer_2b`, `answer_2c`);
the grader reads them as data and compares them with the exact cell, which it runs itself. For
parts (b) and (c) it runs the cell on the student's proposed input and measures how close the new
state comes to the target, with the tolerance the handout states.
"""

from __future__ import annotations

import math
from typing import Any

from graders.checks.base import CheckContext, Outcome
from graders.checks.compare import describe_value
from graders.checks.registry import register
from graders.checks.schema import Choice, ListOf, Text
from graders.kernel import Opaque

GATES = ("f", "i", "o", "C", "h")
SUBPARTS = ("i", "ii", "iii")
_SUBPART_ALIASES = {"1": "i", "2": "ii", "3": "iii"}
_FORMULAS = {
    "f": "f_t = sigma(W_f v_t + b_f)",
    "i": "i_t = sigma(W_i v_t + b_i)",
    "o": "o_t = sigma(W_o v_t + b_o)",
    "C": "C_t = f_t * C_{t-1} + i_t * tanh(W_C v_t + b_C)",
    "h": "h_t = o_t * tanh(C_t)",
}


def _number(value: Any) -> float | None:
    """A float from what a student may write: 0.98, np.float64, a 1-element array, '0.98'."""
    if isinstance(value, bool) or value is None or isinstance(value, Opaque):
        return None
    if isinstance(value, list | tuple) and len(value) == 1:
        return _number(value[0])
    if hasattr(value, "size") and hasattr(value, "ravel"):
        return float(value.ravel()[0]) if value.size == 1 else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _gate_key(key: str) -> str | None:
    """'f', 'f_t', 'ft', 'C_t', 'c', 'h_t' ... -> one of GATES (None for anything else)."""
    bare = key.strip().lower()
    for suffix in ("_t", "t"):
        if len(bare) > len(suffix) and bare.endswith(suffix):
            bare = bare[: -len(suffix)]
            break
    return {"f": "f", "i": "i", "o": "o", "c": "C", "h": "h"}.get(bare)


def _subpart_key(key: str) -> str:
    bare = key.strip().lower().strip("().").strip()
    return _SUBPART_ALIASES.get(bare, bare)


def _answers_2a(value: Any) -> tuple[dict[str, dict[str, Any]] | None, str]:
    """{subpart: {gate: raw value}} from the student's answer_2a, or (None, what is wrong)."""
    if not isinstance(value, dict):
        return None, (f"answer_2a should be a dict like {{'i': {{'f': ..., 'i': ..., 'o': ..., "
                      f"'C': ..., 'h': ...}}, 'ii': ..., 'iii': ...}}; it is "
                      f"{describe_value(value)}.")
    answers: dict[str, dict[str, Any]] = {}
    for key, entry in value.items():
        sub = _subpart_key(str(key))
        if isinstance(entry, dict):
            gates = {g: v for k, v in entry.items() if (g := _gate_key(str(k)))}
        elif isinstance(entry, list | tuple) and len(entry) == len(GATES):
            gates = dict(zip(GATES, entry, strict=True))
        else:
            gates = {}
        answers[sub] = gates
    return answers, ""


@register("lstm_gates.values", required=("input", "values"),
          types={"input": Choice("i", "ii", "iii"),
                 "values": ListOf(Choice("f", "i", "o", "C", "h"), min_items=1)},
          optional={"variable": "answer_2a", "rtol": 0.01, "atol": 5e-5},
          mistakes=("not_defined", "wrong_type", "missing_value", "wrong_values"))
def check_values(ctx: CheckContext) -> Outcome:
    """The student's values (e.g. f, i, o) for one input of part (a) against the exact cell.
    A value counts as right within rtol of the exact one, or within atol of it."""
    p = ctx.params
    variable, sub = p["variable"], p["input"]
    answers = _read_2a(ctx, variable)
    if isinstance(answers, Outcome):
        return answers
    x = ctx.reference.INPUTS[sub]
    exact = ctx.reference.lstm_step(x)
    given = answers.get(sub, {})
    wrong, absent = [], []
    for name in p["values"]:
        value = _number(given.get(name))
        if value is None:
            absent.append(name)
            continue
        target = exact.value(name)
        if abs(value - target) > max(float(p["rtol"]) * abs(target), float(p["atol"])):
            wrong.append(f"{name}_t: you have {value:.4g}, the cell gives {target:.4g} "
                         f"({_FORMULAS[name]})")
    label = f"input {sub}. x_t = {list(x)}"
    if absent:
        shown = describe_value(given.get(absent[0])) if absent[0] in given else "nothing"
        return Outcome.failed(f"{variable}[{sub!r}] has no number for "
                              f"{', '.join(a + '_t' for a in absent)} ({label}; found {shown}). "
                              f"Give each as a number, e.g. {variable}[{sub!r}]['{absent[0]}'] "
                              "= 0.5.", mistake="missing_value")
    if wrong:
        return Outcome.failed(f"For {label}:\n  " + "\n  ".join(wrong) + "\nA value counts "
                              f"as right within {float(p['rtol']):.0%} of the exact one or "
                              f"within {float(p['atol']):g} of it.", mistake="wrong_values")
    names = ", ".join(n + "_t" for n in p["values"])
    return Outcome.passed(f"{names} for {label} agree with the cell.")


def _read_input(ctx: CheckContext, variable: str) -> list[float] | Outcome:
    """The student's proposed x_t as three floats, or the failed outcome that says why not."""
    reply = ctx.once(("get", variable), lambda: ctx.kernel.get(variable))
    if not reply.ok:
        return Outcome.failed(ctx.explain(reply, f"read {variable}") + f" Put your proposed "
                              f"input in {variable}, e.g. {variable} = [0.0, 0.0, 0.0].",
                              mistake="not_defined")
    raw = reply.results[0]
    entries = list(raw.ravel()) if hasattr(raw, "ravel") else raw
    numbers = [_number(v) for v in entries] if isinstance(entries, list | tuple) else []
    if len(numbers) != 3 or any(v is None for v in numbers):
        return Outcome.failed(f"{variable} should be three finite numbers [x1, x2, x3] (the "
                              f"input x_t); it is {describe_value(raw)}.", mistake="wrong_type")
    return [float(v) for v in numbers if v is not None]


def _read_2a(ctx: CheckContext, variable: str) -> dict[str, dict[str, Any]] | Outcome:
    reply = ctx.once(("get", variable), lambda: ctx.kernel.get(variable))
    if not reply.ok:
        return Outcome.failed(ctx.explain(reply, f"read {variable}") + " The grader reads your "
                              f"numbers from the variable {variable}; your written working is "
                              "shown to the TA.", mistake="not_defined")
    answers, problem = _answers_2a(reply.results[0])
    if answers is None:
        return Outcome.failed(problem, mistake="wrong_type")
    return answers


@register("lstm_gates.readable", required=("variable", "form"),
          types={"variable": Text(), "form": Choice("gates", "input")},
          mistakes=("not_defined", "wrong_type", "missing_value"))
def check_readable(ctx: CheckContext) -> Outcome:
    """Whether the grader can read the student's answer at all: for part (a) (form 'gates') a
    number for each of f, i, o, C, h for each of the three inputs, for parts (b) and (c) (form
    'input') three numbers. Needs no reference and says nothing of the values, so it can be a
    public check: a student learns before submitting that their answer is in a form the grader
    reads."""
    variable = ctx.params["variable"]
    if ctx.params["form"] == "input":
        numbers = _read_input(ctx, variable)
        if isinstance(numbers, Outcome):
            return numbers
        return Outcome.passed(f"{variable} = {numbers} can be read; whether it reaches the "
                              "target is checked when your work is graded.")
    answers = _read_2a(ctx, variable)
    if isinstance(answers, Outcome):
        return answers
    absent = [f"{variable}[{sub!r}][{name!r}]" for sub in SUBPARTS for name in GATES
              if _number(answers.get(sub, {}).get(name)) is None]
    if absent:
        shown = ", ".join(absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5
                                         else "")
        return Outcome.failed(f"The grader found no number for {shown}. Give each as a number, "
                              f"e.g. {variable}['i']['f'] = 0.5 (keys 'i', 'ii', 'iii'; inside "
                              "each 'f', 'i', 'o', 'C', 'h').", mistake="missing_value")
    return Outcome.passed(f"{variable} holds a number for each of f, i, o, C, h for the three "
                          "inputs; the values are checked when your work is graded.")


@register("lstm_gates.target", required=("variable", "target"),
          types={"variable": Text(), "target": Choice("sum", "average")},
          optional={"tolerance": 1e-3},
          mistakes=("not_defined", "wrong_type", "too_far"))
def check_target(ctx: CheckContext) -> Outcome:
    """Run the exact cell on the student's proposed x_t and measure the distance of C_t (target
    'sum': C_{t-1} + h_{t-1}) or h_t (target 'average': (C_{t-1} + h_{t-1}) / 2) from the target."""
    p = ctx.params
    variable, tolerance = p["variable"], float(p["tolerance"])
    numbers = _read_input(ctx, variable)
    if isinstance(numbers, Outcome):
        return numbers
    ref = ctx.reference
    state, target = ref.TARGETS[p["target"]]
    step = ref.lstm_step(numbers)
    reached = step.value(state)
    gap = abs(reached - target)
    what = ("C_t = C_{t-1} + h_{t-1}" if p["target"] == "sum"
            else "h_t = (C_{t-1} + h_{t-1}) / 2")
    gates = f"f_t = {step.f:.4g}, i_t = {step.i:.4g}, o_t = {step.o:.4g}"
    if gap > tolerance:
        return Outcome.failed(f"With x_t = {numbers} the cell gives {state}_t = {reached:.5g}; "
                              f"the target {what} is {target:.5g}, {gap:.3g} away (allowed: "
                              f"{tolerance:g}). The gates were {gates}: decide which gates must "
                              "be near 0, 1/2 or 1 for the target, and which input entry drives "
                              "each.", mistake="too_far", gap=gap)
    return Outcome.passed(f"With x_t = {numbers} the cell gives {state}_t = {reached:.5g}, "
                          f"{gap:.2g} from the target {target:.5g} ({gates}).", gap=gap)
