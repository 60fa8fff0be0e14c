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
from graders.checks.schema import Choice
from graders.kernel import Ref, call_op, get_op, put_op

HELPERS = KernelHelpers.from_files(Path(__file__).with_name("checks_kernel.py"), TORCH_HELPERS)
# The same probe loss the kernel's helper defines, for the grader's own exact gradient.
nng_probe_loss = runpy.run_path(str(Path(__file__).with_name("checks_kernel.py")))[
    "nng_probe_loss"]
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


# Xavier's statistical test is the generic `distribution` kind (see spec.yaml, check xavier).


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
