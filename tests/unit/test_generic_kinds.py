"""The generic kinds' judges, without a kernel: each is a pure function of what the student's code
produced, so a known-right and known-wrong answer pins its verdict and the mistake it names."""

from __future__ import annotations

import numpy as np
import pytest

from graders.checks import registry
from graders.checks.distribution import (
    Expected,
    false_failure_rate,
    judge_sample,
    pick,
)
from graders.checks.module import SCHEMA as MODULE_SCHEMA
from graders.checks.module import judge_layers, judge_module, judge_ops, op_key
from graders.checks.schema import ParamError, SchemaContext
from graders.checks.trained import judge_training, score_of
from graders.checks.value import follow, judge_value

RNG = np.random.default_rng(20261203)
BOUND = float(np.sqrt(6.0 / 700))  # Xavier for a 400x300 layer
XAVIER = Expected(low=-BOUND, high=BOUND)
SHAPE = (400, 300)


def _xavier(value, families=("uniform", "any")):
    return judge_sample(value, XAVIER, families=list(families), name="the weights",
                        label="in_size=400, out_size=300", shape=list(SHAPE))


# ----------------------------------------------------------------------------- distribution

XAVIER_CASES = [
    ("uniform on the range", RNG.uniform(-BOUND, BOUND, SHAPE), None),
    ("glorot normal", RNG.normal(0, np.sqrt(2 / 700), SHAPE), None),
    ("half the range", RNG.uniform(-BOUND / 2, BOUND / 2, SHAPE), "wrong_variance"),
    ("only the positive half", RNG.uniform(0, BOUND, SHAPE), "not_centred"),
    ("normal with the bound as sigma", RNG.normal(0, BOUND, SHAPE), "out_of_range"),
    ("normal scaled by in_size only", RNG.normal(0, np.sqrt(1 / 400), SHAPE), "not_uniform"),
    ("all zeros", np.zeros(SHAPE), "constant"),
    ("standard normal", RNG.standard_normal(SHAPE), "out_of_range"),
    ("transposed", RNG.uniform(-BOUND, BOUND, SHAPE[::-1]), "wrong_shape"),
    ("not an array", "weights", "wrong_shape"),
    ("a NaN", np.where(np.eye(400, 300) > 0, np.nan, RNG.uniform(-BOUND, BOUND, SHAPE)),
     "nonfinite"),
]


@pytest.mark.parametrize("label, value, mistake", XAVIER_CASES, ids=[c[0] for c in XAVIER_CASES])
def test_xavier_sample_is_judged_by_its_range_and_moments(label, value, mistake):
    verdict = _xavier(value)
    assert (verdict is None) == (mistake is None)
    if verdict is not None:
        assert verdict.mistake == mistake
        assert verdict.message.startswith("For in_size=400, out_size=300")


def test_a_uniform_that_does_not_fill_its_range_fails_even_with_the_right_variance():
    # Two thirds of the mass at +-0.95 of the bound, the rest uniform near 0: variance b^2/3.
    values = np.concatenate([np.full(50_000, 0.95 * BOUND), np.full(50_000, -0.95 * BOUND)])
    values[:5000] = RNG.uniform(-0.01, 0.01, 5000)
    scale = np.sqrt(BOUND ** 2 / 3 / np.mean(values ** 2))
    values = np.clip(values * scale, -0.97 * BOUND, 0.97 * BOUND)
    verdict = judge_sample(values, XAVIER, families=["uniform", "any"], name="the weights",
                           sigmas=1e6)
    assert verdict is not None and verdict.mistake == "narrow_range"


def test_uniform_only_refuses_a_normal_with_the_right_variance():
    verdict = _xavier(RNG.normal(0, np.sqrt(2 / 700), SHAPE), families=("uniform",))
    assert verdict is not None and verdict.mistake in ("not_uniform", "out_of_range")


def test_normal_family_checks_the_fourth_moment():
    want = Expected(mean=0.0, variance=1.0)
    assert judge_sample(RNG.standard_normal(100_000), want, families=["normal"]) is None
    uniform = RNG.uniform(-np.sqrt(3), np.sqrt(3), 100_000)  # variance 1, kurtosis 1.8
    verdict = judge_sample(uniform, want, families=["normal"])
    assert verdict is not None and verdict.mistake == "not_normal"
    assert judge_sample(uniform, want, families=["any"]) is None


