"""Check kinds for autoencoders: a deep autoencoder on the supplied Network class (numpy) and
PyTorch models (a SELU autoencoder, a convolutional autoencoder, a VAE's KL term, an RNN
sentiment classifier) plus the parameter count of a 1-D CNN.

Models cross the wire as data: a Network as its sizes, activation names and weight arrays; a
torch.nn.Module as the list of operations its forward pass runs (torch.fx) or, when it cannot be
traced, its layers in definition order, plus its output on the grader's probe batch. Training is
never rerun for the PyTorch models; the Network autoencoder is measured as the notebook left it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from graders.checks.base import TORCH_HELPERS, CheckContext, KernelHelpers, Outcome
from graders.checks.compare import as_float_array, describe_value
from graders.checks.registry import register
from graders.checks.schema import Choice
from graders.kernel import Ref, call_op, instances_op, module_op, torch_modules_op

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


# ------------------------------------------------------------ question 2: PyTorch models

# model -> (class name, constructor args, probe input shape, input dtype)
MODELS = {
    "selu": ("SELUAutoencoder", [], (5, IMAGE), "float32"),
    "conv": ("ConvAutoencoder", [], (5, 1, 28, 28), "float32"),
    "rnn": ("SentimentRNN", [1000], (4, 12), "long"),
}
_RESHAPES = {"view", "reshape", "flatten", "Flatten", "Unflatten", "unflatten", "size",
             "getattr", "getitem", "contiguous", "squeeze", "unsqueeze", "permute"}


def _op_name(op: dict[str, Any]) -> str:
    return str(op.get("op", "")).lower().replace("_", "")


def _model_case(ctx: CheckContext, model: str) -> dict[str, Any]:
    """The model built as the handout names it; when the notebook has no class of that name,
    the notebook's own torch module that behaves like this model (seed notebooks name their
    models freely): its output on the probe batch has the right shape and its layers are of
    the right family."""
    cls, args, _, _ = MODELS[model]
    case = _built_case(ctx, model, cls, args)
    failure = case.get("failure")
    if failure is None or failure.mistake != "not_defined":
        return case
    found, lookup_failure = ctx.request(None, [torch_modules_op()],
                                        "look for your torch modules")
    candidates = found[0] if not lookup_failure and isinstance(found[0], dict) else {}
    for name, what in candidates.items():
        attempts = [(name, args), (name, [])] if what == "class" else [(name, None)]
        for target, target_args in attempts:
            candidate = _built_case(ctx, model, target, target_args)
            if not candidate.get("failure") and _behaves_like(model, candidate):
                candidate["found_as"] = (f"No class is named `{cls}`; graded `{name}`, "
                                         f"{'a' if what == 'class' else 'an instance of a'} "
                                         f"torch module that behaves like it. ")
                return candidate
    if candidates:
        tried = ", ".join(f"`{n}`" for n in candidates)
        return {"failure": Outcome.failed(
            f"{failure.message} None of your torch modules ({tried}) behaves like it either "
            f"(a batch shaped {MODELS[model][2]} in, {_WANTED_HINT[model]} out).",
            mistake="not_defined")}
    return case


def _built_case(ctx: CheckContext, model: str, target: str,
                args: list[Any] | None) -> dict[str, Any]:
    """Build `target(*args)` (or use the instance `target` when args is None) and gather what
    the checks judge: its layers (traced or listed) and its output on the probe batch."""
    _, handout_args, shape, dtype = MODELS[model]
    shown = target if args is None else f"{target}({', '.join(map(str, args))})"
    handle = ctx.kernel_name(f"nng_{model}")
    build = (call_op("$nng_same", Ref(target), store=handle, want=False) if args is None
             else call_op(target, *args, store=handle, want=False))
    results, failure = ctx.request(HELPERS, [build, module_op(f"${handle}"),
                                             call_op("$nng_torch_ops", Ref(f"${handle}"))],
                                   f"build your model ({shown})")
    if failure:
        return {"failure": failure}
    description, ops = results[1], results[2]
    if not isinstance(description, dict) or "layers" not in description:
        return {"failure": Outcome.failed(f"{shown} should be a torch.nn.Module; it is "
                                          f"{describe_value(description)}.",
                                          mistake="not_module")}
    rng = ctx.rng("probe", model)
    probe = (rng.integers(0, handout_args[0], size=shape) if dtype == "long"
             else rng.random(shape))
    forward = call_op("$nng_torch_forward", Ref(f"${handle}"), probe, list(shape), dtype)
    output, out_failure = ctx.request(HELPERS, [forward], f"run {shown} on a batch shaped {shape}")
    layers = ops if isinstance(ops, list) else description["layers"]
    return {"cls": target, "layers": [layer for layer in layers if isinstance(layer, dict)],
            "traced": isinstance(ops, list), "description": description,
            "output": None if out_failure else output[0], "output_failure": out_failure,
            "shape": shape}


_WANTED = {"selu": [(5, IMAGE)], "conv": [(5, 1, 28, 28)], "rnn": [(4, 2), (4, 1), (4,)]}
_WANTED_HINT = {"selu": "784 logits per image", "conv": "the images' shape",
                "rnn": "a score per sequence"}
_FAMILY = {"selu": {"linear"}, "conv": {"conv2d"},
           "rnn": {"embedding", "rnn", "lstm", "gru"}}


def _behaves_like(model: str, case: dict[str, Any]) -> bool:
    """A stand-in for the handout's class: the right output shape on the probe batch and at
    least one layer of the model's family (so a notebook's two 784-in, 784-out autoencoders,
    one dense and one convolutional, are told apart)."""
    array = None if case["output_failure"] else as_float_array(case["output"])
    names = {_op_name(layer) for layer in _normalised(case)}
    return (array is not None and array.shape in _WANTED[model]
            and bool(names & _FAMILY[model]))


def _seq(layers: list[dict[str, Any]]) -> str:
    shown = []
    for layer in layers:
        if layer.get("op") in _RESHAPES:
            continue
        sizes = [layer[k] for k in ("in_features", "out_features", "in_channels",
                                    "out_channels") if k in layer]
        shown.append(f"{layer.get('op') or layer.get('type')}"
                     + (f"({', '.join(map(str, sizes))})" if sizes else ""))
    return ", ".join(shown)


def _normalised(case: dict[str, Any]) -> list[dict[str, Any]]:
    """Layers with 'op' set (module descriptions use 'type') and reshapes dropped."""
    out = []
    for layer in case["layers"]:
        entry = dict(layer)
        entry.setdefault("op", entry.get("type", ""))
        if entry["op"] not in _RESHAPES:
            out.append(entry)
    return out


@register("autoencoders.torch_model", required=("model", "property"),
          types={"model": Choice("selu", "conv", "rnn"),
                 "property": Choice("shape", "layers", "activations", "encoder", "decoder",
                                    "embedding", "recurrent")},
          mistakes=("not_defined", "crashed", "not_module", "wrong_layers", "not_selu",
                    "sigmoid_in_model", "wrong_channels", "no_pooling", "no_transposed",
                    "pooling_in_decoder", "wrong_shape", "no_embedding", "no_recurrent"))
def check_torch_model(ctx: CheckContext) -> Outcome:
    """model: selu | conv | rnn. property: layers, activations (selu); encoder, decoder
    (conv); embedding, recurrent (rnn); shape (all: the output on a probe batch)."""
    model, prop = ctx.params["model"], ctx.params["property"]
    case = ctx.once(("model", model), lambda: _model_case(ctx, model))
    if case.get("failure"):
        return case["failure"]
    if prop == "shape":
        outcome = _judge_shape(model, case)
    else:
        judge = {"layers": _judge_selu_layers, "activations": _judge_selu_activations,
                 "encoder": _judge_conv_encoder, "decoder": _judge_conv_decoder,
                 "embedding": _judge_embedding, "recurrent": _judge_recurrent}[prop]
        outcome = judge(_normalised(case), case)
    if case.get("found_as"):
        outcome = replace(outcome, message=case["found_as"] + outcome.message)
    return outcome


def _linears(layers: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    return [(lay.get("in_features"), lay.get("out_features")) for lay in layers
            if _op_name(lay) == "linear"]


def _judge_selu_layers(layers: list[dict[str, Any]], case: dict[str, Any]) -> Outcome:
    want = [(784, 100), (100, 30), (30, 100), (100, 784)]
    found = _linears(layers)
    if found != want:
        return Outcome.failed(f"Expected four Linear layers {want} (in, out) in this order; "
                              f"{case['cls']} has {found} ({_seq(layers)}).",
                              mistake="wrong_layers")
    return Outcome.passed("Linear layers 784-100-30-100-784.")


def _judge_selu_activations(layers: list[dict[str, Any]], case: dict[str, Any]) -> Outcome:
    names = [_op_name(lay) for lay in layers]
    linear_at = [i for i, n in enumerate(names) if n == "linear"]
    if len(linear_at) < 2:
        return Outcome.failed(f"Too few Linear layers to check the activations between them "
                              f"({_seq(layers)}).", mistake="wrong_layers")
    after_last = names[linear_at[-1] + 1:]
    if any(n in ("sigmoid", "softmax") for n in after_last):
        return Outcome.failed("The model ends with a sigmoid. Return logits: the handout puts "
                              "the sigmoid inside the loss (e.g. binary_cross_entropy_with_"
                              "logits), which is more stable.", mistake="sigmoid_in_model")
    gaps = [names[a + 1:b] for a, b in zip(linear_at, linear_at[1:], strict=False)]
    missing = [k + 1 for k, gap in enumerate(gaps) if "selu" not in gap]
    if missing:
        used = sorted({n for gap in gaps for n in gap} - {"selu"}) or ["nothing"]
        return Outcome.failed(f"Every hidden layer should use SELU; after Linear layer(s) "
                              f"{missing} the forward pass uses {', '.join(used)} "
                              f"({_seq(layers)}).", mistake="not_selu")
    if after_last:
        return Outcome.failed(f"The output layer should have no activation (the sigmoid is "
                              f"in the loss); found {', '.join(after_last)} after the last "
                              "Linear layer.", mistake="not_selu")
    how = "traced forward pass" if case["traced"] else "layers"
    return Outcome.passed(f"SELU after each hidden Linear layer, none on the output ({how}).")


def _pool_kernel(layer: dict[str, Any]) -> Any:
    kernel = layer.get("kernel_size")
    return kernel[0] if isinstance(kernel, list) and kernel else kernel


def _encoder_end(names: list[str]) -> int:
    """Where the decoder starts: the first upsampling step or the fourth convolution."""
    convs = 0
    for index, name in enumerate(names):
        if name in ("convtranspose2d", "upsample", "interpolate", "upsamplingnearest2d"):
            return index
        convs += name == "conv2d"
        if convs == 4:
            return index
    return len(names)


def _judge_conv_encoder(layers: list[dict[str, Any]], case: dict[str, Any]) -> Outcome:
    names = [_op_name(lay) for lay in layers]
    encoder_end = _encoder_end(names)
    encoder, enc_names = layers[:encoder_end], names[:encoder_end]
    convs = [lay for lay, n in zip(encoder, enc_names, strict=True) if n == "conv2d"]
    channels = [(c.get("in_channels"), c.get("out_channels")) for c in convs]
    if channels != [(1, 16), (16, 32), (32, 64)]:
        return Outcome.failed(f"The encoder's convolutions should go 1->16->32->64 channels; "
                              f"found {channels} ({_seq(encoder)}).", mistake="wrong_channels")
    wrong_kernel = [c.get("kernel_size") for c in convs if c.get("kernel_size") not in ([3, 3], 3)]
    unpadded = [c.get("padding") for c in convs if c.get("padding") not in ([1, 1], 1, "same")]
    if wrong_kernel or unpadded:
        return Outcome.failed("Each encoder convolution should be 3x3 with 'same' padding "
                              f"(padding=1); found kernels {[c.get('kernel_size') for c in convs]}"
                              f" and padding {[c.get('padding') for c in convs]}.",
                              mistake="wrong_channels")
    pools = [lay for lay, n in zip(encoder, enc_names, strict=True) if n == "maxpool2d"]
    if len(pools) < 3 or any(_pool_kernel(p) not in (2, None) for p in pools):
        return Outcome.failed(f"The encoder should max-pool 2x2 after each convolution; found "
                              f"{len(pools)} max-pooling step(s) ({_seq(encoder)}).",
                              mistake="no_pooling")
    if enc_names.count("selu") < 3:
        return Outcome.failed(f"Each encoder convolution should be followed by SELU; found "
                              f"{enc_names.count('selu')} ({_seq(encoder)}).", mistake="not_selu")
    return Outcome.passed("Encoder: 3x3 convolutions 1->16->32->64 with SELU, each followed by "
                          "2x2 max pooling.")


def _judge_conv_decoder(layers: list[dict[str, Any]], case: dict[str, Any]) -> Outcome:
    names = [_op_name(lay) for lay in layers]
    ups = [i for i, n in enumerate(names) if n == "convtranspose2d"]
    if len(ups) < 3:
        return Outcome.failed(f"The decoder should mirror the encoder with transposed "
                              f"convolutions (nn.ConvTranspose2d), at least three; found "
                              f"{len(ups)} ({_seq(layers)}).", mistake="no_transposed")
    decoder = layers[ups[0]:]
    if any(_op_name(lay) == "maxpool2d" for lay in decoder):
        return Outcome.failed("The decoder should have no max pooling; it upsamples with "
                              "strided transposed convolutions.", mistake="pooling_in_decoder")
    channels = [(layers[i].get("in_channels"), layers[i].get("out_channels")) for i in ups]
    if channels[0][0] != 64 or channels[-1][1] != 1:
        return Outcome.failed(f"The decoder should start from the 64 encoder channels and end "
                              f"with 1 (the image); its transposed convolutions go {channels}.",
                              mistake="wrong_channels")
    return Outcome.passed(f"Decoder: {len(ups)} transposed convolutions from 64 channels to 1, "
                          "no pooling.")


def _judge_embedding(layers: list[dict[str, Any]], case: dict[str, Any]) -> Outcome:
    found = [lay for lay in layers if _op_name(lay) == "embedding"]
    if not found or (found[0].get("num_embeddings"), found[0].get("embedding_dim")) != (1000, 100):
        shown = [(e.get("num_embeddings"), e.get("embedding_dim")) for e in found]
        return Outcome.failed(f"SentimentRNN(1000) should start with nn.Embedding(1000, 100) "
                              f"(vocabulary size from the constructor, 100-d vectors); found "
                              f"{shown or 'no embedding'}.", mistake="no_embedding")
    return Outcome.passed("An embedding of the 1000-word vocabulary into 100 dimensions.")


def _judge_recurrent(layers: list[dict[str, Any]], case: dict[str, Any]) -> Outcome:
    found = [lay for lay in layers if _op_name(lay) in ("rnn", "lstm", "gru")]
    if not found or (found[0].get("input_size"), found[0].get("hidden_size")) != (100, 256):
        shown = [(r.get("op"), r.get("input_size"), r.get("hidden_size")) for r in found]
        return Outcome.failed(f"Expected a recurrent layer (nn.RNN, or LSTM/GRU) from 100 "
                              f"inputs to 256 hidden units; found {shown or 'none'}.",
                              mistake="no_recurrent")
    return Outcome.passed(f"{found[0]['op']} with 100 inputs and 256 hidden units.")


def _judge_shape(model: str, case: dict[str, Any]) -> Outcome:
    if case["output_failure"]:
        return case["output_failure"]
    shape, output = case["shape"], case["output"]
    array = as_float_array(output)
    got = array.shape if array is not None else None
    wanted = _WANTED[model]
    if got not in wanted:
        hint = {"selu": "one row of 784 logits per image",
                "conv": "the image's shape back; with 28x28 inputs the encoder ends at 3x3, "
                        "so the transposed convolutions need stride 2 and, for two of them, "
                        "padding=1 and output_padding=1 (3 -> 7 -> 14 -> 28)",
                "rnn": "one score per class (or one logit) for each sequence; take the last "
                       "hidden state"}[model]
        return Outcome.failed(f"On a batch shaped {shape} the model returned "
                              f"{describe_value(output)}; expected "
                              f"{' or '.join(map(str, wanted))}: {hint}.", mistake="wrong_shape")
    if not np.all(np.isfinite(array)):
        return Outcome.failed(f"The output on a batch shaped {shape} contains NaN or inf.",
                              mistake="wrong_shape")
    return Outcome.passed(f"A batch shaped {shape} gives an output shaped {got}.")


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
