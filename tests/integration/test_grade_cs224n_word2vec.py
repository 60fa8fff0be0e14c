"""cs224n_word2vec, an assignment written only as data (spec.yaml, reference.py, master): the
reference gets full marks, the starter zero without crashing the grader, and each fixture its
exact marks with its mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "cs224n_word2vec"
FULL = {"1a": 3, "1b": 6, "1c": 6, "1d": 5}

# submission -> (marks per part, {(part, check): mistake named})
EXPECTED = {
    "reference_solutions/cs224n_word2vec/master.ipynb": (FULL, {}),
    "assignments/cs224n_word2vec/starter.ipynb": ({"1a": 0, "1b": 0, "1c": 0, "1d": 0},
                                                  {("1b", "loss"): "crashed"}),
    # Right for ordinary inputs, NaN for large ones.
    "sigmoid_overflows": ({**FULL, "1a": 2}, {("1a", "extremes"): "nonfinite"}),
    # gradOutsideVecs (d, V); skipgram sums the student's own naive softmax, so it fails too.
    "naive_grad_outside_transposed": ({**FULL, "1b": 4, "1d": 0},
                                      {("1b", "grad_outside"): "transposed",
                                       ("1d", "loss"): "crashed"}),
    # grad[indices] += rows: a word sampled twice counted once.
    "neg_sampling_drops_repeats": ({**FULL, "1c": 4},
                                   {("1c", "grad_outside"): "negSampling_repeats_dropped"}),
    # Loss and gradients overwritten by each outside word.
    "skipgram_last_word_only": ({**FULL, "1d": 0},
                                {("1d", "loss"): "skipgram_last_word_only",
                                 ("1d", "grad_center"): "skipgram_last_word_only"}),
    # Every function written differently (stable sigmoid, loops, np.add.at, sums of lists).
    "other_forms_right": (FULL, {}),
}


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / f"{name}.ipynb"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_exactly_its_expected_marks(name, grade_full, assert_graded_as):
    marks, mistakes = EXPECTED[name]
    report = grade_full(_path(name), "--assignment", "cs224n_word2vec", "--seed", "11")
    assert_graded_as(report, marks, mistakes)


def test_a_named_mistake_reaches_the_student_with_its_hint(grade_full):
    report = grade_full(_path("neg_sampling_drops_repeats"), "--assignment", "cs224n_word2vec",
                        "--only", "1c", "--seed", "4")
    check = next(c for c in report["parts"][0]["checks"] if c["check_id"] == "grad_outside")
    assert check["fraction"] == 0 and "np.add.at" in check["hint"]


def test_the_assignment_has_no_check_code_of_its_own():
    folder = ROOT / "assignments" / "cs224n_word2vec"
    assert sorted(p.name for p in folder.iterdir()) == ["spec.yaml", "starter.ipynb"]


def test_grade_validate_passes_it_with_a_mutation_score_of_at_least_90_percent(tmp_path,
                                                                               grade_cli):
    result = grade_cli("validate", "cs224n_word2vec", "--mutants", "16", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "# grade validate cs224n_word2vec: PASSED" in out
    assert "[FAIL]" not in out and "[ok] mutation score" in out
    assert "every fixture gets its expected marks (5 in" in out