def test_any_family_with_a_shifted_mean_is_not_centred():
    want = Expected(mean=0.0, variance=1.0)
    verdict = judge_sample(RNG.standard_normal(10_000) + 0.2, want, families=["any"])
    assert verdict is not None and verdict.mistake == "not_centred"


def test_false_failure_rate_is_small_at_five_sigmas_and_grows_with_fewer():
    at_five = false_failure_rate(sizes=[120_000, 1600], families=["uniform", "any"],
                                 sigmas=5.0, fill=0.98)
    assert 1e-6 < at_five < 3e-6
    at_two = false_failure_rate(sizes=[1600], families=["any"], sigmas=2.0, fill=0.98)
    assert 0.09 < at_two < 0.1


def test_correct_uniform_samples_fail_at_about_the_stated_rate():
    # At 2 sigmas the stated rate is large enough to measure: 2 tests x 4.55% ~ 9%.
    want = Expected(low=-1.0, high=1.0)
    failures = sum(judge_sample(RNG.uniform(-1, 1, 2000), want, families=["uniform"],
                                sigmas=2.0) is not None for _ in range(600))
    stated = false_failure_rate(sizes=[2000], families=["uniform"], sigmas=2.0, fill=0.98)
    assert failures / 600 <= stated * 1.5


@pytest.mark.parametrize("value, case, missing", [
    ({"W1": 1}, {"key": "W1"}, ""),
    ({"W2": 1}, {"key": "W1"}, "it has no entry 'W1'; it holds: W2"),
    (3.0, {"key": "W1"}, "it should hold an entry 'W1', but it is a float"),
])
def test_pick_names_the_missing_entry(value, case, missing):
    assert pick(value, case)[1] == missing


# ----------------------------------------------------------------------------- schemas


def _validate(kind: str, params: dict, functions: frozenset[str] | None = None) -> dict:
    entry = registry.lookup(kind)
    assert entry is not None
    return entry.schema.validate(params, "", SchemaContext(functions))


@pytest.mark.parametrize("kind, params, key, fix", [
    ("distribution", {"function": "f", "cases": [{"args": [1]}], "famliy": ["uniform"]},
     "famliy", "did you mean 'family'"),
    ("distribution", {"function": "f", "cases": [{"args": [1]}], "family": ["unifrom"]},
     "family[0]", "did you mean 'uniform'"),
    ("distribution", {"function": "f", "cases": [{"args": [{"nwe": "dict"}]}]},
     "cases[0].args[0]", "did you mean 'new'"),
    ("distribution", {"function": "f", "cases": [{"args": [{"new": "dcit"}]}]},
     "cases[0].args[0].new", "did you mean 'dict'"),
    ("distribution", {"function": "f", "cases": [{"lables": "x"}]},
     "cases[0].lables", "did you mean 'label'"),
    ("distribution", {"function": "f", "cases": [{}], "expected": "xavier_rnage"},
     "expected", "did you mean 'xavier_range'"),
])
def test_a_typo_in_a_generic_kind_names_the_key_and_the_fix(kind, params, key, fix):
    with pytest.raises(ParamError) as caught:
        _validate(kind, params, frozenset({"xavier_range"}))
    assert caught.value.key == key
    assert fix in caught.value.fix


# ----------------------------------------------------------------------------- value



@pytest.mark.parametrize("actual, expected, mistake", [
    (0.5, 0.5, None),
    ([0.5, 1.0], [0.5, 1.0 + 1e-12], None),
    (0.6, 0.5, "wrong_values"),
    ([0.5, 1.0, 2.0], [0.5, 1.0], "wrong_shape"),
    ("half", 0.5, "wrong_type"),
    (None, [1.0, 2.0], "wrong_type"),
    ([float("nan"), 1.0], [0.5, 1.0], "nonfinite"),
])
def test_value_is_compared_within_its_explicit_tolerance(actual, expected, mistake):
    outcome = judge_value(actual, expected, name="answer", rtol=1e-6, atol=1e-9)
    assert (outcome.fraction == 1.0) == (mistake is None)
    assert outcome.mistake == (mistake or "")


