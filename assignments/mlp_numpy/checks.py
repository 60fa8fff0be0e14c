"""Check kinds for mlp_numpy: a fully connected network written in numpy (its PyTorch twin
is checked by the generic `module` kind).

The student's functions are called in their kernel with inputs the grader chooses; everything they
return is judged here, against the grader's float64 reference and central differences. Helpers the
grader needs inside the kernel (activations, its own training loops) are plain code from
checks_kernel.py and decide nothing.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import numpy as np

from graders import datasets
from graders.checks.base import TORCH_HELPERS, CheckContext, KernelHelpers, Outcome
from graders.checks.compare import (
    as_float_array,
    compare_arrays,
    describe_value,
    gradient_array,
    is_transposed,
)
from graders.checks.gradient import central_differences
from graders.checks.registry import register
from graders.checks.schema import Choice, Text
from graders.kernel import Ref, call_op, get_op, put_op

HELPERS = KernelHelpers.from_files(Path(__file__).with_name("checks_kernel.py"), TORCH_HELPERS)
# The same probe loss the kernel's helper defines, for the grader's own exact gradient.
nng_probe_loss = runpy.run_path(str(Path(__file__).with_name("checks_kernel.py")))[
    "nng_probe_loss"]
# The grader's activations inside the kernel, by the reference's names.
KERNEL_ACTIVATION = {"sigmoid": "sigmoid", "linear": "$nng_linear", "tanh": "$nng_tanh",
                     "relu": "$nng_relu"}
# The derivatives the course's scripts pass: nn.py's own sigmoid_deriv and util.py's others
# (real backwards tell them apart by identity: `if activation_deriv == linear_deriv:`), else
# the grader's.
KERNEL_DERIV = {name: Ref.first_of(f"{name}_deriv", f"$nng_{name}_deriv")
                for name in ("sigmoid", "linear", "tanh", "relu")}


def _compare(actual: Any, expected: np.ndarray, name: str, *, rtol: float = 1e-6,
             atol: float = 1e-9) -> Outcome | None:
    """None when the values match; otherwise a failed Outcome with the comparison."""
    comparison = compare_arrays(actual=actual, expected=expected, name=name, rtol=rtol, atol=atol)
    if comparison.ok:
        return None
    return Outcome.failed(comparison.message, mistake="wrong_" + comparison.problem,
                          **comparison.details)


# ------------------------------------------------------------------- 1.1.2 initialize_weights


def _initialised(ctx: CheckContext,
                 sizes: list[tuple[int, int, str]]) -> tuple[Any, Outcome | None]:
    ops = [put_op("nng_init", {})]
    ops += [call_op("initialize_weights", i, o, Ref("$nng_init"), name, want=False)
            for i, o, name in sizes]
    ops.append(get_op("$nng_init"))
    results, failure = ctx.request(HELPERS, ops,
                                   "call initialize_weights(in_size, out_size, params, name)")
    if failure:
        return None, failure
    params = results[-1]
    if not isinstance(params, dict):
        return None, Outcome.failed("initialize_weights should fill the params dict it is given, "
                                    f"but params became {describe_value(params)}.",
                                    mistake="not_set")
    return params, None


@register("mlp_numpy.init_shapes", mistakes=("not_defined", "crashed", "not_set", "transposed",
                                             "b_2d", "b_not_zero", "wrong_shape"))
def check_init_shapes(ctx: CheckContext) -> Outcome:
    """W is (in, out), b is a 1-D vector of zeros, both stored under the layer's name."""
    sizes = [(5, 3, "layer1"), (7, 2, "")]
    params, failure = _initialised(ctx, sizes)
    if failure:
        return failure
    for in_size, out_size, name in sizes:
        w, b = params.get("W" + name), params.get("b" + name)
        if w is None or b is None:
            found = ", ".join(sorted(params)) or "nothing"
            return Outcome.failed(f"initialize_weights({in_size}, {out_size}, params, "
                                  f"{name!r}) should set params['W{name}'] and params['b{name}']; "
                                  f"params holds: {found}.", mistake="not_set")
        w_arr, b_arr = as_float_array(w), as_float_array(b)
        if w_arr is None or w_arr.shape != (in_size, out_size):
            transposed = w_arr is not None and w_arr.shape == (out_size, in_size)
            return Outcome.failed(f"W{name} is {describe_value(w)}, expected shape "
                                  f"({in_size}, {out_size}): rows are inputs, since the layer "
                                  "computes X @ W + b.",
                                  mistake="transposed" if transposed else "wrong_shape")
        if b_arr is None or b_arr.size != out_size:
            return Outcome.failed(f"b{name} is {describe_value(b)}, expected a vector of "
                                  f"{out_size} zeros.", mistake="wrong_shape")
        if b_arr.shape != (out_size,):
            return Outcome.failed(f"b{name} has shape {b_arr.shape}; it must be 1-D, shape "
                                  f"({out_size},), e.g. np.zeros(out_size).", mistake="b_2d")
        if np.any(b_arr != 0):
            return Outcome.failed(f"b{name} should start at zero but holds values up to "
                                  f"{np.abs(b_arr).max():.3g}.", mistake="b_not_zero")
    return Outcome.passed("W has shape (in_size, out_size) and b is a 1-D vector of zeros, "
                          "stored under 'W' + name and 'b' + name.")


# Xavier's statistical test is the generic `distribution` kind (see spec.yaml, check xavier).


# --------------------------------------------------------------------- 1.2.1 sigmoid, forward


@register("mlp_numpy.sigmoid", mistakes=("not_defined", "crashed", "wrong_type", "wrong_shape",
                                         "wrong_nonfinite", "wrong_values"))
