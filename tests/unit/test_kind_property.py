"""Kind `property` without a kernel: inputs unchanged, invariance, finite at extremes,
partition, permutation, differs between calls; a misspelt property fails at load."""

import numpy as np
import pytest
import yaml

from graders.checks.property import (
    extremes,
    judge_cover,
    judge_differs,
    judge_finite,
    judge_invariant,
    judge_unchanged,
    transform,
)
from graders.errors import SpecError
from graders.spec import load_spec

X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])


def _softmax(x, stable=True):
    z = np.exp(x - x.max(axis=1, keepdims=True) if stable else x)
    return z / z.sum(axis=1, keepdims=True)


def test_an_argument_changed_in_place_is_named_with_how_many_entries():
    assert judge_unchanged({"x": X}, {"x": X.copy()}, "softmax").fraction == 1
    outcome = judge_unchanged({"x": X}, {"x": X - 3.0}, "softmax")
    assert outcome.mistake == "changed_input" and "6 of 6 entries differ" in outcome.message


@pytest.mark.parametrize("how", ["add_constant", "add_constant_per_row", "scale_positive",
                                 "add_constant_per_column"])
def test_transforms_change_the_input_as_named(how):
    after = transform(X, how, 10.0, np.random.default_rng(0))
    if how == "add_constant_per_row":
        assert np.allclose(np.ptp(after - X, axis=1), 0) and not np.allclose(after[0] - X[0],
                                                                             after[1] - X[1])
    elif how == "add_constant_per_column":
        assert np.allclose(np.ptp(after - X, axis=0), 0)
    elif how == "scale_positive":
        assert np.allclose(after, 10 * X)
    else:
        assert np.allclose(after, X + 10)


def test_a_stable_softmax_is_invariant_and_an_overflowing_one_is_not():
    shifted = transform(X, "add_constant_per_row", 1000.0, np.random.default_rng(0))
    ok = judge_invariant(_softmax(X), _softmax(shifted), name="p", how="add_constant_per_row",
                         input_name="x", rtol=1e-6, atol=1e-9)
    assert ok.fraction == 1
    with np.errstate(over="ignore", invalid="ignore"):
        bad = judge_invariant(_softmax(X), _softmax(shifted, stable=False), name="p",
                              how="add_constant_per_row", input_name="x", rtol=1e-6, atol=1e-9)
    assert bad.mistake == "not_invariant" and "subtract each row's maximum" in bad.message


def test_finite_at_extremes_names_the_non_finite_entries():
    big = extremes(X, 800.0)
    assert np.max(np.abs(big)) == 800.0
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(big) / (1 + np.exp(big))
    assert judge_finite(1 / (1 + np.exp(-np.clip(big, -500, 500))), name="s", input_name="x",
                        amount=800).fraction == 1
    outcome = judge_finite(naive, name="s", input_name="x", amount=800)
    assert outcome.mistake == "nonfinite" and "NaN or infinite" in outcome.message


@pytest.mark.parametrize("value, partition, mistake", [
    ([np.array([0, 3]), np.array([1, 2, 4])], True, ""),
    ([np.array([0, 3]), np.array([3, 2, 4])], True, "with_replacement"),
    ([np.array([0, 1]), np.array([2, 3])], True, "not_partition"),
    ([np.array([0, 3, 2]), np.array([0, 3, 2])], True, "same_buffer"),
    ([np.array([0, 1, 2]), np.array([1, 2, 3])], True, "overlapping"),
    ([np.array([0, 1, 2]), np.array([0, 3, 4, 0])], True, "not_partition"),
    (np.array([4, 2, 0, 1, 3]), False, ""),
    (np.array([4, 2, 0, 1, 5]), False, "not_permutation"),
    ("abc", False, "wrong_type"),
])
def test_index_groups_must_cover_each_index_once(value, partition, mistake):
    outcome = judge_cover(value, n=5, name="batches", partition=partition)
    assert outcome.mistake == mistake and outcome.fraction == (0.0 if mistake else 1.0)


def test_a_sampler_must_differ_between_calls():
    assert judge_differs(np.array([1, 2]), np.array([2, 1]), name="samples").fraction == 1
    assert judge_differs([1, 2], [1, 2], name="samples").mistake == "same_every_call"
    batches = [np.arange(3.0), np.arange(2.0)]  # groups of unequal sizes
    assert judge_differs(batches, [np.arange(3.0), np.arange(2.0)],
                         name="b").mistake == "same_every_call"
    assert judge_differs(batches, [np.arange(3.0), np.arange(1.0, 3.0)], name="b").fraction == 1