@pytest.mark.parametrize("actual, expected, message", [
    ([1.0, 2.0], [1.0, 2.5], "answer: 1 of 2 entries differ (largest absolute difference 0.5, "
     "largest relative 0.2; tolerance rtol=0, atol=0.001)"),
    (0.7, 0.5, "answer is 0.7, expected 0.5: off by 0.2 (tolerance rtol=0, atol=0.001)."),
    ([0.5, 1.0], 0.5, "answer has shape (2,), expected ()"),
])
def test_value_message_names_the_value_how_far_and_the_tolerance(actual, expected, message):
    outcome = judge_value(actual, expected, name="answer", rtol=0, atol=1e-3)
    assert outcome.message.startswith(message)


@pytest.mark.parametrize("value, path, entry, missing", [
    ({"i": {"f": 0.5}}, ["i", "f"], 0.5, ""),
    ([[1, 2], [3, 4]], [1, 0], 3, ""),
    ({"i": {"f": 0.5}}, ["ii", "f"], None, "answer has no entry 'ii' (it holds 'i')"),
    ({"i": [1]}, ["i", 3], None, "answer['i'] has no entry 3 (it holds 1 items)"),
])
def test_follow_walks_keys_and_indices_and_names_what_is_missing(value, path, entry, missing):
    assert follow(value, path, "answer") == (entry, missing)


# ----------------------------------------------------------------------------- trained



@pytest.mark.parametrize("after, before, threshold, ratio, goal, mistake", [
    (0.2, 1.0, None, 0.6, "lower", None),
    (0.9, 1.0, None, 0.6, "lower", "not_learning"),
    (0.5, None, 0.6, None, "lower", None),
    (0.7, None, 0.6, None, "lower", "below_threshold"),
    (0.95, 0.1, 0.9, 2.0, "higher", None),
    (0.85, 0.1, 0.9, 2.0, "higher", "below_threshold"),
    (0.15, 0.1, None, 2.0, "higher", "not_learning"),
])
def test_training_outcome_against_threshold_and_baseline(after, before, threshold, ratio, goal,
                                                         mistake):
    outcome = judge_training(after=after, before=before, goal=goal, threshold=threshold,
                             ratio=ratio, name="the loss")
    assert outcome.mistake == (mistake or "")
    assert (outcome.fraction == 1.0) == (mistake is None)
    assert f"{after:.4g}" in outcome.message


@pytest.mark.parametrize("result, score, labels, expected, problem", [
    (np.float64(0.25), "value", None, 0.25, ""),
    (np.array([1.0, 3.0]), "mean", None, 2.0, ""),
    (np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), "accuracy", np.array([0, 1, 1]), 2 / 3, ""),
    (np.array([[0.9, 0.1], [0.2, 0.8]]), "error_rate", np.array([[1, 0], [1, 0]]), 0.5, ""),
    (np.array([1.0, 2.0]), "mse", np.array([1.0, 4.0]), 2.0, ""),
    (np.array([1.0, 2.0]), "value", None, None, "it has shape (2,), not a single number"),
    ("done", "value", None, None, "it is a str, not numbers"),
    (np.array([np.nan]), "value", None, None, "it holds 1 NaN or infinite values"),
    (np.array([[1.0, 0.0]]), "accuracy", np.array([0, 1]), None,
     "it gives 1 predictions for 2 examples"),
])
def test_score_of_a_measured_result(result, score, labels, expected, problem):
    value, why = score_of(result, score=score, labels=labels)
    assert why == problem
    assert value == (pytest.approx(expected) if expected is not None else None)


# ----------------------------------------------------------------------------- module


LAYERS = [{"name": "0", "type": "Linear", "in_features": 784, "out_features": 100},
          {"name": "1", "type": "ReLU"},
          {"name": "2", "type": "Dropout", "p": 0.5},
          {"name": "3", "type": "Linear", "in_features": 100, "out_features": 10}]