def check_sigmoid(ctx: CheckContext) -> Outcome:
    x = np.concatenate([np.linspace(-8, 8, 17), [-40.0, 40.0, -700.0, 700.0]]).reshape(3, 7)
    results, failure = ctx.request(HELPERS, [call_op("sigmoid", x)], "call sigmoid(x)")
    if failure:
        return failure
    wrong = _compare(results[0], ctx.reference.sigmoid(x), "sigmoid(x)", rtol=1e-7, atol=1e-12)
    return wrong or Outcome.passed("sigmoid is right elementwise, including at +-700.")


def _forward_case(ctx: CheckContext) -> dict[str, Any]:
    rng = ctx.rng("forward")
    x = rng.standard_normal((4, 5))
    w, b = rng.standard_normal((5, 3)) * 0.7, rng.standard_normal(3)
    ops = [put_op("nng_fwd", {"Wlayer1": w, "blayer1": b}),
           call_op("forward", x, Ref("$nng_fwd"), "layer1"),
           get_op("$nng_fwd"),
           put_op("nng_fwd2", {"W": w, "b": b}),
           call_op("forward", x, Ref("$nng_fwd2"), "", Ref("$nng_tanh"))]
    results, failure = ctx.request(HELPERS, ops, "call forward(X, params, name, activation)")
    pre = x @ w + b
    return {"x": x, "pre": pre, "results": results, "failure": failure}


@register("mlp_numpy.forward", mistakes=("not_defined", "crashed", "wrong_type", "wrong_shape",
                                         "wrong_nonfinite", "wrong_values", "ignores_activation",
                                         "transposed"))
def check_forward(ctx: CheckContext) -> Outcome:
    """forward returns activation(X @ W + b), with the activation it is given."""
    case = ctx.once("forward", lambda: _forward_case(ctx))
    if case["failure"]:
        return case["failure"]
    _, out, params, _, out_tanh = case["results"]
    wrong = _compare(out, ctx.reference.sigmoid(case["pre"]), "forward(X, params, 'layer1')")
    if wrong:
        return wrong
    if _compare(out_tanh, np.tanh(case["pre"]), "out") is not None:
        if _compare(out_tanh, ctx.reference.sigmoid(case["pre"]), "out") is None:
            return Outcome.failed("forward ignores its `activation` argument: with "
                                  "activation=tanh it still applied sigmoid.",
                                  mistake="ignores_activation")
        return _compare(out_tanh, np.tanh(case["pre"]), "forward(X, params, '', tanh)")
    return Outcome.passed("forward returns activation(X @ W + b) for sigmoid and for tanh.")


@register("mlp_numpy.forward_cache", mistakes=("not_defined", "crashed", "not_set",
                                               "wrong_type", "wrong_shape", "wrong_nonfinite",
                                               "wrong_values"))
def check_forward_cache(ctx: CheckContext) -> Outcome:
    """params['cache_' + name] = (X, pre_act, post_act)."""
    case = ctx.once("forward", lambda: _forward_case(ctx))
    if case["failure"]:
        return case["failure"]
    params = case["results"][2]
    cache = params.get("cache_layer1") if isinstance(params, dict) else None
    if not isinstance(cache, tuple | list) or len(cache) != 3:
        return Outcome.failed("forward should store params['cache_' + name] = (X, pre_act, "
                              f"post_act); found {describe_value(cache)}.", mistake="not_set")
    expected = (case["x"], case["pre"], ctx.reference.sigmoid(case["pre"]))
    for label, got, want in zip(("X", "pre_act", "post_act"), cache, expected, strict=True):
        wrong = _compare(got, want, f"the cached {label}")
        if wrong:
            return wrong
    return Outcome.passed("forward caches (X, pre_act, post_act).")


# ------------------------------------------------------------------------------ 1.2.4 softmax


def _softmax_case(ctx: CheckContext) -> dict[str, Any]:
    rng = ctx.rng("softmax")
    x = rng.standard_normal((5, 4)) * 3
    shift = rng.uniform(-50, 50, size=(5, 1))
    big = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1003.0], [0.0, -1000.0, 1000.0]])
    ops = [call_op("softmax", x), call_op("softmax", x + shift), call_op("softmax", big),
           put_op("nng_sm", x.copy()), call_op("softmax", Ref("$nng_sm"), want=False),
           get_op("$nng_sm")]
    results, failure = ctx.request(HELPERS, ops, "call softmax(x)")
    return {"x": x, "shift": shift, "big": big, "results": results, "failure": failure}


@register("mlp_numpy.softmax_values", mistakes=("not_defined", "crashed", "wrong_type",
                                                "wrong_shape", "wrong_nonfinite", "wrong_values",
                                                "whole_matrix", "by_column"))
def check_softmax_values(ctx: CheckContext) -> Outcome:
    case = ctx.once("softmax", lambda: _softmax_case(ctx))
    if case["failure"]:
        return case["failure"]
    x, got = case["x"], case["results"][0]
    wrong = _compare(got, ctx.reference.softmax(x), "softmax(x)", rtol=1e-7, atol=1e-12)
    if wrong is None:
        return Outcome.passed("softmax normalises each row.")
    array = as_float_array(got)
    if array is not None and array.shape == x.shape:
        e = np.exp(x - x.max())
        if np.allclose(array, e / e.sum()):
            return Outcome.failed("softmax normalises over the whole matrix: the entries sum to "
                                  "1 in total, but each row (one example) must sum to 1. Sum "
                                  "with axis=1, keepdims=True.", mistake="whole_matrix")
        if np.allclose(array, ctx.reference.softmax(x.T).T):
            return Outcome.failed("softmax normalises each column; each row is one example and "
                                  "must sum to 1 (axis=1, not axis=0).", mistake="by_column")
    return wrong


@register("mlp_numpy.softmax_stable", mistakes=("not_defined", "crashed", "overflow",
                                                "global_max", "wrong_type", "wrong_shape",
                                                "wrong_values"))
