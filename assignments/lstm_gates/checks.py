"""Check kinds for lstm_gates: an LSTM cell worked by hand (course document, question 2).

Part (a)'s numbers are read by the generic kind `answer` (see spec.yaml). For parts (b) and (c)
the student proposes an input in a variable (`answer_2b`, `answer_2c`); the grader runs the exact
cell on it and measures how close the new state comes to the target, with the tolerance the
handout states.
"""

from __future__ import annotations

from graders.answers import as_number
from graders.checks.base import CheckContext, Outcome
from graders.checks.compare import describe_value
from graders.checks.registry import register
from graders.checks.schema import Choice, Text


def _read_input(ctx: CheckContext, variable: str) -> list[float] | Outcome:
    """The student's proposed x_t as three floats, or the failed outcome that says why not."""
    reply = ctx.once(("get", variable), lambda: ctx.kernel.get(variable))
    if not reply.ok:
        return Outcome.failed(ctx.explain(reply, f"read {variable}") + f" Put your proposed "
                              f"input in {variable}, e.g. {variable} = [0.0, 0.0, 0.0].",
                              mistake="not_defined")
    raw = reply.results[0]
    entries = list(raw.ravel()) if hasattr(raw, "ravel") else raw
    numbers = [as_number(v) for v in entries] if isinstance(entries, list | tuple) else []
    if len(numbers) != 3 or any(v is None for v in numbers):
        return Outcome.failed(f"{variable} should be three finite numbers [x1, x2, x3] (the "
                              f"input x_t); it is {describe_value(raw)}.", mistake="wrong_type")
    return [float(v) for v in numbers if v is not None]


@register("lstm_gates.readable", required=("variable",), types={"variable": Text()},
          mistakes=("not_defined", "wrong_type"))
def check_readable(ctx: CheckContext) -> Outcome:
    """Whether the grader can read the student's proposed input (three numbers) for parts (b)
    and (c). Needs no reference and says nothing of the values, so it can be a public check."""
    variable = ctx.params["variable"]
    numbers = _read_input(ctx, variable)
    if isinstance(numbers, Outcome):
        return numbers
    return Outcome.passed(f"{variable} = {numbers} can be read; whether it reaches the "
                          "target is checked when your work is graded.")


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
