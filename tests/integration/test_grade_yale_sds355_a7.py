"""The real `grade` command on Yale S&DS 355 assignment 7 (seed 001), both problems, as its
students hand it in: a folder (or zip) with minimal_neural_network.ipynb (problem 1: the course's
numpy network on spiral data, 1(b) borrowed from three_layer) and autoencoder.ipynb (problem 2:
the course's Keras code on Keras 3's torch backend, Fashion-MNIST read from the stand-ins staged
in Keras's cache), or one notebook holding both. Each problem reads its own notebook, found by
name or by what its cells hold."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "yale_sds355_a7"
FULL = {"1b": 15, "2b": 6}
BY_HAND = {"1a": 5, "1c": 10, "2a": 5, "2b-shallow": 3, "2b-deep": 3, "2b-denoising": 3,
           "2c": 10}
MISSING_2 = {("2b", "fashion"): "file_missing", ("2b", "reconstructs"): "file_missing"}

# submission -> (marks per automatically graded part, {(part, check): mistake named})
EXPECTED = {
    "reference_solutions/yale_sds355_a7/master": (FULL, {}),
    # Problem 1's function raises NotImplementedError; problem 2's load is left unwritten.
    "assignments/yale_sds355_a7/starter": ({"1b": 0, "2b": 0}, {
        ("1b", "train"): "crashed", ("2b", "fashion"): "not_defined",
        ("2b", "reconstructs"): "below_threshold"}),
    # Problem 2 pasted below problem 1: W1 as H1 x D with the course's loop (full marks); every
    # Keras model stored as `autoencoder`, so the last one, the denoising autoencoder, is
    # measured, and it still reconstructs clean test images.
    "both_problems_in_one_notebook": (FULL, {}),
    # jd123_A7_first_problem / _second_problem, found by what they hold: the second layer sized
    # with H1 (wrong shapes for H1=20, H2=30); Fashion-MNIST loaded, pixels left in 0..255 (the
    # binary cross-entropy refuses the targets).
    "notebooks_named_freely": ({"1b": 12, "2b": 3}, {
        ("1b", "shapes"): "ignores_sizes", ("2b", "reconstructs"): "below_threshold"}),
    # Only minimal_neural_network.ipynb: problem 1 graded in full, problem 2 names what it
    # looked for.
    "problem_2_missing": ({"1b": 15, "2b": 0}, MISSING_2),
    # The course's file names, a checkpoint folder and gradients.pdf beside them: 1(b) trains
    # and plots inside the function and returns nothing; 2(b) still calls mnist.load_data(),
    # which Keras cannot download, so nothing trains.
    "course_names_returns_nothing_still_on_mnist": ({"1b": 0, "2b": 0}, {
        ("1b", "train"): "wrong_shape", ("2b", "fashion"): "not_defined",
        ("2b", "reconstructs"): "below_threshold"}),
}


def _path(name: str) -> Path:
    if "/" in name:
        return ROOT / name
    return FIXTURES / name if (FIXTURES / name).is_dir() else FIXTURES / f"{name}.ipynb"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_exactly_its_expected_marks(name, grade_full, assert_graded_as):
    marks, mistakes = EXPECTED[name]
    report = grade_full(_path(name), "--assignment", "yale_sds355_a7", "--seed", "11")
    assert_graded_as(report, marks, mistakes)
    assert {p["part_id"]: p["marks"] for p in report["parts"] if p["by_hand"]} == BY_HAND
    assert report["max_score"] + sum(BY_HAND.values()) == 60
    assert not [n for n in report["notes"] if "grader error" in n]


def test_a_missing_notebook_is_named_with_what_was_looked_for(grade_full):
    report = grade_full(FIXTURES / "problem_2_missing", "--assignment", "yale_sds355_a7",
                        "--only", "2", "--seed", "11")
    message = report["parts"][1]["checks"][0]["message"]
    assert "autoencoder.ipynb or *autoencoder*.ipynb" in message
    assert "keras" in message and "minimal_neural_network.ipynb" in message
    # A marker reading 2(a) finds nothing of problem 1's there.
    assert report["parts"][0]["part_id"] == "2a" and report["parts"][0]["answer"] == ""


def test_a_note_about_a_cell_names_the_notebook_it_is_in(grade_full):
    report = grade_full(FIXTURES / "course_names_returns_nothing_still_on_mnist", "--assignment",
                        "yale_sds355_a7", "--only", "2b", "--seed", "11")
    failed = [n for n in report["notes"] if "mnist.npz" in n]
    assert failed and all(n.startswith("autoencoder.ipynb: code cell ") for n in failed)


def test_each_problem_answer_is_read_from_its_own_notebook(grade_full):
    report = grade_full(FIXTURES / "notebooks_named_freely", "--assignment", "yale_sds355_a7",
                        "--only", "1c,2c", "--seed", "11")
    answers = {p["part_id"]: p["answer"] for p in report["parts"]}
    assert "H1, H2 in [(4, 4)" in answers["1c"] and "keras" not in answers["1c"].lower()
    assert "code_sizes" in answers["2c"] and "train_3_layer_network" not in answers["2c"]


def test_a_class_zip_of_student_folders_grades_each_folder_as_one_submission(
        tmp_path, grade_cli):
    # A course site's download: one folder per student; alice's two notebooks named freely,
    # bob's folder holding problem 1 alone.
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as archive:
        for student, fixture in (("alice", "notebooks_named_freely"),
                                 ("bob", "problem_2_missing")):
            for path in sorted((FIXTURES / fixture).glob("*.ipynb")):
                archive.write(path, f"{student}/{path.name}")
    result = grade_cli("batch", "class.zip", "--assignment", "yale_sds355_a7", "--only", "1b,2b",
                       "--seed", "11", "--out", "out", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "out" / "gradebook.csv", newline="") as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    marks = {s: (float(rows[s]["1b"]), float(rows[s]["2b"])) for s in ("alice", "bob")}
    assert marks == {"alice": (12.0, 3.0), "bob": (15.0, 0.0)}
