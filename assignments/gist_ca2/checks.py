"""Check kinds for gist_ca2: what the course's scripts compute, read from the state they leave.

GIST CA2's q1.py checks gradients as module-level code: it keeps the analytic gradients in a copy
of `params` and stores its central differences in `params['grad_' + k]` for every weight and
bias `k`. Whatever the script prints about itself ("total 1e-9"), the grader reads those arrays
and compares them with its own central differences of the network's total cross-entropy at the
same weights and data (sigmoid hidden layer, softmax output, as the handout's network).

q3.py (or run_q5.py) trains the autoencoder with momentum: M = 0.9 M - lr dJ/dW, W = W + M. Students
keep M under any key, in another dict or in a helper, so the grader judges the updates themselves:
it runs the script with nn.backwards watched, keeps the weights and the gradients at the start of
each of the first few steps, and checks that every step follows the rule, whatever holds M.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from graders.checks.base import CheckContext, KernelHelpers, Outcome
from graders.checks.compare import as_float_array, compare_arrays, describe_value
from graders.checks.gradient import central_differences
from graders.checks.registry import register
from graders.checks.schema import Choice
from graders.kernel import call_op, get_op

HELPERS = KernelHelpers.from_files(Path(__file__).with_name("checks_kernel.py"))

LAYERS = (("layer1", "sigmoid"), ("output", "softmax"))


def _network_loss(weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Total cross-entropy of the handout's two-layer network, in float64."""
    h = 1.0 / (1.0 + np.exp(-(x @ weights["Wlayer1"] + weights["blayer1"])))
    z = h @ weights["Woutput"] + weights["boutput"]
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.sum(y * log_probs))


def _fetch(ctx: CheckContext) -> tuple[dict[str, Any] | None, Outcome | None]:
    names = [ctx.params["params"], ctx.params["inputs"], ctx.params["labels"]]
    results, failure = ctx.request(None, [get_op(n) for n in names],
                                   f"read {', '.join(names)} after your script ran")
    if failure:
        return None, failure
    params, x, y = results  # type: ignore[misc]
    if not isinstance(params, dict):
        return None, Outcome.failed(f"`{names[0]}` should be the dict of weights your script "
                                    f"checks, but it is {describe_value(params)}.",
                                    mistake="wrong_type")
    x, y = as_float_array(x), as_float_array(y)
    if x is None or y is None or x.ndim != 2 or y.ndim != 2 or len(x) != len(y):
        return None, Outcome.failed(f"`{names[1]}` and `{names[2]}` should be the script's "
                                    "data (examples along the rows) and one-hot labels.",
                                    mistake="wrong_type")
    return {"params": params, "x": x, "y": y}, None


def _weights(params: dict[str, Any]) -> tuple[dict[str, np.ndarray], str]:
    weights = {}
    for layer, _ in LAYERS:
        for p in ("W", "b"):
            value = as_float_array(params.get(p + layer))
            if value is None:
                return {}, f"params[{p + layer!r}] is missing or not an array"
            weights[p + layer] = value
    return weights, ""


@register("gist_ca2.script_gradients",
          optional={"params": "params", "inputs": "x", "labels": "y", "prefix": "grad_",
                    "rtol": 1e-4, "atol": 1e-6},
          mistakes=("not_defined", "crashed", "wrong_type", "not_set", "wrong_values",
                    "wrong_shape", "wrong_nonfinite"))
