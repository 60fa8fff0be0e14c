"""Kind `module`: a torch nn.Module the notebook defines, its structure and its output shape.

The model is a named global, one the grader builds from the student's class (`build`), or found
by what it is: the kernel lists the notebook's nn.Module classes and instances (`torch_modules`),
builds each class (with `class_args`, else no arguments) and reports each candidate's layers and
output shape on the probe batch; the grader chooses among them (`choose_module`): the right
output shape, a layer of the `family`, then the most `layers` in order, an instance before a
class. A `build` whose class the notebook does not define falls back to that search. The chosen
model's leaf layers (types, sizes), the operations its forward pass runs (traced with torch.fx, so
`F.relu` counts like `nn.ReLU`; None when it cannot be traced), its parameter count and its
output on a probe batch come back as data, and are judged here. With `train`, the grader then
trains a copy of the model for a few steps on the assignment's stand-in data (Adam written out in
the kernel: torch.optim's first use imports torch._dynamo, seconds a check does not need) and
scores its outputs on held-out data here, against a threshold whose false-fail rate the spec
states.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from graders.checks.base import TORCH_HELPERS, CheckContext, KernelHelpers, Outcome
from graders.checks.calls import CALL, call_ops, call_text, stored
from graders.checks.compare import as_float_array, describe_value
from graders.checks.registry import register
from graders.checks.schema import (
    AnyOf,
    Anything,
    Choice,
    Flag,
    Integer,
    ListOf,
    MapOf,
    Number,
    Param,
    ParamError,
    ParamType,
    Record,
    ReferenceFunction,
    Schema,
    SchemaContext,
    Text,
    did_you_mean,
)
from graders.kernel import Ref, call_op, module_op, torch_modules_op

HELPERS = KernelHelpers.from_files(Path(__file__).with_name("kinds_kernel.py"), TORCH_HELPERS)
# The layer attributes the kernel reports (graders/kernel_harness.py describes each leaf layer).
LAYER_ATTRIBUTES = ("in_features", "out_features", "in_channels", "out_channels", "kernel_size",
                    "stride", "padding", "num_embeddings", "embedding_dim", "input_size",
                    "hidden_size", "num_layers", "batch_first", "bidirectional", "p",
                    "negative_slope")


class LayerPattern(ParamType):
    """`{type: Linear, in_features: 784, ...}`: a layer's class name and any of its sizes."""

    def check(self, value: Any, key: str, context: SchemaContext) -> dict[str, Any]:
        if not isinstance(value, dict) or "type" not in value:
            raise ParamError(key, f"must be a mapping with `type`, found {value!r}",
                             "e.g. {type: Linear, in_features: 784, out_features: 100}")
        for name, item in value.items():
            if name != "type" and name not in LAYER_ATTRIBUTES:
                raise ParamError(f"{key}.{name}", "is not a layer attribute the grader reads",
                                 did_you_mean(name, ("type", *LAYER_ATTRIBUTES)))
            if name == "type" and not _type_names(item):
                raise ParamError(f"{key}.type", "must be a layer's class name, e.g. Linear, "
                                 "or a list of them (any one matches), e.g. [RNN, LSTM, GRU]")
            if isinstance(item, dict) and (list(item) != ["any_of"]
                                           or not isinstance(item["any_of"], list)):
                raise ParamError(f"{key}.{name}", f"a mapping here must be `{{any_of: [...]}}`, "
                                 f"found {item!r}", "e.g. padding: {any_of: [1, same]}")
        return dict(value)

    def describe(self) -> str:
        return "mapping of `type` (a class name, or a list of them: any one matches) and layer " \
               f"attributes ({', '.join(LAYER_ATTRIBUTES)}), each a value or " \
               "`{any_of: [values]}`"


def _type_names(given: Any) -> list[str]:
    """A pattern's `type` as a list of class names (empty when it is not one or a list)."""
    names = [given] if isinstance(given, str) else given if isinstance(given, list) else []
    return names if names and all(isinstance(n, str) and n for n in names) else []