def check_softmax_stable(ctx: CheckContext) -> Outcome:
    """Rows of logits near +1000, near -1000, and spanning both in one matrix."""
    case = ctx.once("softmax", lambda: _softmax_case(ctx))
    if case["failure"]:
        return case["failure"]
    big, got = case["big"], as_float_array(case["results"][2])
    expected = ctx.reference.softmax(big)
    if got is not None and got.shape == big.shape and not np.all(np.isfinite(got)):
        bad_rows = sorted({int(r) for r in np.argwhere(~np.isfinite(got))[:, 0]})
        if 0 not in bad_rows:
            return Outcome.failed(
                f"softmax gives NaN for row(s) {bad_rows} of logits {big.tolist()}: it "
                "subtracts one maximum for the whole matrix, so rows far below it underflow to "
                "0/0. Subtract each row's own maximum (np.max(x, axis=1, keepdims=True)).",
                mistake="global_max")
        return Outcome.failed(f"softmax overflows for logits near 1000 (NaN in rows "
                              f"{bad_rows}): subtract each row's maximum before np.exp.",
                              mistake="overflow")
    wrong = _compare(case["results"][2], expected, "softmax of logits of size 1000",
                     rtol=1e-7, atol=1e-12)
    return wrong or Outcome.passed("softmax is stable for logits of +-1000.")


@register("mlp_numpy.softmax_pure", mistakes=("not_defined", "crashed", "changes_input",
                                              "not_invariant", "wrong_type", "wrong_shape",
                                              "wrong_values"))
def check_softmax_pure(ctx: CheckContext) -> Outcome:
    """Adding a constant to each row changes nothing, and the input array is left unchanged."""
    case = ctx.once("softmax", lambda: _softmax_case(ctx))
    if case["failure"]:
        return case["failure"]
    x, (plain, shifted, _, after) = case["x"], (case["results"][0], case["results"][1],
                                                case["results"][2], case["results"][5])
    after_arr = as_float_array(after)
    if after_arr is None or after_arr.shape != x.shape or not np.array_equal(after_arr, x):
        return Outcome.failed("softmax changed the array it was given (e.g. `x -= x.max(...)`"
                              " or `np.exp(x, out=x)`); the caller's logits must stay as they "
                              "were. Work on a new array: `shifted = x - ...`.",
                              mistake="changes_input")
    plain_arr = as_float_array(plain)
    if plain_arr is None:
        return Outcome.failed(f"softmax returned {describe_value(plain)}.", mistake="wrong_type")
    wrong = _compare(shifted, plain_arr, "softmax(x + c) compared with softmax(x)", rtol=1e-6,
                     atol=1e-10)
    if wrong:
        wrong.mistake = "not_invariant"
        wrong.message = ("Adding a constant to each row changed softmax's output:\n"
                         + wrong.message)
        return wrong
    return Outcome.passed("softmax ignores a constant added to each row and leaves its input "
                          "unchanged.")


# ------------------------------------------------------------------ 1.2.5 loss and accuracy


def _loss_case(ctx: CheckContext) -> dict[str, Any]:
    rng = ctx.rng("loss")
    n, k = 8, 4
    labels = rng.integers(0, k, size=n)
    labels[:k] = np.arange(k)
    y = np.eye(k)[labels]
    probs = ctx.reference.softmax(rng.standard_normal((n, k)) * 2)
    results, failure = ctx.request(HELPERS, [call_op("compute_loss_and_acc", y, probs)],
                                   "call compute_loss_and_acc(y, probs)")
    returned = results[0] if results else None
    return {"y": y, "probs": probs, "returned": returned, "failure": failure}


def _loss_pair(case: dict[str, Any]) -> tuple[Any, Any, Outcome | None]:
    returned = case["returned"]
    if not isinstance(returned, tuple | list) or len(returned) != 2:
        return None, None, Outcome.failed("compute_loss_and_acc should return two values, "
                                          f"(loss, acc); it returned {describe_value(returned)}.",
                                          mistake="wrong_type")
    return returned[0], returned[1], None


@register("mlp_numpy.total_loss", mistakes=("not_defined", "crashed", "wrong_type", "mean_loss",
                                            "per_example", "sign_flipped", "wrong_values",
                                            "wrong_nonfinite", "wrong_shape"))
def check_total_loss(ctx: CheckContext) -> Outcome:
    case = ctx.once("loss", lambda: _loss_case(ctx))
    if case["failure"]:
        return case["failure"]
    loss, _, failure = _loss_pair(case)
    if failure:
        return failure
    y, probs = case["y"], case["probs"]
    total = ctx.reference.total_cross_entropy(y, probs)
    n = len(y)
    array = as_float_array(loss)
    if array is not None and array.size == n and array.ndim >= 1:
        if np.allclose(array.ravel(), -np.log(np.sum(y * probs, axis=1)), rtol=1e-6):
            return Outcome.failed(f"The loss is a vector of {n} per-example losses; return "
                                  f"their total, one number ({total:.6g} here).",
                                  mistake="per_example")
    if array is not None and array.size == 1:
        value = float(array.ravel()[0])
        if np.isclose(value, total / n, rtol=1e-6):
            return Outcome.failed(f"The loss is the mean over the {n} examples ({value:.6g}); "
                                  f"the handout asks for the total, {total:.6g}. Drop the "
                                  "division by the number of examples.", mistake="mean_loss")
        if np.isclose(value, -total, rtol=1e-6):
            return Outcome.failed("The loss has the wrong sign: cross-entropy is "
                                  "-sum(y * log(probs)), a positive number.",
                                  mistake="sign_flipped")
    wrong = _compare(loss, np.asarray(total), "the loss", rtol=1e-6, atol=1e-9)
    return wrong or Outcome.passed(f"The total cross-entropy is right ({total:.6g}).")


@register("mlp_numpy.accuracy", mistakes=("not_defined", "crashed", "wrong_type", "percentage",
                                          "count", "wrong_values", "wrong_nonfinite",
                                          "wrong_shape"))
