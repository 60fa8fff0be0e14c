"""The real `grade` command on KAUST AMCS 215 assignment 9 (seed 002): one PyTorch notebook with
no published interface, its models found by their shapes and layers whatever students name
them; everything the document asks that is not a model is marked by hand."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "kaust_amcs215_a9"
SPEC = ROOT / "assignments" / "kaust_amcs215_a9" / "spec.yaml"
FULL = {"1a": 3, "2a": 3, "4b": 2}
BY_HAND = {"1b": 1, "1c": 2, "1d": 1, "2b": 2, "2c": 1, "3a": 3, "3b": 2, "4a": 2, "4c": 2,
           "4d": 1, "5a": 3, "5b": 2, "6a": 2}

EXPECTED = {
    "reference_solutions/kaust_amcs215_a9/master.ipynb": FULL,
    "assignments/kaust_amcs215_a9/starter.ipynb": dict.fromkeys(FULL, 0),
    **{name: {part: int(marks) for part, marks in parts.items()} for name, parts in
       yaml.safe_load((FIXTURES / "expected.yaml").read_text())["fixtures"].items()},
}

# The check each known mistake must fail, with the model it must be found as.
MISTAKES = {
    "relu_upsampling_lstm_downloads_mnist": {
        ("1a", "selu"): ("missing_op", "net"), ("2a", "decoder"): ("missing_layer", "conv_net"),
        ("4b", "recurrent"): ("missing_layer", "rnn_model")},
    "latent_32_channels_doubled_embedding_50": {
        ("1a", "layers"): ("missing_layer", "model1"), ("2a", "encoder"): ("missing_layer", "cnn"),
        ("4b", "embedding"): ("missing_layer", "clf")},
}


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / f"{name}.ipynb"


def _grade(grade_cli, submission: Path, tmp_path: Path) -> dict:
    out = tmp_path / "full.json"
    result = grade_cli(str(submission), "--assignment", "kaust_amcs215_a9", "--seed", "11",
                       "--full-json", str(out), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_exactly_its_marks_whatever_its_models_are_called(name, tmp_path,
                                                                           grade_cli):
    report = _grade(grade_cli, _path(name), tmp_path)
    assert {p["part_id"]: p["awarded"] for p in report["parts"]
            if not p["by_hand"]} == EXPECTED[name]
    assert {p["part_id"]: p["marks"] for p in report["parts"] if p["by_hand"]} == BY_HAND
    assert report["max_score"] + sum(BY_HAND.values()) == 32
    assert not [n for n in report["notes"] if "grader error" in n or "locked" in n]
    found = {(p["part_id"], c["check_id"]): c for p in report["parts"] for c in p["checks"]}
    for where, (mistake, model) in MISTAKES.get(name, {}).items():
        assert found[where]["details"]["mistake"] == mistake, found[where]["message"]
        assert f"(`{model}`)" in found[where]["message"], found[where]["message"]
        assert found[where]["hint"], "a recognised mistake must come with a hint"


def test_a_notebook_that_downloads_mnist_is_told_so_and_its_models_still_graded(tmp_path,
                                                                               grade_cli):
    report = _grade(grade_cli, FIXTURES / "relu_upsampling_lstm_downloads_mnist.ipynb",
                    tmp_path)
    assert any("torchvision" in note for note in report["notes"])
    shape = next(c for p in report["parts"] for c in p["checks"]
                 if (p["part_id"], c["check_id"]) == ("2a", "shape"))
    assert shape["awarded"] == 1 and "(`conv_net`)" in shape["message"]


def test_the_spec_sizes_are_the_reference_sizes():
    tree = ast.parse((ROOT / "reference_solutions" / "kaust_amcs215_a9" / "reference.py")
                     .read_text())
    namespace: dict = {}
    exec(compile(tree, "reference.py", "exec"), namespace)  # noqa: S102 our own reference
    spec = yaml.safe_load(SPEC.read_text())
    checks = {(part["id"], check["id"]): check["params"] for question in spec["questions"]
              for part in question["parts"] for check in part.get("checks", [])}
    dense = [(layer["in_features"], layer["out_features"])
             for layer in checks[("1a", "layers")]["layers"]]
    assert dense == namespace["dense_linear_sizes"]()
    encoder = [(layer["in_channels"], layer["out_channels"])
               for layer in checks[("2a", "encoder")]["layers"]]
    assert encoder == namespace["conv_encoder_channels"]()
    assert checks[("4b", "embedding")]["layers"][0]["embedding_dim"] == namespace[
        "EMBEDDING_DIM"]
    assert checks[("4b", "recurrent")]["layers"][1]["hidden_size"] == namespace["RNN_HIDDEN"]
