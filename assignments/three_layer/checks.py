"""Check kinds for three_layer: the spiral-data network extended to three layers, and the
gradients of a simple autoencoder.

Real solutions read the notebook's globals X, y, D, K and hard-code their iteration count; the
grader sets those globals to its own spiral data, calls the student's function as it is, and
measures the returned weights itself, on the training points and on fresh ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graders import datasets
from graders.checks.base import CheckContext, Outcome
from graders.checks.compare import (
    as_float_array,
    compare_arrays,
    describe_value,
    gradient_array,
    is_transposed,
)
from graders.checks.gradient import central_differences
from graders.checks.registry import register
from graders.checks.schema import Choice, ListOf, Number, Text
from graders.kernel import call_op, set_global_op

# function -> (names of what it returns after the loss, its parameters in order)
GRADIENT_FUNCTIONS = {
    "three_layer_gradients": ("dW1 db1 dW2 db2 dW3 db3".split(), "W1 b1 W2 b2 W3 b3".split()),
    "autoencoder_gradients": ("dW1 db1 dW2 db2".split(), "W1 b1 W2 b2".split()),
}


def _gradient_case(ctx: CheckContext, function: str) -> dict[str, Any]:
    ref = ctx.reference
    rng = ctx.rng("gradients", function)
    n = 8
    if function == "three_layer_gradients":
        sizes = [(2, 6), (6, 5), (5, 3)]
        y = rng.integers(0, 3, size=n)
        y[:3] = np.arange(3)
    else:
        sizes = [(5, 4), (4, 5)]
        y = None
    while True:  # every pre-activation away from the ReLU kink, some units off
        x = rng.standard_normal((n, sizes[0][0]))
        if y is None:
            x = np.abs(x)
        weights = []
        for i, o in sizes:
            weights += [rng.standard_normal((i, o)), rng.standard_normal((1, o)) * 0.5]
        pres = (ref.three_layer_pre_activations(x, weights) if y is not None
                else ref.autoencoder_pre_activations(x, weights))
        if all(np.abs(p).min() > 1e-2 and (p > 0).any() and (p < 0).any() for p in pres):
            break

    def loss_of(ws: list[np.ndarray]) -> float:
        return (ref.three_layer_loss(x, y, ws) if y is not None
                else ref.autoencoder_loss(x, ws))

    expected = []
    for k, w in enumerate(weights):
        expected.append(central_differences(
            lambda v, k=k: loss_of([*weights[:k], v, *weights[k + 1:]]), w))
    args = [x, y, *weights] if y is not None else [x, *weights]
    ops = [call_op(function, *args)]
    shifted_loss = None
    if y is not None:
        # Every score raised by 1000: softmax and the loss do not change, but exp overflows
        # unless each row's maximum is subtracted first.
        shifted = [*weights[:-1], weights[-1] + 1000.0]
        ops.append(call_op(function, x, y, *shifted))
        shifted_loss = loss_of(shifted)
    reply = ctx.kernel.request(ops)
    # What a ReLU without its mask would give, to name that mistake.
    unmasked = [ref.three_layer_gradients(x, y, weights, masks=m) if y is not None
                else ref.autoencoder_gradients(x, weights, masks=m)
                for m in ((False, True), (True, False), (False, False))]
    return {"reply": reply, "expected": expected, "loss": loss_of(weights), "n": n,
            "unmasked": unmasked, "shifted_loss": shifted_loss}


@register("three_layer.gradients", required=("function", "gradients"),
          types={"function": Text(), "gradients": ListOf(Text(), min_items=1)},
          mistakes=("not_defined", "crashed", "wrong_type", "wrong_values", "wrong_shape",
                    "wrong_nonfinite", "not_averaged", "no_relu_mask", "transposed",
                    "wrong_loss", "overflow"))
def check_gradients(ctx: CheckContext) -> Outcome:
    """The listed gradients (e.g. [dW3, db3]) against central differences of the grader's own
    loss, at a point where no ReLU input is within 1e-2 of zero. 'loss' checks the loss."""
    function = ctx.params["function"]
    names, params = GRADIENT_FUNCTIONS[function]
    case = ctx.once(function, lambda: _gradient_case(ctx, function))
    reply = case["reply"]
    if not reply.ok:
        mistake = "not_defined" if reply.problem == "missing" else "crashed"
        return Outcome.failed(ctx.explain(reply, f"call {function}"), mistake=mistake)
    returned = reply.results[0]
    if not isinstance(returned, tuple | list) or len(returned) != len(names) + 1:
        return Outcome.failed(f"{function} should return loss, {', '.join(names)} "
                              f"({len(names) + 1} values); it returned "
                              f"{describe_value(returned)}"
                              + (f" of length {len(returned)}" if isinstance(returned, tuple
                                                                         | list) else "") + ".",
                              mistake="wrong_type")
    for wanted in ctx.params["gradients"]:
        if wanted == "loss":
            verdict = _judge_loss(returned[0], case) or _judge_shifted_loss(reply, case)
        else:
            k = names.index(wanted)
            verdict = _judge_one(wanted, returned[k + 1], case["expected"][k], case["n"],
                                 [u[k] for u in case["unmasked"]])
        if verdict:
            return verdict
    shown = ", ".join(ctx.params["gradients"])
    return Outcome.passed(f"{shown} match central differences of the loss.")


def _judge_loss(value: Any, case: dict[str, Any]) -> Outcome | None:
    array = as_float_array(value)
    if array is not None and array.size == 1 and np.isclose(float(array.ravel()[0]),
                                                            case["loss"] * case["n"]):
        return Outcome.failed(f"The loss is a sum over the {case['n']} examples; the document's "
                              "loss is the mean (1/n).", mistake="not_averaged")
    comparison = compare_arrays(actual=value, expected=np.asarray(case["loss"]), name="the loss",
                                rtol=1e-6, atol=1e-9)
    if comparison.ok:
        return None
    return Outcome.failed(comparison.message, mistake="wrong_loss")


def _judge_shifted_loss(reply: Any, case: dict[str, Any]) -> Outcome | None:
    """The loss again with every score raised by 1000 (the same loss mathematically)."""
    if case["shifted_loss"] is None:
        return None
    returned = reply.results[1]
    value = returned[0] if isinstance(returned, tuple | list) and returned else returned
    array = as_float_array(value)
    got = float(array.ravel()[0]) if array is not None and array.size == 1 else None
    if got is not None and np.isclose(got, case["shifted_loss"], rtol=1e-6):
        return None
    shown = f"{got:.6g}" if got is not None else describe_value(value)
    return Outcome.failed(f"With every score raised by 1000 the loss should not change (softmax "
                          f"ignores a constant added to a row), but it became {shown} instead "
                          f"of {case['shifted_loss']:.6g}: exp "
                          "overflows. Subtract each row's maximum score before np.exp.",
                          mistake="overflow")


def _judge_one(name: str, value: Any, expected: np.ndarray, n: int,
               unmasked: list[np.ndarray]) -> Outcome | None:
    array = gradient_array(value, expected)
    if is_transposed(array, expected, rtol=1e-5, atol=1e-6):
        return Outcome.failed(f"{name} is transposed: shape {array.shape}, but it must match "
                              f"its parameter, {expected.shape}.", mistake="transposed")
    comparison = compare_arrays(actual=array if array is not None else value, expected=expected,
                                name=name, rtol=1e-5, atol=1e-7)
    if comparison.ok:
        return None
    if array is not None and array.shape == expected.shape and np.allclose(
            array, expected * n, rtol=1e-5, atol=1e-7):
        return Outcome.failed(f"{name} is {n} times too large: the loss is a mean over the "
                              f"{n} examples, so divide by n.", mistake="not_averaged")
    if array is not None and any(u.shape == array.shape and np.allclose(array, u, rtol=1e-5,
                                                                        atol=1e-7)
                                 for u in unmasked):
        return Outcome.failed(f"{name} is what you get when the gradient skips a ReLU's "
                              "derivative: where a unit's input was negative its gradient must "
                              "be zero, so multiply by (h > 0) on the way back.",
                              mistake="no_relu_mask")
    return Outcome.failed(f"{comparison.message}\nCompared with central differences of the "
                          "loss. Check each ReLU's mask (h > 0) and the order of the matrix "
                          "products.", mistake="wrong_values", **comparison.details)


# --------------------------------------------------------------------------- 1(b) training


def _training_case(ctx: CheckContext) -> dict[str, Any]:
    p = ctx.params
    x, y = datasets.spiral(seed=ctx.seed % 10_000)
    small = [int(v) for v in p["small"]]
    ops = [set_global_op("X", x), set_global_op("y", y.astype(np.uint8)),
           set_global_op("D", 2), set_global_op("K", 3), set_global_op("N", len(x) // 3),
           call_op(p["function"]),
           call_op(p["function"], *small)]
    reply = ctx.kernel.request(ops, timeout=float(p["seconds"]))
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
    default, small = reply.results[5], reply.results[6]
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