def check_script_gradients(ctx: CheckContext) -> Outcome:
    """The numerical gradients a script leaves in params[prefix + k] equal the grader's central
    differences of the total cross-entropy at the script's weights and data."""
    case, failure = _fetch(ctx)
    if failure:
        return failure
    assert case is not None
    weights, problem = _weights(case["params"])
    if problem:
        return Outcome.failed(f"After your script ran, {problem}; the network has layers "
                              "'layer1' and 'output'.", mistake="not_set")
    x, y, prefix = case["x"], case["y"], ctx.params["prefix"]
    worst = 0.0
    for key, value in weights.items():
        numeric = case["params"].get(prefix + key)
        if numeric is None:
            return Outcome.failed(f"params[{prefix + key!r}] is not set: the gradient check "
                                  "should store its numerical gradient of each weight there.",
                                  mistake="not_set")

        def loss(v: np.ndarray, key: str = key) -> float:
            return _network_loss({**weights, key: v}, x, y)

        expected = central_differences(loss, value)
        scale = max(1.0, float(np.abs(expected).max()))
        comparison = compare_arrays(actual=np.reshape(as_float_array(numeric), expected.shape)
                                    if np.size(as_float_array(numeric)) == expected.size
                                    else numeric, expected=expected,
                                    name=f"params[{prefix + key!r}]", rtol=ctx.params["rtol"],
                                    atol=ctx.params["atol"] * scale)
        if not comparison.ok:
            return Outcome.failed(
                f"Your script's numerical gradient differs from central differences of the "
                f"loss at the same weights and data: {comparison.message}",
                mistake="wrong_" + comparison.problem, **comparison.details)
        worst = max(worst, float(np.max(np.abs(as_float_array(numeric).ravel()
                                               - expected.ravel()))))
    return Outcome.passed(f"All {len(weights)} numerical gradients match central differences "
                          f"(largest difference {worst:.1e}).")


# --- momentum, judged from the updates a script makes --------------------------------------

@dataclass(frozen=True)
class Updates:
    """The first steps of a training loop: weights[s] is every parameter at the start of step s
    and grads[s] the gradient backwards stored in step s (so weights[s + 1] - weights[s] is the
    update step s made); `eps` is the machine epsilon of the script's arrays."""

    weights: tuple[dict[str, np.ndarray], ...]
    grads: tuple[dict[str, np.ndarray], ...]
    eps: float

    @cached_property
    def moves(self) -> list[dict[str, np.ndarray]]:
        """moves[s] = weights[s + 1] - weights[s], the update step s made."""
        return [{k: after[k] - before[k] for k in before}
                for before, after in zip(self.weights[:-1], self.weights[1:], strict=True)]


def updates_from_snapshots(snapshots: list[Any]) -> tuple[Updates | None, str]:
    """Snapshot i holds the weights at the start of step i and, from i = 1, the gradient of step
    i - 1 under 'grad_' + k. None and a reason when the script made too few steps to judge."""
    usable = [s for s in snapshots if isinstance(s, dict)]
    keys = sorted(k for k in (usable[0] if usable else {})
                  if not k.startswith("grad_") and len(usable) > 1 and all(
                      isinstance(s.get(k), np.ndarray) and isinstance(s.get("grad_" + k),
                                                                      np.ndarray)
                      # sizes, not shapes: a 2-D grad_b can turn b (n,) into (1, n)
                      and np.size(s[k]) == np.size(s["grad_" + k]) == np.size(usable[0][k])
                      for s in usable[1:]))
    if len(usable) < 4 or not keys:
        return None, (f"your script made {max(len(usable) - 1, 0)} training step(s) with "
                      "parameters that have gradients in params['grad_' + k]; at least 3 are "
                      "needed to see momentum")
    kinds = [usable[0][k].dtype for k in keys]
    eps = max(float(np.finfo(d).eps) if d.kind == "f" else 0.0 for d in kinds)
    weights = tuple({k: np.asarray(s[k], dtype=float).ravel() for k in keys} for s in usable)
    grads = tuple({k: np.asarray(s["grad_" + k], dtype=float).ravel() for k in keys}
                  for s in usable[1:])
    return Updates(weights=weights, grads=grads, eps=max(eps, float(np.finfo(float).eps))), ""


def _flat(parts: list[dict[str, np.ndarray]], keys: list[str]) -> np.ndarray:
    return np.concatenate([p[k].ravel() for p in parts for k in keys])


@dataclass(frozen=True)
class RuleFit:
    """How well steps 1.. follow move[s+1] = beta * move[s] - rate * grad[s]."""

    beta: float
    rate: float
    residual: float  # relative to the size of the moves
    worst_key: str
    worst_residual: float
    gradient_share: float  # |rate| * |gradients| / |moves|: how much the gradients moved W

    def follows(self, rtol: float) -> bool:
        """The steps follow the rule downhill (or their gradients were too small to tell the
        rate, as when a saturated output leaves almost no gradient)."""
        return self.residual <= rtol and (self.rate > 0 or self.gradient_share <= rtol)


