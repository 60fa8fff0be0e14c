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
from graders.checks.schema import ParamError, SchemaContext

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


def test_the_distribution_kind_is_registered_with_a_documented_schema():
    kind = registry.generic_kinds()["distribution"]
    assert kind.doc and kind.schema.doc
    assert all(p.doc for p in kind.schema.params)
