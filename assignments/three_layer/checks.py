"""Check kinds for three_layer's 1(b): the spiral-data network extended to three layers (the
gradients of 1(a) and 2(a) are the generic `call` and `gradient` kinds, in the spec).

Real solutions read the notebook's globals X, y, D, K and hard-code their iteration count; the
grader sets those globals to its own spiral data, calls the student's function as it is, and
measures the returned weights itself, on the training points and on fresh ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graders import datasets
from graders.checks.base import CheckContext, KernelHelpers, Outcome
from graders.checks.compare import as_float_array, describe_value
from graders.checks.registry import register
from graders.checks.schema import Choice, Number
from graders.kernel import call_op, set_global_op

# --------------------------------------------------------------------------- 1(b) training

# Real solutions draw their initial weights from numpy's global generator: seeded from the run's
# seed before each call, a submission's training (and its marks) is the same on every run.
SEEDING = KernelHelpers(
    "def nng_seed_numpy(seed):\n    import numpy\n    numpy.random.seed(seed)\n",
    ["nng_seed_numpy"])


def _training_case(ctx: CheckContext) -> dict[str, Any]:
    p = ctx.params
    x, y = datasets.spiral(seed=ctx.seed % 10_000)
    small = [int(v) for v in p["small"]]
    seed = ctx.seed % 2**31
    ops = [set_global_op("X", x), set_global_op("y", y.astype(np.uint8)),
           set_global_op("D", 2), set_global_op("K", 3), set_global_op("N", len(x) // 3),
           call_op("$nng_seed_numpy", seed), call_op(p["function"]),
           call_op("$nng_seed_numpy", seed + 1), call_op(p["function"], *small)]
    defined = ctx.kernel.define(SEEDING.source, SEEDING.names)
    reply = (ctx.kernel.request(ops, timeout=float(p["seconds"])) if defined.ok else defined)
    fresh = datasets.spiral(seed=ctx.seed % 10_000 + 1)
    return {"reply": reply, "x": x, "y": y, "fresh": fresh, "small": small}


def _weights(returned: Any, hidden: tuple[int, int]) -> tuple[list[np.ndarray] | None, str]:
    if not isinstance(returned, tuple | list) or len(returned) != 6:
        return None, f"should return (W1, b1, W2, b2, W3, b3); it returned " \
                     f"{describe_value(returned)}."
    arrays = [as_float_array(v) for v in returned]
    if any(a is None for a in arrays):
        return None, "returned something that is not an array among (W1, b1, W2, b2, W3, b3)."
    h1, h2 = hidden
    w1, b1, w2, b2, w3, b3 = arrays
    rows = {(2, h1), (h1, 2)}
    if w1.shape not in rows or w2.shape not in {(h1, h2), (h2, h1)} or \
            w3.shape not in {(h2, 3), (3, h2)} or (b1.size, b2.size, b3.size) != (h1, h2, 3):
        return None, (f"with H1={h1}, H2={h2} the shapes are W1 {w1.shape}, b1 {b1.shape}, "
                      f"W2 {w2.shape}, b2 {b2.shape}, W3 {w3.shape}, b3 {b3.shape}; expected "
                      f"W1 (2, {h1}), W2 ({h1}, {h2}), W3 ({h2}, 3), biases of {h1}, {h2}, 3.")
    return arrays, ""


@register("three_layer.trained", required=("property",),
          types={"property": Choice("shapes", "train_accuracy", "fresh_accuracy"),
                 "seconds": Number(minimum=1)},
          optional={"function": "train_3_layer_network", "small": [20, 30], "seconds": 600,
                    "threshold": 0.95},
          mistakes=("not_defined", "crashed", "timeout", "wrong_shape", "ignores_sizes",
                    "diverged", "too_low"))
def check_trained(ctx: CheckContext) -> Outcome:
    """property: shapes (defaults and H1, H2 honoured) | train_accuracy | fresh_accuracy."""
    case = ctx.once("training", lambda: _training_case(ctx))
    reply, name = case["reply"], ctx.params["function"]
    if not reply.ok:
        mistake = {"missing": "not_defined", "timeout": "timeout"}.get(reply.problem, "crashed")
        return Outcome.failed(ctx.explain(reply, f"call {name}() on the spiral data"),
                              mistake=mistake)
    default, small = reply.results[6], reply.results[8]
    weights, problem = _weights(default, (100, 100))
    if weights is None:
        return Outcome.failed(f"{name}() {problem}", mistake="wrong_shape")
    prop = ctx.params["property"]
    if prop == "shapes":
        h1, h2 = case["small"]
        sized, problem = _weights(small, (h1, h2))
        if sized is None:
            return Outcome.failed(f"{name}(H1={h1}, H2={h2}) {problem} Use H1 and H2 for the "
                                  "layer sizes instead of fixed numbers.",
                                  mistake="ignores_sizes")
        return Outcome.passed(f"Six arrays of the right shapes, for the defaults and for "
                              f"H1={h1}, H2={h2}.")
    if not all(np.all(np.isfinite(w)) for w in weights):
        return Outcome.failed("The trained weights contain NaN or inf: training diverged; try "
                              "a smaller step size.", mistake="diverged")
    x, y = (case["x"], case["y"]) if prop == "train_accuracy" else case["fresh"]
    where = ("the training points" if prop == "train_accuracy"
             else f"{len(x)} fresh spiral points the network never saw")
    acc = float(np.mean(ctx.reference.predict(x, weights) == y))
    threshold = float(ctx.params["threshold"])
    if acc < threshold:
        return Outcome.failed(f"The returned weights classify {acc:.1%} of {where} correctly; "
                              f"at least {threshold:.0%} is expected of a trained three-layer "
                              "network. Check the backward pass and that every weight is "
                              "updated in place.", mistake="too_low", accuracy=acc)
    return Outcome.passed(f"The returned weights classify {acc:.1%} of {where} correctly.",
                          accuracy=acc)