DESCRIPTION = {"type": "Net", "layers": LAYERS, "parameters": 79510, "trainable": 79510}


def _module_params(**given):
    return MODULE_SCHEMA.validate({"probe_shape": [4, 784], **given})


def _facts(output_shape=(4, 10), ops=None, found=True, is_module=True, nan=False):
    output = None if output_shape is None else np.zeros(output_shape)
    if nan:
        output[0, 0] = np.nan
    return {"label": {"found": found, "name": "model", "type": "Net", "is_module": is_module},
            "description": DESCRIPTION, "ops": ops, "output": output}


@pytest.mark.parametrize("name, facts, params, mistake", [
    ("all as required", _facts(), dict(output_shape=[4, 10], parameters=79510, layers=[
        {"type": "Linear", "out_features": 100}, {"type": "Linear", "in_features": 100}]), None),
    ("not found", _facts(found=False), dict(output_shape=[4, 10]), "not_found"),
    ("not a module", _facts(is_module=False), {}, "not_a_module"),
    ("wrong output", _facts(output_shape=(4, 784)), dict(output_shape=[4, 10]),
     "wrong_output_shape"),
    ("missing layer", _facts(), dict(layers=[{"type": "Linear", "out_features": 30}]),
     "missing_layer"),
    ("layers out of order", _facts(), dict(layers=[{"type": "Linear", "in_features": 100},
                                                   {"type": "Linear", "in_features": 784}]),
     "missing_layer"),
    ("exact refuses an extra dropout", _facts(), dict(layers_match="exact", layers=[
        {"type": "Linear"}, {"type": "ReLU"}, {"type": "Linear"}]), "wrong_layers"),
    ("parameter count", _facts(), dict(parameters=1000), "wrong_parameter_count"),
    ("parameter range", _facts(), dict(parameters={"min": 1000, "max": 80000}), None),
    ("functional relu traced", _facts(ops=[{"op": "Linear"}, {"op": "relu"}, {"op": "Linear"}]),
     dict(ops=["Linear", "ReLU", "Linear"]), None),
    ("no sigmoid in the forward pass", _facts(ops=[{"op": "Linear"}, {"op": "relu"}]),
     dict(ops=["Linear", "sigmoid"]), "missing_op"),
    ("untraceable falls back to layers", _facts(ops=None), dict(ops=["linear", "relu"]), None),
    ("any of several layer types", _facts(), dict(layers=[
        {"type": "Linear"}, {"type": ["Sigmoid", "ReLU", "Tanh"]}, {"type": "Linear"}]), None),
    ("none of several layer types", _facts(), dict(layers=[
        {"type": "Linear"}, {"type": ["Sigmoid", "Tanh"]}, {"type": "Linear"}]),
     "missing_layer"),
    ("any of several values", _facts(), dict(layers=[
        {"type": "Linear", "out_features": {"any_of": [30, 100]}}]), None),
    ("none of several values", _facts(), dict(layers=[
        {"type": "Linear", "out_features": {"any_of": [30, 50]}}]), "missing_layer"),
    ("layers end with the last wanted", _facts(), dict(layers_match="ends", layers=[
        {"type": "Linear", "out_features": 100}, {"type": "Linear", "out_features": 10}]), None),
    ("a layer after the last wanted", _facts(), dict(layers_match="ends", layers=[
        {"type": "Linear"}, {"type": "ReLU"}]), "after_output"),
    ("ops end with the output layer, reshapes aside",
     _facts(ops=[{"op": "linear"}, {"op": "selu"}, {"op": "linear"}, {"op": "view"}]),
     dict(ops=["linear", "selu", "linear"], ops_match="ends"), None),
    ("a sigmoid after the output layer",
     _facts(ops=[{"op": "linear"}, {"op": "selu"}, {"op": "linear"}, {"op": "sigmoid"}]),
     dict(ops=["linear", "selu", "linear"], ops_match="ends"), "after_output"),
    ("an output shape that only finds the model is not judged", _facts(output_shape=(4, 784)),
     dict(output_shape=[4, 10], judge_shape=False), None),
    ("a forward pass that raised, its output not judged", _facts(output_shape=None),
     dict(layers=[{"type": "Linear"}]), None),
    ("NaN in the output", _facts(output_shape=(4, 10), nan=True), dict(output_shape=[4, 10]),
     "nonfinite"),
])
def test_module_judge(name, facts, params, mistake):
    outcome = judge_module(facts, _module_params(**params))
    assert outcome.mistake == (mistake or ""), outcome.message
    assert (outcome.fraction == 1.0) == (mistake is None)