def _one_model(values: dict[str, Any]) -> tuple[str, str, str] | None:
    if values["target"] and values["build"] is not None:
        return ("build", "give `target` or `build`, not both", "remove one of them")
    if values["other_output_shapes"] and not values["output_shape"]:
        return ("other_output_shapes", "needs `output_shape`", "add `output_shape`")
    return None


def output_shapes(p: dict[str, Any]) -> list[list[int]]:
    """Every shape the output may have (none: any)."""
    if not p["output_shape"]:
        return []
    return [list(p["output_shape"]), *(list(s) for s in p["other_output_shapes"])]


def _show_shapes(shapes: list[list[int]]) -> str:
    return " or ".join(str(tuple(s)) for s in shapes)


def _train_rules(values: dict[str, Any]) -> tuple[str, str, str] | None:
    if values["upscale"] > 1 and (len(values["input_shape"]) < 2 or any(
            side % values["upscale"] for side in values["input_shape"][-2:])):
        return ("upscale", "needs `input_shape` whose last two sizes it divides",
                "e.g. input_shape: [1, 32, 32] with upscale: 4 for 8x8 images")
    return None


TRAIN = Schema(
    Param("data", ReferenceFunction(), doc="a reference.py function given an integer seed "
          "(drawn from the run's) returning a mapping of name to array: the grader's "
          "stand-in data"),
    Param("inputs", Text(), "x", "data name of the training inputs (one example a row)"),
    Param("targets", Text(), "labels", "data name of the training targets (class indices "
          "for `cross_entropy`)"),
    Param("valid_inputs", Text(), "valid_x", "data name of the held-out inputs scored"),
    Param("valid_targets", Text(), "valid_labels", "data name of the held-out targets"),
    Param("input_shape", ListOf(Integer(minimum=1)), [], "each example's shape as the model "
          "takes it (rows are reshaped to it); default: the rows as they are"),
    Param("upscale", Integer(minimum=1, maximum=16), 1, "enlarge the last two axes of each "
          "example this many times in the kernel (each value a block), so small images "
          "cross the wire; needs `input_shape`"),
    Param("loss", Choice("cross_entropy", "mse", "bce_with_logits"), "cross_entropy",
          "the loss the grader trains with (on the model's raw outputs)"),
    Param("optimiser", Choice("adam", "sgd"), "adam", "Adam (torch's defaults) or plain "
          "gradient descent"),
    Param("learning_rate", Number(minimum=0), 0.01, "the step size"),
    Param("steps", Integer(minimum=1, maximum=100_000), 100, "optimiser steps"),
    Param("batch_size", Integer(minimum=1), 64, "examples per step, drawn at random"),
    Param("score", Choice("accuracy", "loss"), "accuracy",
          "`accuracy` on the held-out data (higher is better), or the `loss` there (lower)"),
    Param("threshold", Number(), doc="the held-out score a model must reach"),
    Param("false_fail_rate", Number(minimum=0, maximum=1), doc="how often a right model "
          "misses the threshold (measured over seeds with the reference model); the report "
          "states it when the check fails"),
    Param("seconds", Number(minimum=1), 180, "time allowed for the training"),
    rules=(_train_rules,),
)


