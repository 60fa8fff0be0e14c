"""The real `grade` command on Yale S&DS 355 assignment 7 (seed 001), problem 2:
autoencoder.ipynb as its students hand it in (the course's Keras code, run on Keras 3's torch
backend, Fashion-MNIST read from the stand-ins staged in Keras's cache; no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "yale_sds355_a7_p2"
FULL = {"2b": 6}
BY_HAND = {"2a": 5, "2b-shallow": 3, "2b-deep": 3, "2b-denoising": 3, "2c": 10}

# submission -> (marks per automatically graded part, {(part, check): mistake named})
EXPECTED = {
    "reference_solutions/yale_sds355_a7_p2/master.ipynb": (FULL, {}),
    # The load left as raise NotImplementedError(): nothing is loaded, the model never trains.
    "assignments/yale_sds355_a7_p2/starter.ipynb": ({"2b": 0}, {
        ("2b", "fashion"): "not_defined", ("2b", "reconstructs"): "below_threshold"}),
    # The course's mnist.load_data() left in: Keras cannot download it, nothing trains.
    "still_on_mnist": ({"2b": 0}, {("2b", "fashion"): "not_defined",
                                   ("2b", "reconstructs"): "below_threshold"}),
    # Every model stored as `autoencoder` (blog-style code): the last one, the denoising
    # autoencoder, still reconstructs clean test images.
    "every_model_named_autoencoder": (FULL, {}),
    # Fashion-MNIST loaded, pixels left in 0..255: the binary cross-entropy refuses the targets.
    "pixels_not_scaled": ({"2b": 3}, {("2b", "reconstructs"): "below_threshold"}),
}


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / f"{name}.ipynb"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_exactly_its_expected_marks(name, grade_full, assert_graded_as):
    marks, mistakes = EXPECTED[name]
    report = grade_full(_path(name), "--assignment", "yale_sds355_a7_p2", "--seed", "11")
    assert_graded_as(report, marks, mistakes)
    assert {p["part_id"]: p["marks"] for p in report["parts"] if p["by_hand"]} == BY_HAND
    assert report["max_score"] + sum(BY_HAND.values()) == 30
    assert not [n for n in report["notes"] if "grader error" in n]


def test_still_on_mnist_report_says_the_download_failed(grade_full):
    report = grade_full(FIXTURES / "still_on_mnist.ipynb", "--assignment", "yale_sds355_a7_p2",
                        "--only", "2b", "--seed", "11")
    assert any("mnist.npz" in n for n in report["notes"])
