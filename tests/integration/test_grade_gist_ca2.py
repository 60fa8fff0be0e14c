"""The real `grade` command on GIST CA2 (seed 003) handed in as a python/ folder: nn.py graded
with mlp_numpy's checks in the course's numbering, and what q1.py's gradient checker computes
(not what it prints) checked against the grader's central differences."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "gist_ca2"
BY_HAND = {"1.1.1": 2, "1.1.3": 1, "1.2.2": 2, "1.2.3": 3, "2.1.2": 3, "2.1.3": 3, "2.1.4": 3,
           "2.1.5": 4, "2.2.1": 5, "2.2.2": 5, "3.1.1": 5, "3.2.1": 2, "3.2.2": 3, "3.2.3": 2}
ALL_RIGHT = {"1.1.2": 2, "1.2.1": 4, "1.2.4": 3, "1.2.5": 3, "1.3.1": 10, "1.4.1": 5,
             "1.5.1": 5, "2.1.1": 3, "3.1.2": 3}

EXPECTED = {
    "reference_solutions/gist_ca2/master": ALL_RIGHT,
    "assignments/gist_ca2/starter": dict.fromkeys(ALL_RIGHT, 0),
    # The CMU file name run_q2.py; nn.py tells the activations apart by identity, draws Glorot
    # normal weights and keeps grad_b 2-D; the script's np.nditer checker is right.
    "right_cmu_names": ALL_RIGHT,
    # nn.py right; the script divides its central differences by eps instead of 2 * eps (and
    # its own report still prints a small "total" for nothing it should).
    "checker_divides_by_eps": {**ALL_RIGHT, "1.5.1": 0},
}


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / name


def _grade(grade_cli, submission: Path, tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "full.json"
    result = grade_cli(str(submission), "--assignment", "gist_ca2", *args, "--full-json",
                       str(out), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_python_folder_gets_exactly_its_marks_in_the_course_numbering(name, tmp_path, grade_cli):
    report = _grade(grade_cli, _path(name), tmp_path, "--seed", "11")
    assert {p["part_id"]: p["awarded"] for p in report["parts"]
            if not p["by_hand"]} == EXPECTED[name]
    assert {p["part_id"]: p["marks"] for p in report["parts"] if p["by_hand"]} == BY_HAND
    assert report["max_score"] + sum(BY_HAND.values()) == 81
    assert not [n for n in report["notes"] if "grader error" in n]


def test_wrong_checker_is_named_with_the_factor_it_is_off_by(tmp_path, grade_cli):
    report = _grade(grade_cli, FIXTURES / "checker_divides_by_eps", tmp_path, "--seed", "11",
                    "--only", "1.5.1")
    check = report["parts"][0]["checks"][0]
    assert check["details"]["mistake"] == "wrong_values"
    assert "central differences" in check["message"]
    assert "2 * eps" in check["hint"]


def test_zip_of_the_folder_grades_like_the_folder_and_a_missing_script_says_which(
        tmp_path, grade_cli):
    archive = tmp_path / "student.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted((FIXTURES / "right_cmu_names" / "python").iterdir()):
            if path.name != "run_q2.py":
                handle.write(path, f"hw/python/{path.name}")
    report = _grade(grade_cli, archive, tmp_path, "--seed", "11", "--only", "1.3.1,1.5.1")
    awarded = {p["part_id"]: p["awarded"] for p in report["parts"]}
    assert awarded == {"1.3.1": 10, "1.5.1": 0}
    missing = report["parts"][1]["checks"][0]
    assert missing["details"]["mistake"] == "file_missing"
    assert "q1.py or run_q2.py" in missing["message"]



def test_batch_grades_each_students_python_folder_as_one_submission(tmp_path, grade_cli):
    import shutil

    for student, fixture in (("alice", "right_cmu_names"), ("bob", "checker_divides_by_eps")):
        shutil.copytree(FIXTURES / fixture, tmp_path / "class" / student)
    result = grade_cli("batch", str(tmp_path / "class"), "--assignment", "gist_ca2", "--only",
                       "1.5.1", "--out", str(tmp_path / "out"), "--seed", "11", "--jobs", "1",
                       "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    scores = {s: json.loads((tmp_path / "out" / "results" / s / "results.json").read_text())
              ["score"] for s in ("alice", "bob")}
    assert scores == {"alice": 5, "bob": 0}