SCHEMA = Schema(
    Param("target", Text(), "", "the notebook global holding the model (default: found by "
          "type, and by `output_shape` and `layers` when given)"),
    Param("build", Record(CALL), None, "build the model by calling the student's class, e.g. "
          "`{call: Autoencoder, args: [32]}`"),
    Param("probe_shape", ListOf(Integer(minimum=1), min_items=1), doc="the probe batch's shape"),
    Param("probe_dtype", Choice("float32", "long"), "float32", "`long` for token ids"),
    Param("probe_high", Integer(minimum=1), 10, "token ids are drawn from 0 .. probe_high - 1"),
    Param("output_shape", ListOf(Integer(minimum=1)), [], "the output's shape on the probe"),
    Param("other_output_shapes", ListOf(ListOf(Integer(minimum=1), min_items=1)), [],
          "further shapes the output may have instead (e.g. images (N, 1, 28, 28) as well as "
          "rows (N, 784)); needs `output_shape`"),
    Param("layers", ListOf(LayerPattern()), [], "leaf layers the model must have, in order"),
    Param("layers_match", Choice("in_order", "ends", "exact"), "in_order",
          "`in_order`: these layers appear in this order, others may come between; `ends`: "
          "and none comes after the last of them (shape-only layers such as Flatten aside); "
          "`exact`: the model's leaf layers are exactly these"),
    Param("ops", ListOf(Text()), [], "operations the traced forward pass must run in this "
          "order (layer or function names; case, `_` and `nn.`/`F.` ignored: `relu` matches "
          "nn.ReLU and F.relu)"),
    Param("ops_match", Choice("in_order", "ends"), "in_order",
          "`in_order`: others may run between; `ends`: and none runs after the last of them "
          "(reshapes aside): e.g. no activation after the output layer"),
    Param("judge_shape", Flag(), True, "false: `output_shape` and `other_output_shapes` only "
          "find the model, another check judges the shape"),
    Param("parameters", AnyOf(Integer(minimum=0), MapOf(Number())), None,
          "the parameter count: an integer, or `{min: N, max: M}`"),
    Param("trainable_only", Flag(), False, "count only parameters with requires_grad"),
    Param("name", Text(), "the model", "what the report calls the model"),
    Param("class_args", ListOf(Anything()), [], "when the model is found (no `target`), the "
          "literal arguments a notebook's model class is built with (tried first, then no "
          "arguments); a `build` lends its `args`"),
    Param("family", ListOf(Text()), [], "when the model is found: layer types of which it must "
          "have at least one (e.g. `[Embedding, RNN, LSTM, GRU]`), so two models of one output "
          "shape are told apart"),
    Param("train", Record(TRAIN), None, "the grader's short training of a copy of the model "
          "on stand-in data, then its held-out score against a threshold (after the checks "
          "above pass)"),
    rules=(_one_model,),
    doc="A torch nn.Module's structure and output shape on a probe batch; optionally a short "
        "training by the grader.",
)

MISTAKES = ("not_defined", "crashed", "not_found", "not_a_module",
            "wrong_output_shape", "missing_layer", "wrong_layers", "missing_op",
            "after_output", "wrong_parameter_count", "nonfinite", "below_threshold")

# Layers and traced operations that only reshape: never "after the output".
SHAPE_ONLY = frozenset({"flatten", "unflatten", "identity", "view", "reshape", "size",
                        "getattr", "getitem", "contiguous", "squeeze", "unsqueeze", "permute",
                        "transpose", "dim"})


# ----------------------------------------------------------------------------- judge


def op_key(name: str) -> str:
    """`nn.MaxPool2d`, `F.max_pool2d`, `max_pool2d` -> `maxpool2d`."""
    return re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())


def _value_matches(got: Any, want: Any) -> bool:
    if isinstance(want, dict):
        return any(_value_matches(got, w) for w in want["any_of"])
    if isinstance(want, int) and isinstance(got, list) and got and all(v == want for v in got):
        return True  # kernel_size: 3 matches (3, 3)
    return bool(got == want)


def layer_matches(layer: dict[str, Any], pattern: dict[str, Any]) -> bool:
    if op_key(str(layer.get("type", ""))) not in {op_key(t) for t in
                                                   _type_names(pattern["type"])}:
        return False
    return all(_value_matches(layer.get(name), want) for name, want in pattern.items()
               if name != "type")


def _show_value(value: Any) -> str:
    if isinstance(value, dict):
        return " or ".join(map(str, value["any_of"]))
    return str(value)


def _show_layer(layer: dict[str, Any]) -> str:
    sizes = ", ".join(f"{k}={_show_value(v)}" for k, v in layer.items()
                      if k in LAYER_ATTRIBUTES and k not in ("batch_first", "bidirectional"))
    return f"{' or '.join(_type_names(layer.get('type')) or [str(layer.get('type'))])}({sizes})"


def _after_output(rest: list[str], last: str, name: str, what: str) -> Outcome | None:
    """The failure for what runs after the last wanted layer or op (reshapes aside)."""
    extra = [r for r in rest if op_key(r) not in SHAPE_ONLY]
    if not extra:
        return None
    return Outcome.failed(f"{name} {what} {', '.join(extra)} after its {last}; nothing should "
                          "come after it (its output is the model's output).",
                          mistake="after_output")


