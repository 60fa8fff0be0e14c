"""Kind `gradient`: an analytic gradient the student's code returns or stores, against central
differences of a loss, with respect to one input, at inputs drawn away from kinks.

    kind: gradient
    params:
      function: naiveSoftmaxLossAndGradient
      reference: naiveSoftmaxLossAndGradient
      inputs: {...}
      wrt: centerWordVec                  # the input the gradient is of
      gradient: {of: returned, index: 1}  # where the student's gradient is
      loss: {of: returned, index: 0}      # where the loss is, in the same call's outputs

Both losses are differenced on the same probes (sampled entries plus random unit directions):
the reference's (the model) and the student's own. Right against the model passes; right only
against their own loss says "your forward pass is not the model"; right against neither says
"not the gradient of your own forward pass". One kernel request holds every call. A call that
returns no loss (a layer's backward pass, given the gradient from above) names `loss_reference`:
the loss its gradient is of, differenced in the grader alone.

Where the student's code does not compute the loss itself (e.g. a method storing the outputs of
a forward pass), `loss_of` names a reference.py function that turns that output (and the inputs
in `loss_args`) into the loss, for the student's and the reference's alike. `vary` repeats the
check for several values of one size (e.g. sequence lengths): the check is as right as its worst
case, and the report says which cases are right.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from graders.checks import inputs as gen
from graders.checks.base import CheckContext, Outcome
from graders.checks.call import STORE, judge_output
from graders.checks.compare import as_float_array, compare_arrays, gradient_array
from graders.checks.gradient import GradientCheck, Probe, plan_probes, relative_error
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
from graders.checks.schema import (
    AnyOf,
    Integer,
    ListOf,
    Number,
    Param,
    Record,
    ReferenceFunction,
    Schema,
    Text,
    did_you_mean,
)

MISTAKES = ("not_defined", "crashed", "timeout", "wrong_type", "wrong_shape", "transposed",
            "nonfinite", "constant", "forward_not_model", "not_gradient_of_forward",
            "right_only_for_first_case", "finite_differences")
VARY = Record(Schema(
    Param("size", Text(), doc="the size (under `sizes`) that changes"),
    Param("values", ListOf(Integer(minimum=0), min_items=1), doc="its values, one case each"),
    Param("label", Text(), "", doc="what the report calls it (default: the size's name)"),
))


def _wrt_is_an_input(v: dict[str, Any]) -> tuple[str, str, str] | None:
    if v["wrt"] not in v["inputs"]:
        return ("wrt", f"{v['wrt']!r} is not an input", did_you_mean(v["wrt"], v["inputs"]))
    return None


def _vary_names_a_size(v: dict[str, Any]) -> tuple[str, str, str] | None:
    vary = v.get("vary")
    if vary and vary["size"] not in v["sizes"]:
        return ("vary.size", f"size {vary['size']!r} is not declared",
                f"add it under `sizes`, or {did_you_mean(vary['size'], v['sizes'])}")
    for i, name in enumerate(v.get("loss_args") or []):
        if name not in v["inputs"]:
            return (f"loss_args[{i}]", f"{name!r} is not an input",
                    did_you_mean(name, v["inputs"]))
    return None


def _step_inside_margins(v: dict[str, Any]) -> tuple[str, str, str] | None:
    """A finite difference must not reach across a kink the inputs were kept clear of."""
    for name, spec in v["inputs"].items():
        if spec.get("kinks") and spec["margin"] <= v["step"]:
            return (f"inputs.{name}.margin", f"{spec['margin']:g} is not larger than the "
                    f"finite-difference step {v['step']:g}",
                    "make the margin larger than the step (e.g. 100 times)")
    away = v.get("away_from_kinks")
    if away and away["margin"] <= v["step"]:
        return ("away_from_kinks.margin", f"{away['margin']:g} is not larger than the "
                f"finite-difference step {v['step']:g}",
                "make the margin larger than the step (e.g. 100 times)")
    return None


SCHEMA = Schema(
    *call_params(),
    Param("wrt", Text(), doc="the input the gradient is taken with respect to"),
    Param("gradient", OUTPUT, doc="where the student's analytic gradient is"),
    Param("loss", OUTPUT, {"of": "returned", "index": 0}, doc="where the loss is (or the "
          "output `loss_of` turns into the loss)"),
    Param("loss_reference", ReferenceFunction(), "", doc="for a call that returns no loss (a "
          "layer's backward pass given the upstream gradient): a reference.py function of the "
          "inputs (one dict) returning the loss the gradient is of; only it is differenced"),
    Param("reference_gradient", AnyOf(OUTPUT), None, doc="where the reference's gradient is, "
          "when not where the student's is (e.g. `{key: dW}` of a dict the reference returns)"),
    Param("reference_loss", AnyOf(OUTPUT), None, doc="where the reference's loss (or "
          "`loss_of`'s output) is, when not where the student's is"),
    Param("loss_of", ReferenceFunction(), "", doc="reference.py function turning the "
          "`loss` output into the loss, computed in the grader (e.g. a cross-entropy of the "
          "outputs a forward pass stored)"),
    Param("loss_args", ListOf(Text()), [], doc="inputs passed to `loss_of` after the output"),
    Param("vary", AnyOf(VARY), None, doc="repeat the check for several values of one size; it "
          "scores its worst case"),
    Param("own_forward_credit", Number(minimum=0, maximum=1), 0.0, doc="credit for the exact "
          "gradient of the student's own forward pass when that forward pass is not the model"),
    Param("exact_rtol", Number(minimum=0), 0.0, doc="a gradient that passes but differs from "
          "the reference's by more than this (relative to its largest entry) is flagged for "
          "the marker as perhaps estimated by finite differences (0: off)"),
    Param("name", Text(), "", doc="what the report calls the gradient"),
    Param("step", Number(minimum=0, exclusive_minimum=True), 1e-5, doc="finite-difference step"),
    Param("rtol", Number(minimum=0), 1e-5, doc="largest relative error allowed"),
    Param("floor", Number(minimum=0), 1e-7, doc="relative errors of smaller numbers use this"),
    Param("entries", Integer(minimum=0), 6, doc="single entries probed"),
    Param("directions", Integer(minimum=0), 3, doc="random unit directions probed"),
    Param("mistakes", MistakeMap(), {}, doc="reference.py function computing a known wrong "
          "gradient -> its hint"),
    doc="An analytic gradient against central differences of the model's and the student's "
        "own loss.",
    rules=(*call_rules(), output_rule("gradient"), output_rule("loss"), _wrt_is_an_input,
           _step_inside_margins, _vary_names_a_size),
)


def _loss_value(value: Any) -> float:
    array = as_float_array(value)
    if array is None or array.size != 1:
        return float("nan")
    return float(array.ravel()[0])


def loss_reader(reference: Any, p: Mapping[str, Any],
                values: Mapping[str, Any]) -> Callable[[Any], float]:
    """What turns the selected `loss` output into a number: itself, or `loss_of` of it (NaN
    when a student's output is not something the loss can be computed from)."""
    if not p["loss_of"]:
        return _loss_value
    function = getattr(reference, p["loss_of"])
    extra = [values[a] for a in p["loss_args"]]

    def read(output: Any) -> float:
        try:
            return _loss_value(function(output, *copy.deepcopy(extra)))
        except (ArithmeticError, LookupError, TypeError, ValueError):
            return float("nan")
    return read


def fetch_gradient(ctx: CheckContext, call: Call, values: Mapping[str, Any],
                   deltas: Sequence[np.ndarray],
                   read_loss: Callable[[Any], float] = _loss_value) -> dict[str, Any]:
    """One request: the call (its gradient), then the call again at the wrt input + each delta
    (its loss, read by `read_loss`). Returns {"gradient": value} or {"problem", "mistake"}, and
    "losses" (NaN where the loss could not be read)."""
    p = call.params
    store = call.handle(STORE)
    ops = call.kernel_ops(values, store=store)
    grad_fetch = call.fetch_ops(p["gradient"], store)
    ops += grad_fetch
    marks = [len(ops) - 1]
    for delta in deltas if not p["loss_reference"] else []:
        shifted = {**values, p["wrt"]: np.asarray(values[p["wrt"]], dtype=np.float64) + delta}
        ops += call.kernel_ops(shifted, store=store)
        ops += call.fetch_ops(p["loss"], store)
        marks.append(len(ops) - 1)
    results, failed = ctx.request(None, ops, lambda index: call.describe_op(ops, index))
    if failed is not None:
        return {"problem": failed.message, "mistake": failed.mistake}
    assert results is not None
    try:
        gradient = pick(p["gradient"], results[marks[0]])
    except LookupError as exc:
        return {"problem": f"{describe_output(p['gradient'], p['function'])} {exc}.",
                "mistake": "wrong_type"}
    losses = []
    for mark in marks[1:]:
        try:
            losses.append(read_loss(pick(p["loss"], results[mark])))
        except LookupError:
            losses.append(float("nan"))
    return {"gradient": gradient, "losses": losses if not p["loss_reference"] else None}


def compare_probes(analytic: np.ndarray, probes: Sequence[tuple[str, np.ndarray]],
                   losses: Sequence[float], *, step: float, rtol: float,
                   floor: float) -> GradientCheck:
    """<analytic, d> against (L(+h d) - L(-h d)) / 2h for each probe; losses come in +/- pairs."""
    results = []
    for k, (label, direction) in enumerate(probes):
        numeric = (losses[2 * k] - losses[2 * k + 1]) / (2 * step)
        value = float(np.sum(analytic * direction))
        error = relative_error(value, numeric, floor=floor) if np.isfinite(numeric) else np.inf
        results.append(Probe(label, value, float(numeric), float(error)))
    ok = all(p.rel_error <= rtol for p in results)
    return GradientCheck(ok=ok, probes=tuple(results), evaluations=len(losses), rtol=rtol,
                         step=step)


def judge_gradient(*, actual: Any, expected: np.ndarray, probes: Sequence[tuple[str, np.ndarray]],
                   model_losses: Sequence[float], own_losses: Sequence[float] | None,
                   name: str, step: float, rtol: float, floor: float,
                   wrong_answers: Mapping[str, tuple[Any, str]] | None = None,
                   own_forward_credit: float = 0.0, exact_rtol: float = 0.0) -> Outcome:
    """The verdict on a student's gradient (pure: no kernel). `model_losses` and `own_losses`
    are the reference's and the student's loss at +/- step along each probe. The exact
    gradient of a forward pass that is not the model earns `own_forward_credit`; a passing
    gradient further than `exact_rtol` from `expected` is flagged for the marker."""
    expected = np.asarray(expected, dtype=np.float64)
    array = gradient_array(actual, expected)
    if array is None or array.shape != expected.shape or not np.all(np.isfinite(array)):
        return judge_output(actual=actual if array is None else array, expected=expected,
                            name=name, rtol=rtol, atol=floor, wrong_answers=wrong_answers)
    model = compare_probes(array, probes, model_losses, step=step, rtol=rtol, floor=floor)
    tolerance = f"(tolerance {rtol:g}, step {step:g})"
    if model.ok:
        passed = Outcome.passed(f"{name} matches central differences of the loss: largest "
                                f"relative error {model.max_rel_error:.2e} {tolerance}.",
                                max_rel_error=model.max_rel_error)
        return _flag_inexact(passed, array, expected, exact_rtol)
    own = None if own_losses is None else compare_probes(array, probes, own_losses, step=step,
                                                         rtol=rtol, floor=floor)
    if own is not None and own.ok and not _named(array, wrong_answers, rtol, floor):
        return Outcome(
            own_forward_credit,
            f"{name} is the gradient of your own forward pass (largest relative error "
            f"{own.max_rel_error:.2e}), but your forward pass is not the model: against central "
            f"differences of the model's loss the relative error is {model.max_rel_error:.3g} "
            f"{tolerance}.\n{model.table()}\nFix the loss your function computes; the gradient "
            "follows it.", mistake="forward_not_model",
            details={"max_rel_error": model.max_rel_error})
    evidence = _evidence(array, expected, model, own, own_losses, model_losses, name=name,
                         rtol=rtol, floor=floor)
    named = _named(array, wrong_answers, rtol, floor)
    if named:
        mistake, hint = named
        return Outcome.failed(f"{name} is the known wrong gradient '{mistake}' (relative "
                              f"error {model.max_rel_error:.3g} against central differences "
                              f"{tolerance}).\n{evidence}", mistake=mistake, hint=hint,
                              max_rel_error=model.max_rel_error)
    if array.size > 1 and np.ptp(array) == 0 and np.ptp(expected) > 0:
        return Outcome.failed(f"{name} has the same value, {array.flat[0]:.6g}, in every entry "
                              f"(relative error {model.max_rel_error:.3g} against central "
                              f"differences {tolerance}): a sum or an inner product where each "
                              f"entry needs its own term?\n{evidence}", mistake="constant",
                              max_rel_error=model.max_rel_error)
    return Outcome.failed(
        f"{name} is not the gradient of the loss: relative error {model.max_rel_error:.3g} "
        f"against central differences {tolerance}; "
        f"{len(model.failures)} of {len(model.probes)} probes differ.\n{evidence}",
        mistake="not_gradient_of_forward", max_rel_error=model.max_rel_error)


def _named(array: np.ndarray, wrong_answers: Mapping[str, tuple[Any, str]] | None,
           rtol: float, floor: float) -> tuple[str, str] | None:
    """(mistake, hint) of the first known wrong gradient the array is, or None."""
    for mistake, (value, hint) in (wrong_answers or {}).items():
        wrong = as_float_array(value)
        if wrong is not None and wrong.shape == array.shape and np.allclose(
                array, wrong, rtol=rtol, atol=floor):
            return mistake, hint
    return None


def _evidence(array: np.ndarray, expected: np.ndarray, model: GradientCheck,
              own: GradientCheck | None, own_losses: Sequence[float] | None,
              model_losses: Sequence[float], *, name: str, rtol: float, floor: float) -> str:
    """Under a failed gradient: the worst probes, what the student's own loss says, and the
    entries that differ most from the reference's gradient."""
    lines = [model.table()]
    if own is not None and all(np.isfinite(own_losses or [])):
        same = np.allclose(own_losses, model_losses, rtol=1e-9, atol=1e-12)
        lines.append("Your loss agrees with the model's, so the forward pass is right and the "
                     "gradient is not." if same else
                     f"It is not the gradient of your own forward pass either (relative error "
                     f"{own.max_rel_error:.3g}).")
    lines.append(compare_arrays(actual=array, expected=expected, name=name, rtol=rtol,
                                atol=floor).message)
    return "\n".join(lines)


def _flag_inexact(outcome: Outcome, array: np.ndarray, expected: np.ndarray,
                  exact_rtol: float) -> Outcome:
    """A right gradient, flagged for the marker when it is only as exact as an estimate."""
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    error = float(np.max(np.abs(array - expected))) / (scale or 1.0) if expected.size else 0.0
    if not exact_rtol or error <= exact_rtol:
        return outcome
    return Outcome(1.0, f"{outcome.message}\nfor the marker: right to {error:.1e} of the "
                   f"gradient's size, where a gradient worked out analytically in float64 gets "
                   f"within {exact_rtol:g}; finite differences of the loss give this. Right "
                   "numbers, perhaps not derived: please look at the method.",
                   mistake="finite_differences", details=outcome.details)


def combine_cases(cases: Sequence[tuple[int, Outcome]], *, name: str, label: str) -> Outcome:
    """One verdict from the cases of `vary` (pure): the worst case's credit, a first line saying
    for which values the gradient is right, then each case's message (a failure repeated word
    for word, such as the same crash, is said once)."""
    right = [value for value, o in cases if o.fraction >= 1]
    wrong = [value for value, o in cases if o.fraction < 1]
    if not wrong:
        head = f"{name} is right for {label} {_join(right)}."
    else:
        head = f"{name} is wrong for {label} {_join(wrong)}" + (
            f" (right for {_join(right)})." if right else ".")
    lines, said = [head], set()
    for value, outcome in cases:
        if outcome.fraction < 1 and outcome.message in said:
            continue
        said.add(outcome.message)
        first, *rest = outcome.message.splitlines()
        lines += [f"  {label} {value}: {first}", *(f"    {line}" for line in rest)]
    failing = [o for _, o in cases if o.fraction < 1]
    named = failing or [o for _, o in cases if o.mistake]
    mistake = named[0].mistake if named else ""
    if mistake == "not_gradient_of_forward" and cases[0][1].fraction >= 1:
        mistake = "right_only_for_first_case"
    details: dict[str, Any] = {"cases": [value for value, _ in cases], "fd_evaluations": sum(
        int(o.details.get("fd_evaluations", 0)) for _, o in cases)}
    errors = [o.details["max_rel_error"] for _, o in cases if "max_rel_error" in o.details]
    if errors:
        details["max_rel_error"] = max(errors)
    if named and "hint" in named[0].details:
        details["hint"] = named[0].details["hint"]
    return Outcome(min(o.fraction for _, o in cases), "\n".join(lines), mistake=mistake,
                   details=details)


def _join(values: Sequence[int]) -> str:
    return ", ".join(str(v) for v in values)


def _model_losses(ctx: CheckContext, call: Call, values: Mapping[str, Any],
                  deltas: Sequence[np.ndarray],
                  read_loss: Callable[[Any], float] = _loss_value) -> list[float]:
    p = call.params
    where = p["reference_loss"] or p["loss"]
    losses = []
    for delta in deltas:
        shifted = {**values, p["wrt"]: np.asarray(values[p["wrt"]], dtype=np.float64) + delta}
        if p["loss_reference"]:
            loss = getattr(ctx.reference, p["loss_reference"])(gen.copy_inputs(shifted))
            losses.append(_loss_value(loss))
            continue
        returned, space = call.call_reference(ctx.reference, shifted)
        losses.append(read_loss(select(where, returned, space, p["function"])))
    return losses


@register("gradient", params=SCHEMA, mistakes=MISTAKES)
def check_gradient_kind(ctx: CheckContext) -> Outcome:
    """An analytic gradient against central differences of the model's loss and of the
    student's own, on sampled entries and random directions (for each case of `vary`)."""
    p = validated(SCHEMA, ctx.check.params)
    vary = p["vary"]
    if vary is None:
        return _check_case(ctx, p)
    cases = [(value, _check_case(ctx, {**p, "sizes": {**p["sizes"], vary["size"]: value}}))
             for value in vary["values"]]
    name = p["name"] or f"the gradient with respect to {p['wrt']}"
    return combine_cases(cases, name=name, label=vary["label"] or vary["size"])


def _check_case(ctx: CheckContext, p: dict[str, Any]) -> Outcome:
    call = Call(p, ctx.check.visibility)
    values = ctx.once(("inputs", call.key()), lambda: call.draw(ctx.seed, ctx.reference))
    where = p["reference_gradient"] or p["gradient"]
    returned, space = call.call_reference(ctx.reference, values)
    expected = np.asarray(select(where, returned, space, p["function"]), dtype=np.float64)
    shape = np.shape(values[p["wrt"]])
    probes = plan_probes(shape, rng=call.rng(ctx.seed, "probes", p["wrt"]),
                         entries=min(p["entries"], int(np.prod(shape))),
                         directions=p["directions"], prefer=expected)
    deltas = [sign * p["step"] * d for _, d in probes for sign in (1.0, -1.0)]
    read_loss = loss_reader(ctx.reference, p, values)
    key = ("gradient", call.key(), p["wrt"], repr(p["gradient"]), repr(p["loss"]), p["step"],
           p["entries"], p["directions"], p["loss_of"], tuple(p["loss_args"]),
           p["loss_reference"])
    fetched = ctx.once(key, lambda: fetch_gradient(ctx, call, values, deltas, read_loss))
    if "problem" in fetched:
        return Outcome.failed(fetched["problem"], mistake=fetched["mistake"])
    wrong = {}
    for function, hint in p["mistakes"].items():
        got, got_space = call.call_reference(ctx.reference, values, function)
        wrong[function] = (select(where, got, got_space, p["function"]), hint)
    name = p["name"] or f"the gradient with respect to {p['wrt']}"
    outcome = judge_gradient(actual=fetched["gradient"], expected=expected, probes=probes,
                             model_losses=_model_losses(ctx, call, values, deltas, read_loss),
                             own_losses=fetched["losses"], name=name, step=p["step"],
                             rtol=p["rtol"], floor=p["floor"], wrong_answers=wrong,
                             own_forward_credit=p["own_forward_credit"],
                             exact_rtol=p["exact_rtol"])
    outcome.details["fd_evaluations"] = len(deltas)  # calls of the student's code differenced
    return outcome