def check_accuracy(ctx: CheckContext) -> Outcome:
    case = ctx.once("loss", lambda: _loss_case(ctx))
    if case["failure"]:
        return case["failure"]
    _, acc, failure = _loss_pair(case)
    if failure:
        return failure
    y, probs = case["y"], case["probs"]
    want = ctx.reference.accuracy(y, probs)
    array = as_float_array(acc)
    if array is not None and array.size == 1 and want > 0:
        value = float(array.ravel()[0])
        if np.isclose(value, 100 * want):
            return Outcome.failed(f"The accuracy is a percentage ({value:g}); return a fraction "
                                  f"between 0 and 1 ({want:g}).", mistake="percentage")
        if np.isclose(value, want * len(y)) and len(y) > 1:
            return Outcome.failed(f"The accuracy is a count of correct examples ({value:g}); "
                                  f"divide by the number of examples ({want:g}).",
                                  mistake="count")
    wrong = _compare(acc, np.asarray(want), "the accuracy", rtol=1e-9, atol=1e-12)
    return wrong or Outcome.passed(f"The accuracy is right ({want:g}).")


# ---------------------------------------------------------------------- 1.3.1 backwards


def _backwards_case(ctx: CheckContext, activation: str) -> dict[str, Any]:
    """The student's backwards on both layers of a small 2-layer net whose caches the grader
    filled (so forward's correctness does not matter here), with central differences of the
    grader's own loss to compare against."""
    ref = ctx.reference
    rng = ctx.rng("backwards", activation)
    n, d, h, k = 6, 5, 4, 3
    y = np.eye(k)[rng.integers(0, k, size=n)]
    while True:  # keep every pre-activation away from the ReLU kink
        x = rng.standard_normal((n, d))
        w1, b1 = rng.standard_normal((d, h)) * 0.6, rng.standard_normal(h) * 0.3
        w2, b2 = rng.standard_normal((h, k)) * 0.6, rng.standard_normal(k) * 0.3
        if np.abs(x @ w1 + b1).min() > 1e-2:
            break
    pre1, h1 = ref.layer_forward(x, w1, b1, activation)
    z2 = h1 @ w2 + b2
    probs = ref.softmax(z2)
    delta_out = probs - y
    dh1 = delta_out @ w2.T
    params = {"Wlayer1": w1, "blayer1": b1, "cache_layer1": (x, pre1, h1),
              "Woutput": w2, "boutput": b2, "cache_output": (h1, z2, z2)}
    ops = [put_op("nng_bw", params),
           call_op("backwards", delta_out, Ref("$nng_bw"), "output", KERNEL_DERIV["linear"]),
           call_op("backwards", dh1, Ref("$nng_bw"), "layer1", KERNEL_DERIV[activation]),
           get_op("$nng_bw")]
    results, failure = ctx.request(HELPERS, ops, "call backwards(delta, params, name, "
                                   "activation_deriv)")

    def loss_with(**change: np.ndarray) -> float:
        values = {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2, **change}
        if "h1" in change:
            return ref.total_cross_entropy(y, ref.softmax(change["h1"] @ w2 + b2))
        _, hidden = ref.layer_forward(values["x"], values["w1"], values["b1"], activation)
        return ref.total_cross_entropy(y, ref.softmax(hidden @ values["w2"] + values["b2"]))

    expected = {
        "grad_Wlayer1": central_differences(lambda v: loss_with(w1=v), w1),
        "grad_blayer1": central_differences(lambda v: loss_with(b1=v), b1),
        "grad_Woutput": central_differences(lambda v: loss_with(w2=v), w2),
        "grad_boutput": central_differences(lambda v: loss_with(b2=v), b2),
        "grad_X layer1": central_differences(lambda v: loss_with(x=v), x),
        "grad_X output": central_differences(lambda v: loss_with(h1=v), h1),
    }
    # What common mistakes would give, to name them.
    no_deriv = {"grad_Wlayer1": x.T @ dh1, "grad_blayer1": dh1.sum(axis=0),
                "grad_X layer1": dh1 @ w1.T}
    got: dict[str, Any] = {}
    if results is not None:
        stored = results[3] if isinstance(results[3], dict) else {}
        got = {key: stored.get(key) for key in expected if key.startswith("grad_W")
               or key.startswith("grad_b")}
        got["grad_X output"], got["grad_X layer1"] = results[1], results[2]
    return {"expected": expected, "got": got, "failure": failure, "no_deriv": no_deriv, "n": n}


def _judge_gradient(case: dict[str, Any], key: str, activation: str) -> Outcome | None:
    expected, got = case["expected"][key], case["got"].get(key)
    label = {"grad_X layer1": "the returned grad_X of layer 'layer1'",
             "grad_X output": "the returned grad_X of layer 'output'"}.get(
        key, f"params['{key}']")
    where = f" ({activation} activation)"
    if got is None:
        return Outcome.failed(f"{label} was not set{where}: backwards must store "
                              "params['grad_W' + name] and params['grad_b' + name] and return "
                              "grad_X.", mistake="not_set")
    array = gradient_array(got, expected)
    if is_transposed(array, expected, rtol=1e-5, atol=1e-6):
        return Outcome.failed(f"{label} is stored transposed{where}: it has shape "
                              f"{array.shape} but must match its weight, {expected.shape}. "
                              "grad_W = X.T @ delta_pre.", mistake="transposed")
    comparison = compare_arrays(actual=array if array is not None else got, expected=expected,
                                name=label + where, rtol=1e-5, atol=1e-6)
    if comparison.ok:
        return None
    mistake = "wrong_values"
    extra = ""
    if array is not None and array.shape == expected.shape:
        if key in case["no_deriv"] and activation != "linear" and np.allclose(
                array, case["no_deriv"][key], rtol=1e-5, atol=1e-6):
            mistake = "no_activation_deriv"
            extra = (" It equals the gradient without the activation's derivative: multiply "
                     "delta by activation_deriv(post_act) first.")
        elif np.allclose(array * case["n"], expected, rtol=1e-5, atol=1e-6):
            mistake = "divided_by_batch"
            extra = (f" It is the right gradient divided by the batch size ({case['n']}): the "
                     "loss is a total, so do not average.")
    return Outcome.failed(f"{comparison.message}\nCompared with central differences of the "
                          f"loss.{extra}", mistake=mistake, **comparison.details)