def _rounding(updates: Updates, steps: range) -> float:
    """The size of the error W = W + M leaves in a move by rounding W: a move is a difference of
    two weights, exact only to the weights' own precision."""
    return 8 * updates.eps * float(np.sqrt(sum(
        float(np.sum(updates.weights[s + 1][k] ** 2)) for s in steps for k in updates.weights[0])))


def fit_rule(updates: Updates, beta: float | None, keys: list[str] | None = None) -> RuleFit:
    """Fit the momentum rule to steps 1.. of these parameters (all by default), beta fixed or
    fitted with the rate when None, by least squares; the residual says how far the steps are
    from following it."""
    keys = keys or sorted(updates.weights[0])
    moves = updates.moves
    steps = range(1, len(moves))
    rounding = _rounding(updates, steps)
    target = _flat([moves[s] for s in steps], keys)
    before = _flat([moves[s - 1] for s in steps], keys)
    grads = _flat([updates.grads[s] for s in steps], keys)
    if beta is None:
        (beta_fit, rate), *_ = np.linalg.lstsq(np.stack([before, -grads], axis=1), target,
                                               rcond=None)
    else:
        beta_fit, rate = beta, _rate(target - beta * before, grads)
    scale = float(np.linalg.norm(target)) + rounding
    worst_key, worst = "", 0.0
    for key in keys:
        t = _flat([moves[s] for s in steps], [key])
        r = t - beta_fit * _flat([moves[s - 1] for s in steps], [key]) \
            + rate * _flat([updates.grads[s] for s in steps], [key])
        share = float(np.linalg.norm(r)) / (float(np.linalg.norm(t)) + rounding or 1.0)
        if share > worst:
            worst_key, worst = key, share
    residual = float(np.linalg.norm(target - beta_fit * before + rate * grads)) / (scale or 1.0)
    share = abs(float(rate)) * float(np.linalg.norm(grads)) / (scale or 1.0)
    return RuleFit(float(beta_fit), float(rate), residual, worst_key, worst, share)


def _rate(moves: np.ndarray, grads: np.ndarray) -> float:
    """The rate that best explains moves = -rate * grads."""
    return -float(moves @ grads) / (float(grads @ grads) or 1.0)


def judge_momentum_carries(updates: Updates, *, beta: float, rtol: float) -> Outcome:
    """Every step after the first moves W by beta times the previous move minus a constant
    rate times the step's gradient."""
    moves = updates.moves
    if all(not np.any(m[k]) for m in moves for k in m):
        return Outcome.failed("Your training steps left every parameter unchanged: no update "
                              "was applied.", mistake="not_updated")
    fit = fit_rule(updates, beta)
    if fit.follows(rtol):
        rate = (f"lr = {fit.rate:.3g}" if fit.rate > 0 and fit.gradient_share > rtol else
                "the gradients were too small to read lr from")
        return Outcome.passed(f"Each step moved the weights by {beta} times the previous move "
                              f"minus lr x gradient ({rate}; largest relative deviation "
                              f"{fit.residual:.1e}, over {len(moves) - 1} steps).")
    if fit.residual <= rtol:
        return Outcome.failed(f"Your steps move the weights UP the gradient (they add "
                              f"{-fit.rate:.3g} x gradient): M = 0.9 M - lr dJ/dW subtracts it.",
                              mistake="wrong_sign", rate=fit.rate)
    keys = sorted(updates.weights[0])
    all_moves, all_grads = _flat(moves, keys), _flat(list(updates.grads), keys)
    plain = _rate(all_moves, all_grads)
    plain_residual = float(np.linalg.norm(all_moves + plain * all_grads)) / (
        float(np.linalg.norm(all_moves)) or 1.0)
    if plain_residual <= rtol:
        return Outcome.failed(f"Your steps are plain gradient steps (W = W - {plain:.3g} dJ/dW): "
                              "the previous move is not carried over, so momentum is not "
                              "applied. Is it switched off, or is M reset every step?",
                              mistake="momentum_off", rate=plain)
    free = fit_rule(updates, None)
    if free.follows(rtol):
        return Outcome.failed(f"Your steps carry {free.beta:.3g} of the previous move, not "
                              f"{beta}: the rule is M = {beta} M - lr dJ/dW.",
                              mistake="wrong_coefficient", beta=free.beta)
    if fit.worst_key and fit.worst_residual > rtol and fit.residual < 0.5:
        return Outcome.failed(f"Most parameters follow the momentum rule, but {fit.worst_key} "
                              f"does not (relative deviation {fit.worst_residual:.1e}): give "
                              "every parameter its own accumulator and update it the same way.",
                              mistake="partial", parameter=fit.worst_key)
    return Outcome.failed(f"Your steps do not follow M = {beta} M - lr dJ/dW, W = W + M: the "
                          f"best fit still misses by {fit.residual:.1e} of the step size "
                          f"(worst for {fit.worst_key}). Update M from the gradient backwards "
                          "just stored, then add M to W, once per batch.",
                          mistake="wrong_update", deviation=fit.residual)