@pytest.mark.parametrize("value, mistake", [
    ([np.zeros((3, 1)), np.zeros((3, 1))], ""),
    ([np.zeros((3, 1)), np.zeros((2, 1))], "wrong_sizes"),
    ([np.zeros((3, 1))], "wrong_sizes"),
    (np.zeros((2, 3)), "wrong_type"),
])
def test_groups_must_have_the_size_asked_for(value, mistake):
    from graders.checks.property import judge_group_sizes

    outcome = judge_group_sizes(value, n=7, size=3, name="the batches")
    assert outcome.mistake == mistake


ROWS = np.arange(4.0)[:, None]


@pytest.mark.parametrize("value, mistake", [
    ([(ROWS[:2], np.hstack([ROWS[:2], ROWS[:2]])), (ROWS[2:], ROWS[2:])], ""),
    ([(ROWS[:2], ROWS[2:]), (ROWS[2:], ROWS[:2])], "unpaired"),
    ([(ROWS[:2],)], "wrong_type"),
    ([(ROWS[:2].ravel(), ROWS[:2].ravel())], "wrong_type"),
    ([], "wrong_type"),
])
def test_pairs_must_keep_their_rows_together(value, mistake):
    from graders.checks.property import judge_paired

    assert judge_paired(value, name="the batches").mistake == mistake


def _spec(tmp_path, monkeypatch, params):
    monkeypatch.setenv("NNGRADER_REFERENCES", str(tmp_path / "refs"))
    (tmp_path / "refs" / "demo").mkdir(parents=True)
    (tmp_path / "refs" / "demo" / "reference.py").write_text("def softmax(x):\n    return x\n")
    (tmp_path / "demo").mkdir()
    check = {"id": "p", "kind": "property", "marks": 1, "params": params}
    doc = {"id": "demo", "title": "Demo", "questions": [{"id": "1", "title": "Q", "parts": [
        {"id": "1a", "title": "t", "marks": 1, "checks": [check]}]}]}
    (tmp_path / "demo" / "spec.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path / "demo" / "spec.yaml"


GOOD = {"function": "softmax", "reference": "softmax", "inputs": {"x": {"normal": [3, 4]}},
        "property": "invariant", "input": "x"}


def test_a_good_property_spec_loads(tmp_path, monkeypatch):
    assert load_spec(_spec(tmp_path, monkeypatch, GOOD)).part("1a").checks[0].kind == "property"


@pytest.mark.parametrize("change, key, phrase", [
    ({"property": "partiton"}, "params.property", "did you mean 'partition'?"),
    ({"transform": "add_constant_per_rwo"}, "params.transform",
     "did you mean 'add_constant_per_row'?"),
    ({"input": "y"}, "params.input", "not an input"),
    ({"property": "finite_at_extremes", "input": ""}, "params.input", "non-empty"),
    ({"property": "permutation"}, "params.n", "needs n"),
    ({"property": "partition", "n": "N"}, "params.n", "size 'N' is not declared"),
    ({"also": ["invarient"]}, "params.also[0]", "did you mean 'invariant'?"),
    ({"also": ["permutation"]}, "params.n", "'permutation' needs n"),
    ({"property": "group_size", "n": 6}, "params.size", "needs size"),
    ({"property": "group_size", "n": 6, "size": "B"}, "params.size", "size 'B' is not declared"),
    ({"output": {"each": -2}}, "params.output.each", ">= 0"),
])
def test_a_property_spec_with_a_typo_fails_at_load_naming_file_key_and_fix(
        tmp_path, monkeypatch, change, key, phrase):
    path = _spec(tmp_path, monkeypatch, {**GOOD, **change})
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.key_path == f"questions[0].parts[0].checks[0].{key}"
    assert phrase in str(caught.value) and str(path) in str(caught.value)


def test_a_further_property_that_changes_an_input_must_name_it(tmp_path, monkeypatch):
    params = {k: v for k, v in GOOD.items() if k != "input"}
    path = _spec(tmp_path, monkeypatch, {**params, "property": "input_unchanged",
                                         "also": ["invariant"]})
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.key_path == "questions[0].parts[0].checks[0].params.input"
    assert "'invariant' needs the input" in str(caught.value)