BACKWARDS_KEYS = {"grad_W": ("grad_Woutput", "grad_Wlayer1"),
                  "grad_b": ("grad_boutput", "grad_blayer1"),
                  "grad_X": ("grad_X output", "grad_X layer1")}


@register("mlp_numpy.backwards", required=("gradient",), types={"gradient": Text()},
          optional={"activations": ["sigmoid"]},
          mistakes=("not_defined", "crashed", "not_set", "transposed", "no_activation_deriv",
                    "divided_by_batch", "wrong_values", "wrong_shape", "wrong_type",
                    "wrong_nonfinite"))
def check_backwards(ctx: CheckContext) -> Outcome:
    """One gradient (grad_W, grad_b, grad_X or all) of both layers, against central
    differences of the loss, for each activation listed."""
    gradient = ctx.params["gradient"]
    keys = [k for g, ks in BACKWARDS_KEYS.items() if gradient in (g, "all") for k in ks]
    for activation in ctx.params["activations"]:
        case = ctx.once(f"backwards-{activation}", lambda a=activation: _backwards_case(ctx, a))
        if case["failure"]:
            return case["failure"]
        for key in keys:
            verdict = _judge_gradient(case, key, activation)
            if verdict:
                return verdict
    names = " and ".join(ctx.params["activations"])
    return Outcome.passed(f"{gradient} matches central differences for both layers ({names}).")


# ------------------------------------------------------------------ 1.4.1 get_random_batches


def _batches_case(ctx: CheckContext) -> dict[str, Any]:
    n, size = 60, 10
    x = np.arange(n, dtype=np.float64)[:, None] + np.array([0.0, 0.25, 0.5])
    y = np.zeros((n, 4))
    y[:, 0] = np.arange(n)
    y[np.arange(n), 1 + np.arange(n) % 3] = 1.0
    ops = [call_op("$nng_as_list", Ref("get_random_batches"), x, y, size) for _ in range(2)]
    results, failure = ctx.request(HELPERS, ops, "call get_random_batches(x, y, batch_size)")
    return {"n": n, "size": size, "results": results, "failure": failure}


def _batch_rows(batches: Any) -> tuple[list[tuple[np.ndarray, np.ndarray]] | None, str]:
    if not isinstance(batches, list) or not batches:
        return None, f"get_random_batches should return a list of (batch_x, batch_y) pairs; " \
                     f"it returned {describe_value(batches)}."
    pairs = []
    for i, item in enumerate(batches):
        if not isinstance(item, tuple | list) or len(item) != 2:
            return None, f"item {i} of the list is {describe_value(item)}, not a " \
                         "(batch_x, batch_y) pair."
        bx, by = as_float_array(item[0]), as_float_array(item[1])
        if bx is None or by is None or bx.ndim != 2 or by.ndim != 2:
            return None, f"batch {i} is not a pair of 2-D arrays (rows are examples)."
        pairs.append((bx, by))
    return pairs, ""


@register("mlp_numpy.batches", required=("property",),
          types={"property": Choice("partition", "sizes", "pairing", "differs")},
          mistakes=("not_defined", "crashed", "wrong_type", "not_partition", "same_buffer",
                    "overlapping",
                    "with_replacement", "wrong_sizes", "unpaired", "not_random"))
def check_batches(ctx: CheckContext) -> Outcome:
    """property: partition | sizes | pairing | differs."""
    case = ctx.once("batches", lambda: _batches_case(ctx))
    if case["failure"]:
        return case["failure"]
    n, size = case["n"], case["size"]
    first, problem = _batch_rows(case["results"][0])
    if first is None:
        return Outcome.failed(problem, mistake="wrong_type")
    prop = ctx.params["property"]
    ids = [int(round(v)) for bx, _ in first for v in bx[:, 0]]
    if prop == "partition":
        return _judge_partition(ids, n, first)
    if prop == "sizes":
        sizes = [len(bx) for bx, _ in first]
        if len(first) != n // size or any(s != size for s in sizes):
            return Outcome.failed(f"With {n} examples and batch_size={size} there should be "
                                  f"{n // size} batches of {size}; got {len(first)} batches of "
                                  f"sizes {sizes}.", mistake="wrong_sizes")
        return Outcome.passed(f"{n // size} batches of {size} for {n} examples.")
    if prop == "pairing":
        for i, (bx, by) in enumerate(first):
            if len(bx) != len(by) or not np.allclose(bx[:, 0], by[:, 0]):
                return Outcome.failed(f"In batch {i} the rows of batch_x and batch_y no longer "
                                      "belong together: index x and y with the same random "
                                      "indices.", mistake="unpaired")
        return Outcome.passed("Each batch keeps x and y rows together.")
    second, problem = _batch_rows(case["results"][1])
    if second is None:
        return Outcome.failed(problem, mistake="wrong_type")
    again = [int(round(v)) for bx, _ in second for v in bx[:, 0]]
    if again == ids:
        return Outcome.failed("Two calls gave exactly the same batches: shuffle on every call "
                              "(np.random.permutation), and do not reset the seed inside the "
                              "function.", mistake="not_random")
    return Outcome.passed("Two calls give different random batches.")