def judge_layers(layers: list[dict[str, Any]], patterns: list[dict[str, Any]], *,
                 exact: bool, name: str, ends: bool = False) -> Outcome | None:
    """None when the leaf layers have the patterns (in order; exactly when `exact`; with none
    after the last but reshapes when `ends`)."""
    found = "; ".join(_show_layer(layer) for layer in layers) or "no layers"
    if exact:
        if len(layers) == len(patterns) and all(
                layer_matches(la, pa) for la, pa in zip(layers, patterns, strict=True)):
            return None
        wanted = "; ".join(_show_layer(p) for p in patterns)
        return Outcome.failed(f"{name}'s layers are: {found}. Expected exactly: {wanted}.",
                              mistake="wrong_layers")
    position = 0
    for pattern in patterns:
        while position < len(layers) and not layer_matches(layers[position], pattern):
            position += 1
        if position == len(layers):
            return Outcome.failed(f"{name} has no {_show_layer(pattern)} where one is expected "
                                  f"(after the layers before it in the handout). Its layers "
                                  f"are: {found}.", mistake="missing_layer")
        position += 1
    if ends and patterns:
        return _after_output([str(la.get("type", "")) for la in layers[position:]],
                             _show_layer(layers[position - 1]), name, "has the layer(s)")
    return None


def judge_ops(ops: list[dict[str, Any]] | None, layers: list[dict[str, Any]],
              wanted: list[str], *, name: str, ends: bool = False) -> Outcome | None:
    """None when the forward pass runs the wanted operations in order (and, when `ends`,
    nothing but reshapes after the last). A model torch.fx cannot trace is judged on its
    layers in definition order."""
    traced = [op_key(str(o.get("op", ""))) for o in ops] if ops is not None else \
        [op_key(str(layer.get("type", ""))) for layer in layers]
    traced = [t for t in traced if t not in SHAPE_ONLY]
    position = 0
    for want in wanted:
        key = op_key(want)
        while position < len(traced) and traced[position] != key:
            position += 1
        if position == len(traced):
            how = "its forward pass runs" if ops is not None else \
                "its layers (the forward pass could not be traced) are"
            shown = ", ".join(traced) or "nothing"
            return Outcome.failed(f"{name} does not apply {want} where expected: {how}: "
                                  f"{shown}.", mistake="missing_op")
        position += 1
    if ends and wanted:
        return _after_output(traced[position:], wanted[-1], name, "applies")
    return None


def judge_module(facts: dict[str, Any], p: dict[str, Any]) -> Outcome:
    """The verdict on a model's facts (label, description, ops, output) against the params."""
    outcome = _judge_module(facts, p)
    outcome.message = outcome.message[:1].upper() + outcome.message[1:]
    return outcome


def _judge_module(facts: dict[str, Any], p: dict[str, Any]) -> Outcome:
    label, description = facts["label"], facts.get("description")
    name = p["name"] + (f" (`{label['name']}`)" if label.get("name") else "")
    if not label.get("found"):
        return _not_found(facts, p)
    if not label.get("is_module") or not isinstance(description, dict) \
            or "layers" not in description:
        return Outcome.failed(f"{name} is a {label.get('type')}, not a torch.nn.Module.",
                              mistake="not_a_module")
    output = facts["output"]
    shape = list(getattr(output, "shape", ()))
    judged = bool(p["output_shape"]) and p["judge_shape"]
    if judged and shape not in output_shapes(p):
        return Outcome.failed(f"On a batch of shape {tuple(p['probe_shape'])}, {name} returns "
                              f"shape {tuple(shape)}, expected {_show_shapes(output_shapes(p))}.",
                              mistake="wrong_output_shape", shape=shape)
    if judged and not np.isfinite(output).all():
        return Outcome.failed(f"On a batch of shape {tuple(p['probe_shape'])}, {name} returns "
                              f"{int((~np.isfinite(output)).sum())} NaN or infinite values.",
                              mistake="nonfinite")
    layers = description["layers"]
    for verdict in (
            judge_layers(layers, p["layers"], exact=p["layers_match"] == "exact", name=name,
                         ends=p["layers_match"] == "ends") if p["layers"] else None,
            judge_ops(facts["ops"], layers, p["ops"], name=name,
                      ends=p["ops_match"] == "ends") if p["ops"] else None,
            judge_parameters(description, p["parameters"], trainable=p["trainable_only"],
                             name=name)):
        if verdict is not None:
            return verdict
    parts = [f"output shape {tuple(shape)}" if judged else "",
             f"its layers ({'; '.join(_show_layer(la) for la in layers)})" if p["layers"]
             else "", "its forward pass" if p["ops"] else "",
             f"{_count(description, p['trainable_only'])} parameters"
             if p["parameters"] is not None else ""]
    return Outcome.passed(f"{name} is as required: "
                          f"{', '.join(x for x in parts if x) or 'found'}.")


