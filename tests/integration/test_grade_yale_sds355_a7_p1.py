"""The real `grade` command on Yale S&DS 355 assignment 7 (seed 001), problem 1:
minimal_neural_network.ipynb as its students hand it in (the course's numpy network on spiral
data, globals X, y, D, K), 1(b) borrowed from three_layer, 1(a) and 1(c) by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "yale_sds355_a7_p1"
FULL = {"1b": 15}
BY_HAND = {"1a": 5, "1c": 10}

# submission -> (marks per automatically graded part, {(part, check): mistake named})
EXPECTED = {
    "reference_solutions/yale_sds355_a7_p1/master.ipynb": (FULL, {}),
    "assignments/yale_sds355_a7_p1/starter.ipynb": ({"1b": 0}, {("1b", "train"): "crashed"}),
    # W1 as H1 x D, 1-D biases, the course's loop copied: full marks.
    "transposed_weights_course_loop": (FULL, {}),
    # The second layer sized with H1: right for the defaults, wrong shapes for H1=20, H2=30.
    "h2_typed_as_h1": ({"1b": 12}, {("1b", "shapes"): "ignores_sizes"}),
    # Trains and plots inside the function, returns nothing: nothing to measure.
    "plots_inside_returns_nothing": ({"1b": 0}, {("1b", "train"): "wrong_shape"}),
}


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / f"{name}.ipynb"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_exactly_its_expected_marks(name, grade_full, assert_graded_as):
    marks, mistakes = EXPECTED[name]
    report = grade_full(_path(name), "--assignment", "yale_sds355_a7_p1", "--seed", "11")
    assert_graded_as(report, marks, mistakes)
    assert {p["part_id"]: p["marks"] for p in report["parts"] if p["by_hand"]} == BY_HAND
    assert report["max_score"] + sum(BY_HAND.values()) == 30
    assert not [n for n in report["notes"] if "grader error" in n]
