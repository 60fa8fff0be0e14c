"""Kind `module`: a torch nn.Module the notebook defines, its structure and its output shape.

The model is a named global, one the grader builds from the student's class (`build`), or found
by type and behaviour: the first global nn.Module that maps the probe batch to `output_shape`.
Its leaf layers (types, sizes), the operations its forward pass runs (traced with torch.fx, so
`F.relu` counts like `nn.ReLU`; None when it cannot be traced), its parameter count and its
output on a probe batch come back as data in one request, and are judged here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from graders.checks.base import TORCH_HELPERS, CheckContext, KernelHelpers, Outcome
from graders.checks.calls import CALL, call_ops, call_text, stored
from graders.checks.registry import register
from graders.checks.schema import (
    AnyOf,
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
    Schema,
    SchemaContext,
    Text,
    did_you_mean,
)
from graders.kernel import Ref, call_op, module_op

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
            if name == "type" and (not isinstance(item, str) or not item):
                raise ParamError(f"{key}.type", "must be a layer's class name, e.g. Linear")
        return dict(value)

    def describe(self) -> str:
        return "mapping of `type` (class name) and layer attributes " \
               f"({', '.join(LAYER_ATTRIBUTES)})"


def _one_model(values: dict[str, Any]) -> tuple[str, str, str] | None:
    if values["target"] and values["build"] is not None:
        return ("build", "give `target` or `build`, not both", "remove one of them")
    return None


SCHEMA = Schema(
    Param("target", Text(), "", "the notebook global holding the model (default: found by "
          "type, and by `output_shape` when given)"),
    Param("build", Record(CALL), None, "build the model by calling the student's class, e.g. "
          "`{call: Autoencoder, args: [32]}`"),
    Param("probe_shape", ListOf(Integer(minimum=1), min_items=1), doc="the probe batch's shape"),
    Param("probe_dtype", Choice("float32", "long"), "float32", "`long` for token ids"),
    Param("probe_high", Integer(minimum=1), 10, "token ids are drawn from 0 .. probe_high - 1"),
    Param("output_shape", ListOf(Integer(minimum=1)), [], "the output's shape on the probe"),
    Param("layers", ListOf(LayerPattern()), [], "leaf layers the model must have, in order"),
    Param("layers_match", Choice("in_order", "exact"), "in_order",
          "`in_order`: these layers appear in this order, others may come between; `exact`: "
          "the model's leaf layers are exactly these"),
    Param("ops", ListOf(Text()), [], "operations the traced forward pass must run in this "
          "order (layer or function names; case, `_` and `nn.`/`F.` ignored: `relu` matches "
          "nn.ReLU and F.relu)"),
    Param("parameters", AnyOf(Integer(minimum=0), MapOf(Number())), None,
          "the parameter count: an integer, or `{min: N, max: M}`"),
    Param("trainable_only", Flag(), False, "count only parameters with requires_grad"),
    Param("name", Text(), "the model", "what the report calls the model"),
    rules=(_one_model,),
    doc="A torch nn.Module's structure and output shape on a probe batch.",
)

MISTAKES = ("not_defined", "crashed", "not_found", "not_a_module", "wrong_output_shape",
            "missing_layer", "wrong_layers", "missing_op", "wrong_parameter_count",
            "nonfinite")


# ----------------------------------------------------------------------------- judge


def op_key(name: str) -> str:
    """`nn.MaxPool2d`, `F.max_pool2d`, `max_pool2d` -> `maxpool2d`."""
    return re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())


def layer_matches(layer: dict[str, Any], pattern: dict[str, Any]) -> bool:
    if op_key(str(layer.get("type", ""))) != op_key(pattern["type"]):
        return False
    for name, want in pattern.items():
        if name == "type":
            continue
        got = layer.get(name)
        if isinstance(want, int) and isinstance(got, list) and got and all(v == want for v in got):
            continue  # kernel_size: 3 matches (3, 3)
        if got != want:
            return False
    return True


def _show_layer(layer: dict[str, Any]) -> str:
    sizes = ", ".join(f"{k}={v}" for k, v in layer.items()
                      if k in LAYER_ATTRIBUTES and k not in ("batch_first", "bidirectional"))
    return f"{layer.get('type')}({sizes})"


def judge_layers(layers: list[dict[str, Any]], patterns: list[dict[str, Any]], *,
                 exact: bool, name: str) -> Outcome | None:
    """None when the leaf layers have the patterns (in order; exactly when `exact`)."""
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
    return None


def judge_ops(ops: list[dict[str, Any]] | None, layers: list[dict[str, Any]],
              wanted: list[str], *, name: str) -> Outcome | None:
    """None when the forward pass runs the wanted operations in order. A model torch.fx cannot
    trace is judged on its layers in definition order."""
    traced = [op_key(str(o.get("op", ""))) for o in ops] if ops is not None else \
        [op_key(str(layer.get("type", ""))) for layer in layers]
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
    return None


def judge_module(facts: dict[str, Any], p: dict[str, Any]) -> Outcome:
    """The verdict on a model's facts (label, description, ops, output) against the params."""
    outcome = _judge_module(facts, p)
    outcome.message = outcome.message[:1].upper() + outcome.message[1:]
    return outcome