def _not_found(facts: dict[str, Any], p: dict[str, Any]) -> Outcome:
    tried = facts.get("tried", "")
    if facts.get("missing"):
        others = f"none of your torch modules ({tried}) behaves like it either" if tried \
            else "the notebook holds no other torch module"
        return Outcome.failed(f"`{facts['missing']}` is not defined by any cell that ran, and "
                              f"{others} ({_wanted_text(p)}). Check the class is spelled as in "
                              "the handout and its cell runs without errors.",
                              mistake="not_defined")
    shape = f" that maps a batch of shape {tuple(p['probe_shape'])} to " \
            f"{_show_shapes(output_shapes(p))}" if p["output_shape"] else ""
    family = f" with a layer of type {' or '.join(p['family'])}" if p["family"] else ""
    yours = f" (the grader tried {tried})" if tried else ""
    return Outcome.failed(f"The grader found no torch.nn.Module{shape}{family} among the "
                          f"notebook's variables{yours}. Create the model in a cell that runs.",
                          mistake="not_found")


def _count(description: dict[str, Any], trainable: bool) -> int:
    return int(description.get("trainable" if trainable else "parameters", 0))


def judge_parameters(description: dict[str, Any], wanted: Any, *, trainable: bool,
                     name: str) -> Outcome | None:
    if wanted is None:
        return None
    count = _count(description, trainable)
    which = "trainable parameters" if trainable else "parameters"
    if isinstance(wanted, dict):
        low, high = wanted.get("min", 0), wanted.get("max", float("inf"))
        if low <= count <= high:
            return None
        return Outcome.failed(f"{name} has {count} {which}, expected between {low:g} and "
                              f"{high:g}.", mistake="wrong_parameter_count", count=count)
    if count == wanted:
        return None
    return Outcome.failed(f"{name} has {count} {which}, expected {wanted}: compare each layer's "
                          "sizes with the handout.", mistake="wrong_parameter_count",
                          count=count)


# ----------------------------------------------------------------------------- choose


def _layers_in_order(layers: list[dict[str, Any]], patterns: list[dict[str, Any]]) -> int:
    """How many of the patterns the layers hold in order."""
    position, matched = 0, 0
    for pattern in patterns:
        while position < len(layers) and not layer_matches(layers[position], pattern):
            position += 1
        if position == len(layers):
            break
        matched, position = matched + 1, position + 1
    return matched


def choose_module(candidates: list[dict[str, Any]], *, out_shapes: list[list[int]],
                  patterns: list[dict[str, Any]], family: list[str]) -> dict[str, Any] | None:
    """The candidate (as the kernel reported it: `name`, `what` 'class' or 'instance',
    `description` with `layers` and `parameters`, `forward` with `shape` or `error`) that is the
    model: one with parameters, a layer of `family` (when given) and an output of one of
    `out_shapes` (when given); of those, the most `patterns` in order, then the most of their
    layer types in order (so a wrong model is still judged), then an instance before a class,
    then the first. None when no candidate qualifies."""
    families = {op_key(f) for f in family}
    best, best_rank = None, None
    for index, candidate in enumerate(candidates):
        description = candidate.get("description")
        if not isinstance(description, dict) or not description.get("parameters"):
            continue
        layers = description.get("layers") or []
        if families and not families & {op_key(str(la.get("type", ""))) for la in layers}:
            continue
        shape = (candidate.get("forward") or {}).get("shape")
        if out_shapes and shape not in out_shapes:
            continue
        rank = (_layers_in_order(layers, patterns),
                _layers_in_order(layers, [{"type": pa["type"]} for pa in patterns]),
                candidate.get("what") == "instance", -index)
        if best_rank is None or rank > best_rank:
            best, best_rank = candidate, rank
    return best