def judge_momentum_starts(updates: Updates, *, beta: float, rtol: float) -> Outcome:
    """The first step of every parameter with momentum is a plain gradient step at the rate of
    its later ones: its accumulator started at zero."""
    keys = sorted(updates.weights[0])
    fits = {k: fit_rule(updates, beta, [k]) for k in keys}
    carried = [k for k in keys if fits[k].follows(rtol)]
    if not carried:
        free = fit_rule(updates, None)
        if not (free.follows(rtol) and free.beta > 0.05):
            return Outcome.failed("Your steps show no momentum (see the other check), so there "
                                  "are no accumulators whose start can be seen.",
                                  mistake="no_momentum")
        carried, fits = keys, {k: free for k in keys}
    worst_key, worst = "", 0.0
    rounding = _rounding(updates, range(0, 1))
    for key in carried:
        first, grad = updates.moves[0][key], updates.grads[0][key]
        deviation = float(np.linalg.norm(first + fits[key].rate * grad)) / (
            float(np.linalg.norm(first)) + rounding or 1.0)
        if deviation >= worst:
            worst_key, worst = key, deviation
    if worst <= rtol:
        return Outcome.passed(f"The first step was -lr x gradient, as from M = 0 (largest "
                              f"relative deviation {worst:.1e}).")
    return Outcome.failed(f"Your first step of {worst_key} is not -lr x gradient (it deviates "
                          f"by {worst:.1e} of its size), so its M did not start at zero: "
                          "initialise every accumulator with np.zeros_like(params[k]).",
                          mistake="nonzero_start", deviation=worst, parameter=worst_key)


@register("gist_ca2.script_momentum", required=("property",),
          optional={"scripts": "q3.py|run_q5.py", "steps": 5, "beta": 0.9, "rtol": 1e-4},
          types={"property": Choice("carries", "starts")},
          mistakes=("not_defined", "crashed", "not_set", "not_updated", "wrong_sign",
                    "momentum_off", "wrong_coefficient", "partial", "wrong_update",
                    "no_momentum", "nonzero_start"))
def check_script_momentum(ctx: CheckContext) -> Outcome:
    """The script's training steps follow M = beta M - lr dJ/dW, W = W + M (`carries`), from
    accumulators that start at zero (`starts`); judged from the weights and gradients at the
    start of its first `steps` steps, wherever the script keeps M."""
    params = ctx.params
    scripts = params["scripts"].split("|")
    doing = f"run {' or '.join(scripts)} and watch its first {params['steps']} training steps"
    results, failure = ctx.once(("momentum", params["scripts"], params["steps"]),
                                lambda: ctx.request(HELPERS, [call_op(
                                    "$nng_trace_updates", scripts, params["steps"])], doing))
    if failure:
        return failure
    assert results is not None
    trace = results[0]
    if not trace.get("script"):
        return Outcome.failed(f"None of {', '.join(scripts)} is in your submission.",
                              mistake="not_defined")
    updates, problem = updates_from_snapshots(list(trace.get("snapshots") or []))
    if updates is None:
        crashed = f" It stopped with {trace['error']}." if trace.get("error") else ""
        return Outcome.failed(f"While {trace['script']} ran, {problem}.{crashed} The grader "
                              "watches the calls of nn.backwards made by the training loop.",
                              mistake="crashed" if crashed else "not_set")
    judge = judge_momentum_carries if params["property"] == "carries" else judge_momentum_starts
    return judge(updates, beta=params["beta"], rtol=params["rtol"])