def _judge_module(facts: dict[str, Any], p: dict[str, Any]) -> Outcome:
    label, description = facts["label"], facts["description"]
    name = p["name"] + (f" (`{label['name']}`)" if label.get("name") else "")
    if not label.get("found"):
        shape = f" that maps a batch of shape {tuple(p['probe_shape'])} to " \
                f"{tuple(p['output_shape'])}" if p["output_shape"] else ""
        return Outcome.failed(f"The grader found no torch.nn.Module{shape} among the notebook's "
                              "variables. Create the model in a cell that runs.",
                              mistake="not_found")
    if not label.get("is_module") or not isinstance(description, dict) \
            or "layers" not in description:
        return Outcome.failed(f"{name} is a {label.get('type')}, not a torch.nn.Module.",
                              mistake="not_a_module")
    output = facts["output"]
    shape = list(getattr(output, "shape", ()))
    if p["output_shape"] and shape != list(p["output_shape"]):
        return Outcome.failed(f"On a batch of shape {tuple(p['probe_shape'])}, {name} returns "
                              f"shape {tuple(shape)}, expected {tuple(p['output_shape'])}.",
                              mistake="wrong_output_shape", shape=shape)
    layers = description["layers"]
    for verdict in (
            judge_layers(layers, p["layers"], exact=p["layers_match"] == "exact", name=name)
            if p["layers"] else None,
            judge_ops(facts["ops"], layers, p["ops"], name=name) if p["ops"] else None,
            judge_parameters(description, p["parameters"], trainable=p["trainable_only"],
                             name=name)):
        if verdict is not None:
            return verdict
    parts = [f"output shape {tuple(shape)}" if p["output_shape"] else "",
             "its layers" if p["layers"] else "", "its forward pass" if p["ops"] else "",
             f"{_count(description, p['trainable_only'])} parameters"
             if p["parameters"] is not None else ""]
    return Outcome.passed(f"{name} is as required: "
                          f"{', '.join(x for x in parts if x) or 'found'}.")


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


# ----------------------------------------------------------------------------- fetch


def probe_batch(ctx: CheckContext, p: dict[str, Any]) -> Any:
    rng = ctx.rng("probe")
    if p["probe_dtype"] == "long":
        return rng.integers(0, p["probe_high"], size=p["probe_shape"])
    return rng.normal(size=p["probe_shape"]).astype("float32")


def module_ops(p: dict[str, Any], prefix: str, probe: Any) -> list[dict[str, Any]]:
    """Find or build the model, then: its label, description, traced ops and probe output."""
    ops: list[dict[str, Any]] = []
    model: Any = None
    if p["build"] is not None:
        ops += call_ops({**p["build"], "store": "model"}, prefix=prefix, data={})
        model = Ref(stored(prefix, "model"))
    elif p["target"]:
        model = Ref(p["target"])
    shape, dtype = list(p["probe_shape"]), p["probe_dtype"]
    out_shape = list(p["output_shape"]) or None
    handle = f"{prefix}_found"
    ops.append(call_op("$nng_module_find", model, probe, shape, dtype, out_shape, store=handle,
                       want=False))
    ops.append(call_op("$nng_module_label", Ref(f"${handle}")))
    ops.append(module_op(f"${handle}"))
    ops.append(call_op("$nng_torch_ops", Ref(f"${handle}")))
    ops.append(call_op("$nng_module_forward", Ref(f"${handle}"), probe, shape, dtype))
    return ops


@register("module", params=SCHEMA, mistakes=MISTAKES)
def check_module(ctx: CheckContext) -> Outcome:
    """A torch nn.Module (named, built from the student's class, or found by type and output
    shape): its output shape on a probe batch, leaf layers, traced operations, parameters."""
    p = ctx.params
    if p["build"] is not None:
        p["build"] = CALL.validate(p["build"])
    ops = module_ops(p, ctx.kernel_name("nng_module"), probe_batch(ctx, p))
    doing = f"build {call_text(p['build'])}" if p["build"] is not None else \
        f"run {p['target'] or 'the model'} on a probe batch"
    results, failure = ctx.request(HELPERS, ops, doing)
    if failure:
        return failure
    label, description, traced, output = results[-4:]
    return judge_module({"label": label, "description": description, "ops": traced,
                         "output": output}, p)