def _wanted_text(p: dict[str, Any]) -> str:
    """What a found model must do, e.g. `a batch of shape (5, 784) in, (5, 784) out`."""
    text = f"a batch of shape {tuple(p['probe_shape'])} in"
    if p["output_shape"]:
        text += f", {_show_shapes(output_shapes(p))} out"
    if p["family"]:
        text += f", with a layer of type {' or '.join(p['family'])}"
    return text


# ----------------------------------------------------------------------------- training


def score_outputs(outputs: Any, targets: np.ndarray, *, score: str,
                  loss: str) -> tuple[float | None, str]:
    """The held-out score of the trained model's outputs: (score, '') or (None, why not)."""
    array = as_float_array(outputs)
    if array is None:
        return None, f"it returned {describe_value(outputs)}, not numbers"
    if not np.isfinite(array).all():
        return None, f"its outputs hold {int((~np.isfinite(array)).sum())} NaN or infinite " \
                     "values: training diverged"
    if len(array) != len(targets):
        return None, f"it gave {len(array)} outputs for {len(targets)} examples"
    if loss == "cross_entropy":
        if array.ndim != 2 or array.shape[1] <= int(targets.max()):
            return None, f"its outputs have shape {array.shape}, not one score per class " \
                         f"for each example ({len(targets)}, {int(targets.max()) + 1})"
        if score == "accuracy":
            return float(np.mean(array.argmax(axis=1) == targets)), ""
        shifted = array - array.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-np.mean(log_probs[np.arange(len(targets)), targets.astype(int)])), ""
    flat, wanted = array.reshape(len(array), -1), targets.reshape(len(targets), -1)
    if flat.shape != wanted.shape:
        return None, f"its outputs have shape {array.shape}, the targets {targets.shape}"
    if score == "accuracy":
        cut = 0.0 if loss == "bce_with_logits" else 0.5
        return float(np.mean((flat > cut) == (wanted > 0.5))), ""
    if loss == "mse":
        return float(np.mean((flat - wanted) ** 2)), ""
    return float(np.mean(np.logaddexp(0.0, flat) - wanted * flat)), ""


def judge_training(result: Any, targets: np.ndarray, t: dict[str, Any], *, name: str,
                   examples: int) -> Outcome:
    """The verdict on the grader's short training: the held-out score against the threshold."""
    setup = (f"{t['steps']} {'Adam' if t['optimiser'] == 'adam' else 'gradient descent'} "
             f"steps of batch {t['batch_size']}, learning rate {t['learning_rate']:g}, "
             f"{t['loss'].replace('_', ' ')} loss, on {examples} examples")
    if not isinstance(result, dict) or "outputs" not in result:
        return Outcome.failed(f"The grader's training of {name} ({setup}) returned nothing it "
                              "could score.", mistake="crashed")
    value, problem = score_outputs(result["outputs"], targets, score=t["score"], loss=t["loss"])
    if value is None:
        mistake = "nonfinite" if "NaN" in problem else "wrong_output_shape"
        return Outcome.failed(f"After the grader's short training ({setup}), {name} could not "
                              f"be scored: {problem}.", mistake=mistake)
    losses = [v for v in result.get("losses") or [] if isinstance(v, float)]
    went = f"; its training loss went from {losses[0]:.4g} to {losses[-1]:.4g}" \
        if len(losses) >= 2 else ""
    shown = f"{value:.1%} accuracy" if t["score"] == "accuracy" else f"a loss of {value:.4g}"
    wanted = f"{t['threshold']:.0%}" if t["score"] == "accuracy" else f"{t['threshold']:.4g}"
    higher = t["score"] == "accuracy"
    reached = f"{name} reached {shown} on {len(targets)} held-out examples after the grader's " \
              f"short training ({setup}){went}"
    if (value >= t["threshold"]) if higher else (value <= t["threshold"]):
        return Outcome.passed(f"{reached[:1].upper()}{reached[1:]}: at "
                              f"{'least' if higher else 'most'} {wanted} needed.", score=value)
    return Outcome.failed(f"{reached[:1].upper()}{reached[1:]}; at {'least' if higher else 'most'} "
                          f"{wanted} is expected. A right model falls short "
                          f"{t['false_fail_rate'] * 100:g}% of the time or less on this "
                          "training; if yours is right, ask for a regrade with another seed.",
                          mistake="below_threshold", score=value)




