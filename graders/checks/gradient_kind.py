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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    Integer,
    Number,
    Param,
    ReferenceFunction,
    Schema,
    Text,
    did_you_mean,
)

MISTAKES = ("not_defined", "crashed", "wrong_type", "wrong_shape", "transposed", "nonfinite",
            "forward_not_model", "not_gradient_of_forward")


def _wrt_is_an_input(v: dict[str, Any]) -> tuple[str, str, str] | None:
    if v["wrt"] not in v["inputs"]:
        return ("wrt", f"{v['wrt']!r} is not an input", did_you_mean(v["wrt"], v["inputs"]))
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
    Param("loss", OUTPUT, {"of": "returned", "index": 0}, doc="where the loss is"),
    Param("loss_reference", ReferenceFunction(), "", doc="for a call that returns no loss (a "
          "layer's backward pass given the upstream gradient): a reference.py function of the "
          "inputs (one dict) returning the loss the gradient is of; only it is differenced"),
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
           _step_inside_margins),
)


def _loss_value(value: Any) -> float:
    array = as_float_array(value)
    if array is None or array.size != 1:
        return float("nan")
    return float(array.ravel()[0])


def fetch_gradient(ctx: CheckContext, call: Call, values: Mapping[str, Any],
                   deltas: Sequence[np.ndarray]) -> dict[str, Any]:
    """One request: the call (its gradient), then the call again at the wrt input + each delta
    (its loss). Returns {"gradient": value} or {"problem", "mistake"}, and "losses" (NaN where
    the loss could not be read)."""
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
    function = p["function"].lstrip("$")
    results, failed = ctx.request(None, ops, f"call {function}")
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
            losses.append(_loss_value(pick(p["loss"], results[mark])))
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
                   wrong_answers: Mapping[str, tuple[Any, str]] | None = None) -> Outcome:
    """The verdict on a student's gradient (pure: no kernel). `model_losses` and `own_losses`
    are the reference's and the student's loss at +/- step along each probe."""
    expected = np.asarray(expected, dtype=np.float64)
    array = gradient_array(actual, expected)
    if array is None or array.shape != expected.shape or not np.all(np.isfinite(array)):
        return judge_output(actual=actual if array is None else array, expected=expected,
                            name=name, rtol=rtol, atol=floor, wrong_answers=wrong_answers)
    model = compare_probes(array, probes, model_losses, step=step, rtol=rtol, floor=floor)
    tolerance = f"(tolerance {rtol:g}, step {step:g})"
    if model.ok:
        return Outcome.passed(f"{name} matches central differences of the loss: largest "
                              f"relative error {model.max_rel_error:.2e} {tolerance}.",
                              max_rel_error=model.max_rel_error)
    for mistake, (value, hint) in (wrong_answers or {}).items():
        wrong = as_float_array(value)
        if wrong is not None and wrong.shape == array.shape and np.allclose(
                array, wrong, rtol=rtol, atol=floor):
            return Outcome.failed(f"{name} is the known wrong gradient '{mistake}' (relative "
                                  f"error {model.max_rel_error:.3g} against central "
                                  f"differences {tolerance}).", mistake=mistake, hint=hint,
                                  max_rel_error=model.max_rel_error)
    own = None if own_losses is None else compare_probes(array, probes, own_losses, step=step,
                                                         rtol=rtol, floor=floor)
    table = model.table()
    if own is not None and own.ok:
        return Outcome.failed(
            f"{name} is the gradient of your own forward pass (largest relative error "
            f"{own.max_rel_error:.2e}), but your forward pass is not the model: against central "
            f"differences of the model's loss the relative error is {model.max_rel_error:.3g} "
            f"{tolerance}.\n{table}\nFix the loss your function computes; the gradient follows "
            "it.", mistake="forward_not_model", max_rel_error=model.max_rel_error)
    own_line = ""
    if own is not None and all(np.isfinite(own_losses or [])):
        same = np.allclose(own_losses, model_losses, rtol=1e-9, atol=1e-12)
        own_line = ("Your loss agrees with the model's, so the forward pass is right and the "
                    "gradient is not." if same else
                    f"It is not the gradient of your own forward pass either (relative error "
                    f"{own.max_rel_error:.3g}).")
    comparison = compare_arrays(actual=array, expected=expected, name=name, rtol=rtol,
                                atol=floor)
    return Outcome.failed(
        f"{name} is not the gradient of the loss: relative error {model.max_rel_error:.3g} "
        f"against central differences {tolerance}; "
        f"{len(model.failures)} of {len(model.probes)} probes differ.\n{table}\n"
        + (f"{own_line}\n" if own_line else "") + comparison.summary,
        mistake="not_gradient_of_forward", max_rel_error=model.max_rel_error)


def _model_losses(ctx: CheckContext, call: Call, values: Mapping[str, Any],
                  deltas: Sequence[np.ndarray]) -> list[float]:
    p = call.params
    losses = []
    for delta in deltas:
        shifted = {**values, p["wrt"]: np.asarray(values[p["wrt"]], dtype=np.float64) + delta}
        if p["loss_reference"]:
            loss = getattr(ctx.reference, p["loss_reference"])(gen.copy_inputs(shifted))
            losses.append(_loss_value(loss))
            continue
        returned, space = call.call_reference(ctx.reference, shifted)
        losses.append(_loss_value(select(p["loss"], returned, space, p["function"])))
    return losses


@register("gradient", params=SCHEMA, mistakes=MISTAKES)
def check_gradient_kind(ctx: CheckContext) -> Outcome:
    """An analytic gradient against central differences of the model's loss and of the
    student's own, on sampled entries and random directions."""
    p = validated(SCHEMA, ctx.check.params)
    call = Call(p, ctx.check.visibility)
    values = ctx.once(("inputs", call.key()), lambda: call.draw(ctx.seed, ctx.reference))
    returned, space = call.call_reference(ctx.reference, values)
    expected = np.asarray(select(p["gradient"], returned, space, p["function"]),
                          dtype=np.float64)
    shape = np.shape(values[p["wrt"]])
    probes = plan_probes(shape, rng=call.rng(ctx.seed, "probes", p["wrt"]),
                         entries=min(p["entries"], int(np.prod(shape))),
                         directions=p["directions"], prefer=expected)
    deltas = [sign * p["step"] * d for _, d in probes for sign in (1.0, -1.0)]
    key = ("gradient", call.key(), p["wrt"], repr(p["gradient"]), repr(p["loss"]), p["step"],
           p["entries"], p["directions"], p["loss_reference"])
    fetched = ctx.once(key, lambda: fetch_gradient(ctx, call, values, deltas))
    if "problem" in fetched:
        return Outcome.failed(fetched["problem"], mistake=fetched["mistake"])
    wrong = {}
    for function, hint in p["mistakes"].items():
        got, got_space = call.call_reference(ctx.reference, values, function)
        wrong[function] = (select(p["gradient"], got, got_space, p["function"]), hint)
    name = p["name"] or f"the gradient with respect to {p['wrt']}"
    return judge_gradient(actual=fetched["gradient"], expected=expected, probes=probes,
                          model_losses=_model_losses(ctx, call, values, deltas),
                          own_losses=fetched["losses"], name=name, step=p["step"],
                          rtol=p["rtol"], floor=p["floor"], wrong_answers=wrong)