def _judge_partition(ids: list[int], n: int,
                     batches: list[tuple[np.ndarray, np.ndarray]]) -> Outcome:
    counts = np.bincount([i for i in ids if 0 <= i < n], minlength=n)
    if len(batches) > 1 and all(np.array_equal(batches[0][0], bx) for bx, _ in batches[1:]):
        return Outcome.failed("Every batch holds the same rows: the batches share one buffer "
                              "that is overwritten in the loop. Make a new array per batch "
                              "(e.g. x[indices]).", mistake="same_buffer")
    if counts.max() > 1 or counts.min() == 0:
        repeated, missed = int((counts > 1).sum()), int((counts == 0).sum())
        windows = [sorted(int(round(v)) for v in bx[:, 0]) for bx, _ in batches]
        if all(w == list(range(w[0], w[0] + len(w))) for w in windows if w):
            return Outcome.failed(
                f"The batches are windows of consecutive rows that overlap: {repeated} examples "
                f"appear more than once and {missed} never appear. Shuffle the row indices once "
                "(np.random.permutation) and cut that into batches.", mistake="overlapping")
        replacement = repeated > 0 and missed > 0
        return Outcome.failed(
            f"The batches are not a partition of the data: {repeated} examples appear more than "
            f"once and {missed} never appear" + (" (drawn with replacement: use one "
                                                 "np.random.permutation and slice it)"
                                                 if replacement else "") + ".",
            mistake="with_replacement" if replacement else "not_partition")
    return Outcome.passed("Every example is in exactly one batch.")


# ------------------------------------------------------------- 1.5.1 numerical_gradients


