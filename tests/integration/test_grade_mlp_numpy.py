"""mlp_numpy: the reference, the starter, each known-mistake fixture and nn.py modules, graded by
the real `grade` command, with their exact marks and the mistake each message names."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "mlp_numpy"

FULL = {"1.1.2": 2, "1.2.1": 4, "1.2.4": 3, "1.2.5": 3, "1.3.1": 10, "1.4.1": 5, "1.5.1": 5,
        "2.1.1": 3, "2.2.1": 5, "2.2.2": 5, "3.1.1": 5, "3.1.2": 3, "3.2.3": 2}
# The parts whose functions live in the original course's nn.py.
NN_PY_PARTS = {"1.1.2", "1.2.1", "1.2.4", "1.2.5", "1.3.1", "1.4.1", "2.1.1"}


def _except(**lost: float) -> dict[str, float]:
    """Full marks except the given parts (_1_2_4 stands for part 1.2.4)."""
    return {**FULL, **{k.lstrip("_").replace("_", "."): v for k, v in lost.items()}}


# submission -> (marks per part, {(part, check): mistake named})
EXPECTED = {
    "reference_solutions/mlp_numpy/master.ipynb": (FULL, {}),
    "assignments/mlp_numpy/starter.ipynb": ({k: 0 for k in FULL}, {("1.3.1", "grad_W"): "crashed"}),
    # Stable rows are fine; logits near +-1000 give NaN.
    "softmax_overflows": (_except(_1_2_4=2), {("1.2.4", "stable"): "softmax_overflows"}),
    # One maximum for the whole matrix: rows far below it underflow to 0/0.
    "softmax_global_max": (_except(_1_2_4=2), {("1.2.4", "stable"): "softmax_global_max"}),
    "softmax_in_place": (_except(_1_2_4=2), {("1.2.4", "pure"): "changed_input"}),
    "loss_mean": (_except(_1_2_5=1), {("1.2.5", "loss"): "mean_loss"}),
    # grad_W transposed: both grad_W checks fail; training and the autoencoder's gradients too.
    "grad_w_transposed": (_except(_1_3_1=4, _2_1_1=0, _3_1_1=2),
                          {("1.3.1", "grad_W"): "transposed",
                           ("3.1.1", "gradients"): "transposed"}),
    "batches_same_buffer": (_except(_1_4_1=3), {("1.4.1", "partition"): "same_buffer"}),
    "batches_overlapping": (_except(_1_4_1=3), {("1.4.1", "partition"): "overlapping"}),
    "batches_with_replacement": (_except(_1_4_1=3),
                                 {("1.4.1", "partition"): "with_replacement"}),
    # Starting from zero accumulators a plain step is right, so only `carries` fails.
    "momentum_switched_off": (_except(_3_1_2=1), {("3.1.2", "carries"): "momentum_off"}),
    "autoencoder_skips_a_layer": (_except(_3_1_1=2), {("3.1.1", "gradients"): "layer_skipped"}),
}


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / f"{name}.ipynb"


def _marks(report: dict) -> dict[str, float]:
    return {p["part_id"]: p["awarded"] for p in report["parts"] if not p["by_hand"]}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_exactly_its_expected_marks(name, grade_full, assert_graded_as):
    marks, mistakes = EXPECTED[name]
    assert_graded_as(grade_full(_path(name), "--seed", "11"), marks, mistakes)


def test_correct_nn_py_module_gets_full_marks_for_every_function_part(grade_full):
    report = grade_full(FIXTURES / "nn.py", "--seed", "11")  # assignment known from the name
    assert report["assignment_id"] == "mlp_numpy"
    marks = _marks(report)
    assert {p: marks[p] for p in NN_PY_PARTS} == {p: FULL[p] for p in NN_PY_PARTS}
    # The rest live in the course's run scripts, not nn.py: reported missing, not crashed.
    others = [c for p in report["parts"] if p["part_id"] not in NN_PY_PARTS and not p["by_hand"]
              for c in p["checks"]]
    assert all(c["details"]["mistake"] == "not_defined" for c in others)


def test_nn_py_with_one_global_max_loses_only_stability(grade_full, assert_graded_as):
    report = grade_full(FIXTURES / "nn_softmax_global_max.py", "--assignment", "mlp_numpy",
                        "--only", "1.2.4,1.3.1", "--seed", "3")
    assert_graded_as(report, {"1.2.4": 2, "1.3.1": 10},
                     {("1.2.4", "stable"): "softmax_global_max"})


def test_by_hand_parts_show_only_their_own_answer(grade_full):
    report = grade_full(ROOT / "reference_solutions/mlp_numpy/master.ipynb", "--only",
                        "1.2.2,2.1.3")
    answers = {p["part_id"]: p["answer"] for p in report["parts"]}
    assert "Answer 1.2.2" in answers["1.2.2"] and "1.2.3" not in answers["1.2.2"]
    assert "Answer 2.1.3" in answers["2.1.3"] and "2.1.4" not in answers["2.1.3"]


def test_nn_py_telling_activations_by_identity_and_glorot_normal_gets_full_marks(grade_full):
    # The course's scripts pass nn.py's sigmoid_deriv and util.py's linear_deriv, relu_deriv and
    # tanh_deriv, so a backwards that compares them by identity is right; and Glorot normal has
    # exactly the variance the handout defines.
    report = grade_full(FIXTURES / "nn_identity_deriv_glorot_normal.py", "--assignment",
                        "mlp_numpy", "--only", "1.1.2,1.3.1,2.1.1", "--seed", "11")
    assert _marks(report) == {"1.1.2": 2, "1.3.1": 10, "2.1.1": 3}
