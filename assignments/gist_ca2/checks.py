"""Check kinds for gist_ca2: what the course's scripts compute, read from the state they leave.

GIST CA2's q1.py checks gradients as module-level code: it keeps the analytic gradients in a copy
of `params` and stores its central differences in `params['grad_' + k]` for every weight and
bias `k`. Whatever the script prints about itself ("total 1e-9"), the grader reads those arrays
and compares them with its own central differences of the network's total cross-entropy at the
same weights and data (sigmoid hidden layer, softmax output, as the handout's network).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graders.checks.base import CheckContext, Outcome
from graders.checks.compare import as_float_array, compare_arrays, describe_value
from graders.checks.gradient import central_differences
from graders.checks.registry import register
from graders.kernel import get_op

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