def _probe_gradient(w: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """The exact gradient of nng_probe_loss (the function the kernel's helper defines)."""
    rows, cols = w.shape
    weights = np.arange(1, rows * cols + 1).reshape(rows, cols) / (rows * cols)
    return {"W": np.cos(w) * weights + np.sum(b), "b": b ** 2 + np.sum(w)}


def _probe_loss(w: np.ndarray, b: np.ndarray) -> float:
    return nng_probe_loss({"W": w, "b": b})


def _numgrad_case(ctx: CheckContext) -> dict[str, Any]:
    rng = ctx.rng("numgrad")
    w, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    params = {"W": w, "b": b, "grad_W": np.zeros_like(w)}
    ops = [put_op("nng_ng", params),
           call_op("numerical_gradients", Ref("$nng_probe_loss"), Ref("$nng_ng")),
           get_op("$nng_ng")]
    results, failure = ctx.request(HELPERS, ops, "call numerical_gradients(loss_fn, params)")
    return {"w": w, "b": b, "results": results, "failure": failure}


@register("mlp_numpy.numerical_gradients", required=("property",),
          types={"property": Choice("values", "restores")},
          mistakes=("not_defined", "crashed", "wrong_type", "one_sided", "not_set",
                    "wrong_values", "wrong_shape", "wrong_nonfinite", "not_restored"))
def check_numerical_gradients(ctx: CheckContext) -> Outcome:
    """property: values (central differences of a known loss) | restores (params unchanged)."""
    case = ctx.once("numgrad", lambda: _numgrad_case(ctx))
    if case["failure"]:
        return case["failure"]
    w, b = case["w"], case["b"]
    grads, after = case["results"][1], case["results"][2]
    if ctx.params["property"] == "restores":
        if not isinstance(after, dict) or any(
                not np.array_equal(as_float_array(after.get(k)), v) for k, v in
                (("W", w), ("b", b))):
            return Outcome.failed("numerical_gradients left params changed: put each entry "
                                  "back to its original value after the two evaluations.",
                                  mistake="not_restored")
        return Outcome.passed("params are left as they were.")
    if not isinstance(grads, dict):
        return Outcome.failed("numerical_gradients should return a dict {key: gradient}; it "
                              f"returned {describe_value(grads)}.", mistake="wrong_type")
    exact = _probe_gradient(w, b)
    for key in ("W", "b"):
        got = grads.get(key, grads.get("grad_" + key))
        if got is None:
            return Outcome.failed(f"The returned dict has no gradient for {key!r} (keys: "
                                  f"{', '.join(map(str, grads)) or 'none'}).", mistake="not_set")
        comparison = compare_arrays(actual=got, expected=exact[key], name=f"gradient of {key}",
                                    rtol=1e-6, atol=1e-8)
        if not comparison.ok:
            array = as_float_array(got)
            if array is not None and array.shape == exact[key].shape and _one_sided(
                    array, key, w, b):
                return Outcome.failed(f"The gradient of {key} is a one-sided difference "
                                      "(f(w+eps) - f(w)) / eps; use central differences, "
                                      "(f(w+eps) - f(w-eps)) / (2 eps).", mistake="one_sided")
            return Outcome.failed(comparison.message + "\nCompared with the exact gradient of "
                                  "the grader's test loss.", mistake="wrong_" + comparison.problem)
    return Outcome.passed("The central-difference gradients match the exact ones.")


def _one_sided(array: np.ndarray, key: str, w: np.ndarray, b: np.ndarray,
               eps: float = 1e-6) -> bool:
    base = _probe_loss(w, b)
    target = w if key == "W" else b
    estimate = np.zeros_like(target)
    for index in np.ndindex(target.shape):
        bumped = target.copy()
        bumped[index] += eps
        estimate[index] = ((_probe_loss(bumped, b) if key == "W" else _probe_loss(w, bumped))
                           - base) / eps
    return bool(np.allclose(array, estimate, rtol=1e-6, atol=1e-8))


# ------------------------------------------------------------------------ 2.1.1 training


@register("mlp_numpy.trains", optional={"hidden": 64, "epochs": 8, "batch_size": 32,
                                        "learning_rate": 0.05, "threshold": 0.75},
          mistakes=("not_defined", "crashed", "timeout", "diverged", "too_low", "wrong_shape"))
def check_trains(ctx: CheckContext) -> Outcome:
    """The grader's own SGD loop, made of the student's forward, backwards and softmax, trains a
    sigmoid network on scikit-learn's digits; the grader then measures validation accuracy with
    its own forward pass on the weights that come back."""
    p = ctx.params
    train, valid = datasets.digits(seed=ctx.seed % 1000)
    rng = ctx.rng("init")
    sizes = [(train.x.shape[1], int(p["hidden"])), (int(p["hidden"]), train.classes)]
    params = {}
    for (i, o), name in zip(sizes, ("layer1", "output"), strict=True):
        bound = np.sqrt(6.0 / (i + o))
        params["W" + name], params["b" + name] = rng.uniform(-bound, bound, (i, o)), np.zeros(o)
    size = int(p["batch_size"])
    batches = [order[i:i + size] for _ in range(int(p["epochs"]))
               for order in [rng.permutation(len(train.x))]
               for i in range(0, len(order), size)]
    op = call_op("$nng_train_numpy", Ref("forward"), Ref("backwards"), Ref("softmax"),
                 Ref("sigmoid"), params, train.x, train.one_hot, batches,
                 float(p["learning_rate"]), KERNEL_DERIV["linear"], KERNEL_DERIV["sigmoid"])
    results, failure = ctx.request(HELPERS, [op],
                                   "train a network with your forward, backwards and softmax",
                                   timeout=max(ctx.kernel.call_seconds, 120))
    if failure:
        return failure
    trained = results[0]
    weights = {k: as_float_array(trained.get(k)) if isinstance(trained, dict) else None
               for k in params}
    if any(v is None or v.size != params[k].size for k, v in weights.items()):
        return Outcome.failed("After training, the weights no longer have their shapes: check "
                              "that backwards stores gradients shaped like W and b.",
                              mistake="wrong_shape")
    weights = {k: v.reshape(params[k].shape) for k, v in weights.items()}
    if not all(np.all(np.isfinite(v)) for v in weights.values()):
        return Outcome.failed("Training with your functions made the weights NaN or infinite.",
                              mistake="diverged")
    acc = ctx.reference.accuracy(valid.one_hot, ctx.reference.predict(weights, valid.x))
    threshold = float(p["threshold"])
    setup = (f"{p['epochs']} epochs of SGD, batch {size}, learning rate {p['learning_rate']}, "
             f"{p['hidden']} sigmoid hidden units, on {len(train.x)} digits")
    if acc < threshold:
        return Outcome.failed(f"A network trained with your functions ({setup}) reached "
                              f"{acc:.1%} validation accuracy; at least {threshold:.0%} is "
                              "expected. Fix forward, softmax and backwards first (1.2-1.3).",
                              mistake="too_low", accuracy=acc)
    return Outcome.passed(f"A network trained with your functions ({setup}) reached {acc:.1%} "
                          f"validation accuracy (at least {threshold:.0%} needed).",
                          accuracy=acc)


# ------------------------------------------------------------------------ 3.1 autoencoder


def _autoencoder_case(ctx: CheckContext) -> dict[str, Any]:
    ref = ctx.reference
    rng = ctx.rng("autoencoder")
    in_size, hidden, n = 12, 5, 4
    sizes = ref.autoencoder_sizes(in_size, hidden)
    while True:
        params = {}
        for name, (i, o) in sizes.items():
            params["W" + name] = rng.standard_normal((i, o)) * 0.8
            params["b" + name] = rng.standard_normal(o) * 0.3
        x = rng.random((n, in_size))
        pres = ref.autoencoder_pre_activations(params, x)
        if min(np.abs(p).min() for p in pres[:3]) > 1e-2 and all((p > 0).any() for p in pres):
            break
    ops = [put_op("nng_init_ae", {}),
           call_op("initialize_autoencoder", Ref("$nng_init_ae"), 20, 6, want=False),
           get_op("$nng_init_ae"),
           put_op("nng_ae", params),
           call_op("autoencoder_loss_and_gradients", x, Ref("$nng_ae")),
           get_op("$nng_ae")]
    results, failure = ctx.request(HELPERS, ops, "call your autoencoder functions")
    expected = {}
    for key, value in params.items():
        def loss(v: np.ndarray, key: str = key) -> float:
            return ref.autoencoder_loss({**params, key: v}, x)
        expected["grad_" + key] = central_differences(loss, value)
    return {"params": params, "x": x, "results": results, "failure": failure,
            "expected": expected, "loss": ref.autoencoder_loss(params, x)}


@register("mlp_numpy.autoencoder", required=("property",),
          types={"property": Choice("init", "loss", "gradients")},
          mistakes=("not_defined", "crashed", "not_set", "wrong_shape", "wrong_values",
                    "wrong_type", "wrong_nonfinite", "layer_skipped", "mean_loss",
                    "transposed"))
def check_autoencoder(ctx: CheckContext) -> Outcome:
    """property: init (four layers' shapes) | loss (total squared error) | gradients (all four
    layers against central differences)."""
    case = ctx.once("autoencoder", lambda: _autoencoder_case(ctx))
    if case["failure"]:
        return case["failure"]
    prop = ctx.params["property"]
    if prop == "init":
        return _judge_autoencoder_init(ctx, case["results"][2])
    if prop == "loss":
        loss, want = case["results"][4], case["loss"]
        array = as_float_array(loss)
        if array is not None and array.size == 1 and np.isclose(
                float(array.ravel()[0]), want / case["x"].size, rtol=1e-6):
            return Outcome.failed(f"The loss is the mean squared error; the handout asks for "
                                  f"the total, {want:.6g}.", mistake="mean_loss")
        wrong = _compare(loss, np.asarray(want), "the autoencoder's loss", rtol=1e-6)
        return wrong or Outcome.passed(f"The total squared error is right ({want:.6g}).")
    stored = case["results"][5] if isinstance(case["results"][5], dict) else {}
    order = [f"grad_{w}{name}" for name, _ in reversed(ctx.reference.AUTOENCODER_LAYERS)
             for w in ("W", "b")]
    for key in order:
        got = stored.get(key)
        expected = case["expected"][key]
        layer = key[6:]
        if got is None:
            return Outcome.failed(f"params['{key}'] was not set: layer {layer!r} is skipped in "
                                  "the backward chain. Call backwards for every layer, from "
                                  "'output' down to 'layer1'.", mistake="layer_skipped")
        array = gradient_array(got, expected)
        if is_transposed(array, expected, rtol=1e-5, atol=1e-6):
            return Outcome.failed(f"params['{key}'] is stored transposed: shape {array.shape}, "
                                  f"but it must match its weight, {expected.shape}.",
                                  mistake="transposed")
        comparison = compare_arrays(actual=array if array is not None else got,
                                    expected=expected, name=f"params['{key}']", rtol=1e-5,
                                    atol=1e-6)
        if not comparison.ok:
            later = order[:order.index(key)]
            hint = (f" The layers after it are right, so look at what reaches layer "
                    f"{layer!r}: each backwards call must receive the grad_X returned by the "
                    "layer above it, with that layer's own activation derivative."
                    if later else "")
            return Outcome.failed(f"{comparison.message}\nCompared with central differences of "
                                  f"the total squared error.{hint}",
                                  mistake="layer_skipped" if later else "wrong_values",
                                  **comparison.details)
    return Outcome.passed("The gradients of all four layers match central differences.")


def _judge_autoencoder_init(ctx: CheckContext, params: Any) -> Outcome:
    if not isinstance(params, dict):
        return Outcome.failed(f"initialize_autoencoder should fill params; params became "
                              f"{describe_value(params)}.", mistake="not_set")
    for name, (i, o) in ctx.reference.autoencoder_sizes(20, 6).items():
        w, b = as_float_array(params.get("W" + name)), as_float_array(params.get("b" + name))
        if w is None or b is None:
            return Outcome.failed(f"initialize_autoencoder(params, 20, 6) did not set "
                                  f"params['W{name}'] and params['b{name}'].", mistake="not_set")
        if w.shape != (i, o) or b.shape != (o,):
            return Outcome.failed(f"Layer {name!r} should have W of shape {(i, o)} and b of "
                                  f"shape {(o,)}; found {w.shape} and {b.shape}.",
                                  mistake="wrong_shape")
    return Outcome.passed("The four layers have the right shapes.")


@register("mlp_numpy.momentum", required=("property",),
          types={"property": Choice("carries", "starts")},
          mistakes=("not_defined", "crashed", "not_set", "momentum_off", "wrong_values",
                    "wrong_shape", "wrong_type", "wrong_nonfinite"))
def check_momentum(ctx: CheckContext) -> Outcome:
    """property: carries (with accumulators already holding momentum) | starts (accumulators
    created as zeros)."""
    rng = ctx.rng("momentum", ctx.params["property"])
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    params.update({"grad_W": rng.standard_normal((3, 2)), "grad_b": rng.standard_normal(2)})
    if ctx.params["property"] == "carries":
        params.update({"m_W": rng.standard_normal((3, 2)), "m_b": rng.standard_normal(2)})
    lr = 0.1
    results, failure = ctx.request(HELPERS, [put_op("nng_mom", params),
                                         call_op("momentum_update", Ref("$nng_mom"), lr,
                                                 want=False),
                                         get_op("$nng_mom")],
                                   "call momentum_update(params, learning_rate)")
    if failure:
        return failure
    after = results[2] if isinstance(results[2], dict) else {}
    expected = ctx.reference.momentum_update(params, lr)
    for key in ("W", "b", "m_W", "m_b"):
        got = after.get(key)
        if got is None:
            return Outcome.failed(f"params['{key}'] is missing after momentum_update.",
                                  mistake="not_set")
        comparison = compare_arrays(actual=got, expected=expected[key],
                                    name=f"params['{key}']", rtol=1e-9, atol=1e-12)
        if not comparison.ok:
            plain = params[key] - lr * params["grad_" + key] if key in ("W", "b") else None
            if plain is not None and np.allclose(as_float_array(got), plain):
                return Outcome.failed(f"params['{key}'] got a plain gradient step, W - lr * "
                                      "grad: the momentum is computed but not used. Update "
                                      "with W = W + M.", mistake="momentum_off")
            return Outcome.failed(comparison.message + "\nExpected M = 0.9 M - lr * grad, then "
                                  "W = W + M.", mistake="wrong_" + comparison.problem)
    return Outcome.passed("momentum_update applies M = 0.9 M - lr grad; W = W + M.")


@register("mlp_numpy.psnr", mistakes=("not_defined", "crashed", "wrong_values", "wrong_type",
                                      "wrong_shape", "wrong_nonfinite", "ignores_max"))
def check_psnr(ctx: CheckContext) -> Outcome:
    rng = ctx.rng("psnr")
    image = rng.random((8, 8))
    noisy = np.clip(image + rng.normal(0, 0.05, image.shape), 0, 1)
    ops = [call_op("psnr", image, noisy), call_op("psnr", image * 255, noisy * 255, 255.0)]
    results, failure = ctx.request(HELPERS, ops, "call psnr(image, reconstruction, max_value)")
    if failure:
        return failure
    want = ctx.reference.psnr(image, noisy)
    wrong = _compare(results[0], np.asarray(want), "psnr(image, reconstruction)", rtol=1e-9)
    if wrong:
        return wrong
    if _compare(results[1], np.asarray(want), "psnr", rtol=1e-6) is not None:
        return Outcome.failed(f"With max_value=255 on images scaled to 0..255, the PSNR "
                              f"should still be {want:.4f}; got {results[1]!r:.40}.",
                              mistake="ignores_max")
    return Outcome.passed(f"psnr is right ({want:.3f} dB here).")
