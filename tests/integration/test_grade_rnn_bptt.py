"""The real `grade` command on the rnn_bptt reference, starter and known-mistake fixtures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "rnn_bptt"
GRADE = str(Path(sys.executable).with_name("grade"))

# Marks per automatically graded part: 3a BPTT (8), 3b net (2), 3c train (2), 3d accuracy (2).
EXPECTED = {
    "reference_solutions/rnn_bptt/master.ipynb": {"3a": 8, "3b": 2, "3c": 2, "3d": 2},
    "assignments/rnn_bptt/starter.ipynb": {"3a": 0, "3b": 0, "3c": 0, "3d": 0},
    # Every gradient is divided by the sequence length: wrong whenever seq_length > 1.
    "bptt_divided_by_length": {"3a": 0, "3b": 2, "3c": 2, "3d": 2},
    # 1-D `@` for dEdW gives a scalar broadcast over the matrix; U, V, b, c still learn.
    "bptt_inner_product": {"3a": 6, "3b": 2, "3c": 2, "3d": 2},
    # The carry from later steps accumulates: dEdU, dEdW, dEdb wrong from seq_length 3 on.
    "bptt_counted_twice": {"3a": 3, "3b": 2, "3c": 2, "3d": 2},
    # No W^T carry: dEdU, dEdW, dEdb wrong for longer sequences; dEdV, dEdc right.
    "bptt_missing_recurrence": {"3a": 3, "3b": 2, "3c": 2, "3d": 2},
    "bptt_transposed_W": {"3a": 6, "3b": 2, "3c": 2, "3d": 2},
    # BPTT left empty: zero gradients, so training changes nothing; the printed accuracy of
    # the untrained net is still honest.
    "bptt_empty": {"3a": 0, "3b": 2, "3c": 0, "3d": 2},
    "bptt_raises_index_error": {"3a": 0, "3b": 2, "3c": 0, "3d": 2},
    # Renaming a provided helper consistently is not a mistake.
    "renamed_helper_passes": {"3a": 8, "3b": 2, "3c": 2, "3d": 2},
    # Its last cell ends the kernel: the parts are graded from the state before that cell.
    "last_cell_ends_the_kernel": {"3a": 8, "3b": 2, "3c": 2, "3d": 2},
    "a4_colab_notebook": {"3a": 8, "3b": 2, "3c": 2, "3d": 2},
}

MISTAKES = {
    "bptt_divided_by_length": {"dEdU": "divided_by_length", "dEdc": "divided_by_length"},
    "bptt_inner_product": {"dEdW": "constant"},
    "bptt_counted_twice": {"dEdW": "counted_twice"},
    "bptt_missing_recurrence": {"dEdU": "no_recurrence", "dEdW": "no_recurrence"},
    "bptt_transposed_W": {"dEdW": "transposed"},
    "bptt_empty": {"dEdV": "left_at_zero"},
    "bptt_raises_index_error": {"dEdU": "crashed"},
}


def run_grade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GRADE, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / f"{name}.ipynb"


def _grade_to_json(submission: Path, flag: str, tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "out.json"
    result = run_grade(str(submission), *args, flag, str(out), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


def _grade_full(name: str, tmp_path: Path) -> dict:
    return _grade_to_json(_path(name), "--full-json", tmp_path, "--seed", "11")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_exactly_its_expected_marks(name, tmp_path):
    report = _grade_full(name, tmp_path)
    marks = {p["part_id"]: p["awarded"] for p in report["parts"] if not p["by_hand"]}
    assert marks == EXPECTED[name]
    for check, mistake in MISTAKES.get(name, {}).items():
        found = {c["check_id"]: c for c in report["parts"][4]["checks"]}[check]
        assert found["details"]["mistake"] == mistake, found["message"]
        assert found["hint"], "a recognised mistake must come with a hint"


def test_a_cell_that_ends_the_kernel_is_reported_and_costs_no_marks_before_it(tmp_path):
    report = _grade_to_json(FIXTURES / "last_cell_ends_the_kernel.ipynb", "--full-json",
                            tmp_path, "--only", "3c")
    assert {p["part_id"]: p["awarded"] for p in report["parts"]} == {"3c": 2}
    assert any("died while running code cell" in n and "exited with status 3" in n
               and "graded in a fresh kernel that ran only the cells before code cell" in n
               for n in report["notes"]), report["notes"]


def test_by_hand_parts_show_the_students_answer(tmp_path):
    master = ROOT / "reference_solutions/rnn_bptt/master.ipynb"
    report = _grade_to_json(master, "--full-json", tmp_path, "--only", "2")
    answers = {p["part_id"]: p["answer"] for p in report["parts"] if p["by_hand"]}
    assert set(answers) == {"2a", "2b", "2c", "2d"}
    assert "derivation of dE/dW" in answers["2c"]
    assert "derivation of dE/dV" not in answers["2c"]


def test_only_3a_skips_fifteen_epochs_of_training_in_the_class_cell(tmp_path):
    report = _grade_to_json(FIXTURES / "trains_in_class_cell.ipynb", "--full-json", tmp_path,
                            "--only", "3a")
    assert [p["part_id"] for p in report["parts"]] == ["3a"]
    assert report["score"] == 8
    assert not any("time limit" in n for n in report["notes"])


def test_gradescope_json_has_the_documented_fields(tmp_path):
    data = _grade_to_json(FIXTURES / "bptt_missing_recurrence.ipynb", "--json", tmp_path,
                          "--only", "3a,3b")
    assert data["score"] == 5 and data["max_score"] == 10
    assert {t["number"] for t in data["tests"]} == {"3a", "3b"}
    for test in data["tests"]:
        assert set(test) >= {"name", "number", "score", "max_score", "status", "output",
                             "visibility"}
    w = next(t for t in data["tests"] if "gradient of W" in t["name"])
    assert w["status"] == "failed" and "carried back" in w["output"]


def test_unreadable_submission_exits_non_zero_with_the_reason(tmp_path):
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{ not json")
    result = run_grade(str(bad), "--assignment", "rnn_bptt", "--json",
                       str(tmp_path / "r.json"), cwd=tmp_path)
    assert result.returncode == 3
    assert "JSON error" in result.stderr
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 0


def test_notebook_without_assignment_id_lists_the_known_assignments(tmp_path):
    plain = tmp_path / "plain.ipynb"
    plain.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                 "nbformat_minor": 5}))
    result = run_grade(str(plain), cwd=tmp_path)
    assert result.returncode == 2
    assert "rnn_bptt" in result.stderr


def test_unknown_part_is_a_usage_error(tmp_path):
    result = run_grade(str(FIXTURES / "bptt_empty.ipynb"), "--only", "9z", cwd=tmp_path)
    assert result.returncode == 2
    assert "has no part '9z'" in result.stderr


def test_only_3a_of_a_colab_notebook_runs_just_the_definitions(tmp_path):
    # Drive mounted, %cd, the course's Network imported before numpy, 1000 epochs of question 1:
    # the failed imports take nothing else with them, and 3a never pays for question 1.
    report = _grade_to_json(FIXTURES / "a4_colab_notebook.ipynb", "--full-json", tmp_path,
                            "--only", "3a")
    assert {p["part_id"]: p["awarded"] for p in report["parts"]} == {"3a": 8}
    assert "code cell 3: No module named 'Network'; ran the rest of the cell without it" \
        in report["notes"]
    assert not any("whole notebook" in n for n in report["notes"]), report["notes"]
