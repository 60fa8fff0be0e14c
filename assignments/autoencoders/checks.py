"""Check kinds for autoencoders: a deep autoencoder on the supplied Network class (numpy), the
reconstruction loss and a VAE's KL term in PyTorch, and the parameter count of a 1-D CNN. The
PyTorch models themselves (SELU and convolutional autoencoders, the RNN sentiment classifier)
are checked by the generic `module` kind.

A Network crosses the wire as data: its sizes, activation names and weight arrays; it is
measured as the notebook left it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from graders.checks.base import TORCH_HELPERS, CheckContext, KernelHelpers, Outcome
from graders.checks.compare import as_float_array, describe_value
from graders.checks.registry import register
from graders.checks.schema import Choice
from graders.kernel import Ref, call_op, instances_op

HELPERS = KernelHelpers.from_files(Path(__file__).with_name("checks_kernel.py"), TORCH_HELPERS)
IMAGE = 784



# ------------------------------------------------------------ question 1: the Network class


def _network_case(ctx: CheckContext) -> dict[str, Any]:
    found, failure = ctx.request(HELPERS, [instances_op("Network")], "look for your Network")
    if failure:
        return {"failure": failure}
    names = list(found[0]) if isinstance(found[0], dict) else []
    if not names:
        return {"failure": Outcome.failed(
            "No Network object was left by the cells of question 1 (the grader runs them up "
            "to the cell that loads autoencoder.net). Build your autoencoder with "
            "net = Network.Network([...], type='Bernoulli') or net.AddLayer(...).",
            mistake="not_found")}
    ops = [call_op("$nng_network_state", Ref(n)) for n in names]
    ops.append(call_op("$nng_mnist_images", 1, int(ctx.params["images"])))
    results, failure = ctx.request(HELPERS, ops, "read your network's layers and weights")
    if failure:
        return {"failure": failure}
    states = {n: s for n, s in zip(names, results[:-1], strict=True) if isinstance(s, dict)}
    name = max(states, key=lambda n: _autoencoder_likeness(states[n]))
    return {"name": name, "state": states[name], "images": as_float_array(results[-1])}


def _autoencoder_likeness(state: dict[str, Any]) -> tuple[int, int, int]:
    sizes = state["sizes"]
    inner = sizes[1:-1] or [0]
    return (int(sizes[0] == IMAGE and sizes[-1] == IMAGE), int(min(inner) == 3), len(sizes))


@register("autoencoders.network", required=("property",),
          types={"property": Choice("depth", "sizes", "reconstructs")},
          optional={"images": 500, "ratio": 0.6},
          mistakes=("not_found", "crashed", "not_defined", "too_shallow", "wrong_sizes",
                    "not_trained", "diverged"))
def check_network(ctx: CheckContext) -> Outcome:
    """property: depth (at least 5 layers) | sizes (784 in and out, a 3-node middle layer) |
    reconstructs (mean squared error on validation images at most `ratio` times that of the
    same architecture untrained, averaged over three fresh initialisations)."""
    case = ctx.once("network", lambda: _network_case(ctx))
    if case.get("failure"):
        return case["failure"]
    name, state = case["name"], case["state"]
    sizes, prop = state["sizes"], ctx.params["property"]
    shown = f"`{name}` has layers {sizes}"
    if prop == "depth":
        if len(sizes) < 5:
            return Outcome.failed(f"{shown}: {len(sizes)} layers; the question asks for at "
                                  "least 5 (input, output and three or more hidden).",
                                  mistake="too_shallow")
        return Outcome.passed(f"{shown}: {len(sizes)} layers.")
    if prop == "sizes":
        inner = sizes[1:-1]
        middle = sizes[len(sizes) // 2] if len(sizes) % 2 else min(inner or [0])
        if sizes[0] != IMAGE or sizes[-1] != IMAGE or middle != 3 or min(inner or [0]) != 3:
            return Outcome.failed(f"{shown}; expected 784 input nodes, 784 output nodes and a "
                                  "middle layer of exactly 3 nodes (the smallest layer).",
                                  mistake="wrong_sizes")
        return Outcome.passed(f"{shown}: 784 in and out, 3 in the middle.")
    return _judge_reconstruction(ctx, case)


def _judge_reconstruction(ctx: CheckContext, case: dict[str, Any]) -> Outcome:
    ref, state, images = ctx.reference, case["state"], case["images"]
    if images is None or images.ndim != 2:
        return Outcome.failed("The grader could not read the digits from mnist.pkl with the "
                              "handout's mnist_loader.", mistake="crashed")
    if images.shape[1] != state["sizes"][0] or state["sizes"][-1] != images.shape[1]:
        return Outcome.failed(f"The network maps {state['sizes'][0]} inputs to "
                              f"{state['sizes'][-1]} outputs; reconstructing a {images.shape[1]}"
                              "-pixel image needs the image's size at both ends.",
                              mistake="wrong_sizes")
    errors = _own_reconstruction_errors(ctx, case["name"], images)
    if errors is None:  # its own FeedForward failed: run its weights the supplied class's way
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                trained = ref.reconstruction_error(state, images)
                rng = ctx.rng("untrained")
                untrained = float(np.mean([
                    ref.reconstruction_error(ref.untrained_state(state, rng), images)
                    for _ in range(3)]))
        except (ValueError, KeyError) as exc:
            return Outcome.failed(f"The network could not be run on the images: {exc}.",
                                  mistake="wrong_sizes")
    else:
        trained, untrained = errors
    average = float(np.mean((images.mean(axis=0) - images) ** 2))
    measured = (f"mean squared error per pixel on {len(images)} validation images: "
                f"{trained:.4f} for `{case['name']}`, {untrained:.4f} for the same layers "
                f"untrained (and {average:.4f} for the average image repeated)")
    if not np.isfinite(trained):
        return Outcome.failed(f"The network's reconstructions contain NaN or inf: training "
                              f"diverged; try a smaller learning rate. ({measured})",
                              mistake="diverged")
    ratio = float(ctx.params["ratio"])
    if trained > ratio * untrained:
        return Outcome.failed(f"The trained network reconstructs no better than an untrained "
                              f"one: {measured}. Needed: at most {ratio:g} times the untrained "
                              "error. Check that inputs and targets are both the images, and "
                              "train for more epochs or with a larger learning rate.",
                              mistake="not_trained", error=trained, untrained=untrained)
    return Outcome.passed(f"Trained: {measured}.", error=trained, untrained=untrained)


def _own_reconstruction_errors(ctx: CheckContext, name: str,
                               images: np.ndarray) -> tuple[float, float] | None:
    """(trained, untrained) mean squared error per pixel, both from the notebook's own
    FeedForward (a student may have changed Network.py, e.g. its output activation), the
    untrained one averaged over three fresh draws of the weights; None if it cannot run."""
    seeds = [int(s) for s in ctx.rng("untrained").integers(0, 2**31, size=3)]
    results, failure = ctx.request(HELPERS, [call_op("$nng_reconstructions", Ref(name), 1,
                                                     len(images), seeds)],
                                   f"run {name}.FeedForward on the images")
    if failure or not isinstance(results[0], dict):
        return None
    trained = as_float_array(results[0].get("trained"))
    untrained = [as_float_array(u) for u in results[0].get("untrained") or []]
    if trained is None or trained.shape != images.shape or not untrained or any(
            u is None or u.shape != images.shape for u in untrained):
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        return (float(np.mean((trained - images) ** 2)),
                float(np.mean([np.mean((u - images) ** 2) for u in untrained])))


# ------------------------------------------------------------ the loss and the KL term


@register("autoencoders.loss", optional={"function": "reconstruction_loss"},
          mistakes=("not_defined", "crashed", "wrong_type", "no_sigmoid", "wrong_values"))
def check_loss(ctx: CheckContext) -> Outcome:
    """The reconstruction loss on logits: binary cross-entropy with logits or the squared error
    of sigmoid(logits), as a mean, a sum, or a sum per image."""
    function = ctx.params["function"]
    rng = ctx.rng("loss")
    logits = rng.standard_normal((4, IMAGE)) * 2.0
    images = rng.random((4, IMAGE))
    value_op = call_op("$nng_torch_value", Ref(function), logits, images)
    results, failure = ctx.request(HELPERS, [value_op], f"call {function}(logits, images)")
    if failure:
        return failure
    value = results[0]
    if not isinstance(value, float):
        return Outcome.failed(f"{function} should return a number (a 0-d tensor); it returned "
                              f"{describe_value(value)}.", mistake="wrong_type")
    accepted = ctx.reference.reconstruction_losses(logits, images)
    for name, expected in accepted.items():
        if np.isclose(value, expected, rtol=1e-5, atol=1e-8):
            return Outcome.passed(f"{function} is the {name}.")
    if any(np.isclose(value, v, rtol=1e-5) for v in ctx.reference.losses_without_sigmoid(
            logits, images)):
        return Outcome.failed(f"{function} compares the raw logits with the images: apply the "
                              "sigmoid inside the loss (binary_cross_entropy_with_logits, or "
                              "torch.sigmoid before the squared error).", mistake="no_sigmoid")
    bce = accepted["binary cross-entropy (mean)"]
    return Outcome.failed(f"{function}(logits, images) gave {value:.6g} on the grader's batch of "
                          f"4 images; binary cross-entropy with logits (mean) is {bce:.6g}, and "
                          "a sum or a per-image sum of it, or the squared error of "
                          "sigmoid(logits), would also do.", mistake="wrong_values")


def _kl_case(ctx: CheckContext) -> dict[str, Any]:
    function = ctx.params["function"]
    rng = ctx.rng("kl")
    mu = rng.standard_normal((4, 3))
    logvar = rng.uniform(-1.5, 1.0, size=(4, 3))
    step = 1e-6
    ops = [call_op("$nng_torch_gradients", Ref(function), mu, logvar)]
    for which, base in ((0, mu), (1, logvar)):
        for index in np.ndindex(base.shape):
            for sign in (1, -1):
                moved = [mu.copy(), logvar.copy()]
                moved[which][index] += sign * step
                ops.append(call_op("$nng_torch_value", Ref(function), *moved))
    results, failure = ctx.request(HELPERS, ops, f"call {function}(mu, logvar)")
    return {"results": results, "failure": failure, "mu": mu, "logvar": logvar, "step": step}


@register("autoencoders.kl", required=("property",), optional={"function": "kl_divergence"},
          types={"property": Choice("value", "gradient")},
          mistakes=("not_defined", "crashed", "wrong_type", "summed_over_batch", "negated",
                    "no_half", "mean_over_units", "argument_as_sigma", "argument_as_variance",
                    "wrong_values", "no_gradient", "wrong_gradient"))
def check_kl(ctx: CheckContext) -> Outcome:
    """property: value (the closed form, summed over latent units and averaged over the batch)
    | gradient (torch autograd through the student's function against central differences of
    its own values: the term must be differentiable for training)."""
    case = ctx.once("kl", lambda: _kl_case(ctx))
    if case["failure"]:
        return case["failure"]
    function, ref = ctx.params["function"], ctx.reference
    mu, logvar = case["mu"], case["logvar"]
    first = case["results"][0]
    value = first.get("value") if isinstance(first, dict) else None
    if not isinstance(value, float):
        return Outcome.failed(f"{function}(mu, logvar) should return a 0-d tensor; it returned "
                              f"{describe_value(value)}.", mistake="wrong_type")
    if ctx.params["property"] == "value":
        expected = ref.kl_divergence(mu, logvar)
        if np.isclose(value, expected, rtol=1e-6, atol=1e-9):
            return Outcome.passed(f"{function} matches the closed form "
                                  "-1/2 sum(1 + logvar - mu^2 - exp(logvar)), averaged over "
                                  "the batch.")
        for slip, other in ref.kl_variants(mu, logvar).items():
            if np.isfinite(other) and np.isclose(value, other, rtol=1e-6, atol=1e-9):
                return Outcome.failed(f"{function} gave {value:.6g}, the closed form gives "
                                      f"{expected:.6g}: {_KL_SLIPS[slip]}", mistake=slip)
        return Outcome.failed(f"{function} gave {value:.6g} on a batch of 4 with 3 latent "
                              f"units; the closed form -1/2 sum(1 + logvar - mu^2 - "
                              f"exp(logvar)), summed over units and averaged over the batch, "
                              f"gives {expected:.6g}.", mistake="wrong_values")
    grads = first.get("grads")
    if not grads or any(g is None for g in grads):
        return Outcome.failed(f"No gradient flows through {function}: use torch operations on "
                              "the tensors (not numpy, .item() or .detach()), so the KL term "
                              "can be trained.", mistake="no_gradient")
    values = np.array([v if isinstance(v, float) else np.nan for v in case["results"][1:]])
    differences = (values[0::2] - values[1::2]) / (2 * case["step"])
    numeric = [differences[:mu.size].reshape(mu.shape), differences[mu.size:].reshape(mu.shape)]
    for name, autograd, fd in zip(("mu", "logvar"), grads, numeric, strict=True):
        autograd = as_float_array(autograd)
        if autograd is None or autograd.shape != fd.shape or not np.allclose(
                autograd, fd, rtol=1e-4, atol=1e-7):
            return Outcome.failed(f"The autograd gradient with respect to {name} does not "
                                  "match central differences of your function's values: part "
                                  "of the computation is hidden from autograd.",
                                  mistake="wrong_gradient")
    return Outcome.passed("Autograd's gradient matches central differences of your function "
                          "(step 1e-6) for mu and logvar.")


_KL_SLIPS = {
    "summed_over_batch": "it is summed over the batch; average it over the batch instead.",
    "negated": "the sign is flipped (KL divergence is never negative).",
    "no_half": "the factor 1/2 is missing.",
    "mean_over_units": "it is averaged over the latent units; sum over them.",
    "argument_as_sigma": "the second argument was used as the standard deviation; it is the "
                         "log-variance (sigma^2 = exp(logvar)).",
    "argument_as_variance": "the second argument was used as the variance; it is the "
                            "log-variance (sigma^2 = exp(logvar)).",
}


# ------------------------------------------------------------ the 1-D CNN's parameter count


@register("autoencoders.count", optional={"variable": "cnn1d_parameter_count"},
          mistakes=("not_defined", "wrong_type", "wrong_count"))
def check_count(ctx: CheckContext) -> Outcome:
    variable = ctx.params["variable"]
    reply = ctx.kernel.get(variable)
    if not reply.ok:
        return Outcome.failed(ctx.explain(reply, f"read {variable}") + f" Put your count in "
                              f"{variable} as a whole number.", mistake="not_defined")
    given = as_float_array(reply.results[0])
    if given is None or given.size != 1 or not np.isfinite(given).all():
        return Outcome.failed(f"{variable} should be a whole number; it is "
                              f"{describe_value(reply.results[0])}.", mistake="wrong_type")
    count, ref = float(given.ravel()[0]), ctx.reference
    if count == ref.CNN1D_PARAMETERS:
        return Outcome.passed(f"{int(count)} trainable parameters.")
    slip = ref.CNN1D_SLIPS.get(int(count)) if count.is_integer() else None
    return Outcome.failed(f"{variable} = {count:g} is not the number of trainable parameters"
                          + (f": it looks as if {slip}." if slip else
                             ". Count each convolution's weights (width x input channels x "
                             "output channels) and biases, and the dense layer's."),
                          mistake="wrong_count")