# ----------------------------------------------------------------------------- fetch


def probe_batch(ctx: CheckContext, p: dict[str, Any]) -> Any:
    rng = ctx.rng("probe")
    if p["probe_dtype"] == "long":
        return rng.integers(0, p["probe_high"], size=p["probe_shape"])
    return rng.normal(size=p["probe_shape"]).astype("float32")


def _survey(ctx: CheckContext, p: dict[str, Any], probe: Any,
            class_args: list[Any]) -> tuple[list[dict[str, Any]], Outcome | None]:
    """Every torch module the notebook holds, each class built (with class_args, else with no
    arguments): its description and its output shape on the probe batch."""
    found, failure = ctx.request(None, [torch_modules_op()], "look for your torch modules")
    if failure:
        return [], failure
    listed = found[0] if isinstance(found[0], dict) else {}
    shape, dtype = list(p["probe_shape"]), p["probe_dtype"]
    prefix = ctx.kernel_name("nng_module")
    candidates = []
    for name, what in listed.items():
        attempts = [None] if what == "instance" else \
            [list(class_args), []] if class_args else [[]]
        for args in attempts:
            target = name if args is None else f"${prefix}_built_{name}"
            ops = [] if args is None else [call_op(name, *args, store=target[1:], want=False)]
            ops += [module_op(target),
                    call_op("$nng_module_try_forward", Ref(target), probe, shape, dtype)]
            results, crashed = ctx.request(HELPERS, ops, f"build {name}")
            if crashed is None:
                candidates.append({"name": name, "what": what, "target": target, "args": args,
                                   "description": results[-2], "forward": results[-1]})
                break
    return candidates, None


def _facts_of(ctx: CheckContext, probe: Any, p: dict[str, Any], target: str,
              label: dict[str, Any] | None,
              build: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, Outcome | None]:
    """The model at `target` (after the `build` ops): label, description, ops, output (None
    when the forward pass raised and no check of this one judges the output)."""
    ops = [*build, call_op("$nng_module_label", Ref(target)), module_op(target),
           call_op("$nng_torch_ops", Ref(target))]
    shown = label["name"] if label else target
    doing = f"build {call_text(p['build'])}" if build else f"describe {shown}"
    results, failure = ctx.request(HELPERS, ops, doing)
    if failure:
        return None, failure
    found, description, traced = results[-3:]
    facts = {"label": label or found, "description": description, "ops": traced,
             "output": None, "target": target}
    if not facts["label"].get("is_module"):
        return facts, None
    forward = call_op("$nng_module_forward", Ref(target), probe, list(p["probe_shape"]),
                      p["probe_dtype"])
    output, failure = ctx.request(HELPERS, [forward], f"run {shown} on a probe batch of shape "
                                  f"{tuple(p['probe_shape'])}")
    if failure and (p["output_shape"] and p["judge_shape"] or p["train"] is not None):
        return None, failure
    facts["output"] = None if failure else as_float_array(output[0])
    return facts, None