def test_op_names_match_across_layers_and_functions():
    assert op_key("nn.MaxPool2d") == op_key("F.max_pool2d") == op_key("max_pool2d")
    assert op_key("SELU") == op_key("selu")
    assert op_key("relu") != op_key("relu6")


def test_kernel_size_given_as_one_int_matches_a_square_kernel():
    conv = [{"type": "Conv2d", "kernel_size": [3, 3], "out_channels": 8}]
    assert judge_layers(conv, [{"type": "Conv2d", "kernel_size": 3}], exact=False,
                        name="m") is None
    assert judge_layers(conv, [{"type": "Conv2d", "kernel_size": 5}], exact=False,
                        name="m") is not None


def test_ops_message_says_when_the_forward_pass_could_not_be_traced():
    outcome = judge_ops(None, LAYERS, ["sigmoid"], name="the model")
    assert outcome is not None and "could not be traced" in outcome.message


# ----------------------------------------------------------------------------- more schemas


@pytest.mark.parametrize("kind, params, key, fix", [
    ("value", {"target": "x", "equals": 1, "rtoll": 0.1}, "rtoll", "did you mean 'rtol'"),
    ("value", {"target": "x"}, "equals", "add one"),
    ("value", {"target": "x", "equals": 1, "expected": "target_sum"}, "equals", "remove one"),
    ("value", {"target": "x", "through": "cell_stat", "equals": 1}, "through",
     "did you mean 'cell_state'"),
    ("trained", {"measure": {"call": "loss"}, "treshold": 1}, "treshold",
     "did you mean 'threshold'"),
    ("trained", {"measure": {"call": "loss"}}, "threshold", "add threshold"),
    ("trained", {"measure": {"call": "loss"}, "baseline_ratio": 0.5}, "baseline_ratio",
     "add a `train` call"),
    ("trained", {"measure": {"call": "f"}, "threshold": 1, "score": "accuracy"}, "labels",
     "add labels"),
    ("trained", {"measure": {"call": "f", "arsg": []}, "threshold": 1}, "measure.arsg",
     "did you mean 'args'"),
    ("trained", {"measure": {"call": "f", "args": [{"dta": "x"}]}, "threshold": 1},
     "measure.args[0]", "did you mean 'data'"),
    ("trained", {"measure": {"call": "f"}, "threshold": 1,
                 "train": {"call": "step", "args": [1.0], "result_replaces": 0}},
     "train.result_replaces", "{stored: NAME}"),
    ("module", {"probe_shape": [1, 4], "layers": [{"type": "Linear", "out_feature": 3}]},
     "layers[0].out_feature", "did you mean 'out_features'"),
    ("module", {"probe_shape": [1, 4], "layers_match": "exatc"}, "layers_match",
     "did you mean 'exact'"),
    ("module", {"probe_shape": [1, 4], "target": "m", "build": {"call": "Net"}}, "build",
     "remove one"),
])
def test_a_typo_in_value_trained_or_module_names_the_key_and_the_fix(kind, params, key, fix):
    with pytest.raises(ParamError) as caught:
        _validate(kind, params, frozenset({"cell_state", "target_sum"}))
    assert caught.value.key == key
    assert fix in caught.value.fix


def test_every_generic_kind_is_registered_with_a_documented_schema():
    kinds = registry.generic_kinds()
    assert {"distribution", "value", "trained", "module"} <= set(kinds)
    for name in ("distribution", "value", "trained", "module"):
        assert kinds[name].doc and kinds[name].schema.doc
        assert all(p.doc for p in kinds[name].schema.params), name