def _found_facts(ctx: CheckContext, p: dict[str, Any], probe: Any, class_args: list[Any],
                 missing: str) -> tuple[dict[str, Any] | None, Outcome | None]:
    """The notebook's model found by what it is (see choose_module); `missing`: the class the
    spec builds, which the notebook does not define."""
    candidates, failure = _survey(ctx, p, probe, class_args)
    if failure:
        return None, failure
    chosen = choose_module(candidates, out_shapes=output_shapes(p), patterns=p["layers"],
                           family=p["family"])
    if chosen is None:
        tried = ", ".join(f"`{c['name']}`" for c in candidates)
        return {"label": {"found": False}, "missing": missing, "tried": tried}, None
    args = chosen["args"]
    label = {"found": True, "is_module": True, "type": chosen["description"].get("type", ""),
             "name": chosen["name"] if args is None else
             f"{chosen['name']}({', '.join(map(repr, args))})"}
    facts, failure = _facts_of(ctx, probe, p, chosen["target"], label, [])
    if facts is not None and missing:
        kind = "a torch module" if args is None else "a torch module class"
        facts["found_as"] = (f"No class is named `{missing}`; graded `{label['name']}`, {kind} "
                             f"that behaves like it ({_wanted_text(p)}). ")
    return facts, failure


def training_op(target: str, arrays: dict[str, Any], t: dict[str, Any], p: dict[str, Any],
                seed: int) -> dict[str, Any]:
    """The op that trains a copy of the model at `target` and returns its held-out outputs."""
    setup = {"shape": list(t["input_shape"]), "dtype": p["probe_dtype"],
             "upscale": t["upscale"], "loss": t["loss"], "optimiser": t["optimiser"],
             "learning_rate": float(t["learning_rate"]), "steps": t["steps"],
             "batch_size": t["batch_size"], "seed": seed}
    return call_op("$nng_module_train", Ref(target), arrays[t["inputs"]], arrays[t["targets"]],
                   arrays[t["valid_inputs"]], setup)


def train_module(ctx: CheckContext, p: dict[str, Any], target: str, name: str) -> Outcome:
    """The grader's short training of the model at `target`, judged on held-out data."""
    t = p["train"]
    data_seed = int(ctx.rng("data").integers(2**31))
    arrays = dict(getattr(ctx.reference, t["data"])(data_seed))
    for key in ("inputs", "targets", "valid_inputs", "valid_targets"):
        if t[key] not in arrays:
            raise KeyError(f"train.{key}: {t['data']} made no array {t[key]!r} (it made "
                           f"{', '.join(sorted(arrays))})")
    op = training_op(target, arrays, t, p, ctx.seed % 2**31)
    results, failure = ctx.request(HELPERS, [op], f"train {name} for {t['steps']} steps",
                                   timeout=max(float(t["seconds"]), ctx.kernel.call_seconds))
    if failure:
        return failure
    outcome = judge_training(results[0], np.asarray(arrays[t["valid_targets"]]), t, name=name,
                             examples=len(arrays[t["inputs"]]))
    outcome.message += f" (seed {ctx.seed})"
    return outcome


@register("module", params=SCHEMA, mistakes=MISTAKES)
def check_module(ctx: CheckContext) -> Outcome:
    """A torch nn.Module (named, built from the student's class, or found by what it is): its
    output shape on a probe batch, leaf layers, traced operations, parameters."""
    p = ctx.params
    probe = probe_batch(ctx, p)
    class_args = list(p["class_args"])
    facts: dict[str, Any] | None
    if p["target"]:
        facts, failure = _facts_of(ctx, probe, p, p["target"], None, [])
    elif p["build"] is not None:
        p["build"] = CALL.validate(p["build"])
        prefix = ctx.kernel_name("nng_module")
        build = call_ops({**p["build"], "store": "model"}, prefix=prefix, data={})
        facts, failure = _facts_of(ctx, probe, p, stored(prefix, "model"), None, build)
        if failure is not None and failure.mistake == "not_defined" \
                and f"`{p['build']['call']}`" in failure.message:
            facts, failure = _found_facts(ctx, p, probe, class_args or p["build"]["args"],
                                          p["build"]["call"])
    else:
        facts, failure = _found_facts(ctx, p, probe, class_args, "")
    if failure is not None:
        return failure
    assert facts is not None
    outcome = judge_module(facts, p)
    if p["train"] is not None and outcome.fraction == 1.0:
        p["train"] = TRAIN.validate(p["train"])
        label = facts["label"]
        name = p["name"] + (f" (`{label['name']}`)" if label.get("name") else "")
        outcome = train_module(ctx, p, facts["target"], name)
    if facts.get("found_as"):
        outcome.message = facts["found_as"] + outcome.message
    return outcome
