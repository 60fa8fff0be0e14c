"""The real `grade` command on UW CS489/698 A4 (seed 000) graded whole: question 1 borrowed from
autoencoders, questions 2 and 3 from rnn_bptt, numbered and marked as the course document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "uw_cs489_a4"
BY_HAND = {"1b": 2, "1c": 3, "1d": 5, "2a": 3, "2b": 2, "2c": 4, "2d": 1}

# Marks per automatically graded part: 1a autoencoder (3), 3a BPTT (8), 3b net (2), 3c train (2),
# 3d accuracy (2). Everything else (20 marks) is read by a marker.
EXPECTED = {
    "reference_solutions/uw_cs489_a4/master.ipynb": {"1a": 3, "3a": 8, "3b": 2, "3c": 2, "3d": 2},
    "assignments/uw_cs489_a4/starter.ipynb": {"1a": 0, "3a": 0, "3b": 0, "3c": 0, "3d": 0},
    # Colab cells, `import Network as NN`, SGD in rounds, `net` reused for the supplied network
    # and then for the RNN: 1a is graded from the state before autoencoder.net is loaded.
    "colab_all_right": {"1a": 3, "3a": 8, "3b": 2, "3c": 2, "3d": 2},
    # Three layers built with AddLayer (784-3-784): too shallow, though right in size and
    # trained; every BPTT gradient divided by the sequence length.
    "three_layers_bptt_divided_by_length": {"1a": 2, "3a": 0, "3b": 2, "3c": 2, "3d": 2},
    # The autoencoder's SGD line commented out; BPTT without the W^T carry (dEdV, dEdc right).
    "never_trained_bptt_missing_recurrence": {"1a": 2, "3a": 3, "3b": 2, "3c": 2, "3d": 2},
}

MISTAKES = {
    "three_layers_bptt_divided_by_length": {("1a", "depth"): "too_shallow",
                                            ("3a", "dEdU"): "divided_by_length"},
    "never_trained_bptt_missing_recurrence": {("1a", "trained"): "not_trained",
                                              ("3a", "dEdW"): "no_recurrence"},
}


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / f"{name}.ipynb"


def _grade(grade_cli, submission: Path, tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "full.json"
    result = grade_cli(str(submission), "--assignment", "uw_cs489_a4", *args, "--full-json",
                       str(out), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_marks_for_all_three_questions_exactly_as_expected(name, tmp_path,
                                                                          grade_cli):
    report = _grade(grade_cli, _path(name), tmp_path, "--seed", "11")
    assert {p["part_id"]: p["awarded"] for p in report["parts"]
            if not p["by_hand"]} == EXPECTED[name]
    assert {p["part_id"]: p["marks"] for p in report["parts"] if p["by_hand"]} == BY_HAND
    assert report["max_score"] + sum(BY_HAND.values()) == 37
    assert not [n for n in report["notes"] if "grader error" in n]
    found = {(p["part_id"], c["check_id"]): c for p in report["parts"] for c in p["checks"]}
    for where, mistake in MISTAKES.get(name, {}).items():
        assert found[where]["details"]["mistake"] == mistake, found[where]["message"]
        if where[0] == "3a":  # rnn_bptt's spec gives a hint for every mistake it names
            assert found[where]["hint"], "a recognised mistake must come with a hint"


def test_by_hand_answers_are_found_under_the_a4_numbering(tmp_path, grade_cli):
    report = _grade(grade_cli, FIXTURES / "colab_all_right.ipynb", tmp_path, "--only", "1,2")
    answers = {p["part_id"]: p["answer"] for p in report["parts"] if p["by_hand"]}
    assert answers["1b"].startswith("## Q1 (b)") and "imshow" in answers["1b"]
    assert answers["1d"].startswith("## Q1 (d)") and "FeedForwardFrom" in answers["1d"]
    assert "Q2" not in answers["1d"]
    assert answers["2c"].startswith("## Q2 (c)") and "h^{i+1}" in answers["2c"]
    assert answers["2d"].startswith("## Q2 (d)") and "Q3" not in answers["2d"]
    assert "class RNN" not in answers["2d"]


def test_the_home_assignments_grade_the_same_notebook_with_their_own_numbering(tmp_path,
                                                                               grade_cli):
    # The same question, defined once: graded under rnn_bptt it is 3a, as under A4.
    report = _grade(grade_cli, FIXTURES / "never_trained_bptt_missing_recurrence.ipynb", tmp_path,
                    "--only", "3a", "--seed", "11")
    assert [(p["part_id"], p["awarded"]) for p in report["parts"]] == [("3a", 3)]
    out = tmp_path / "home.json"
    result = grade_cli(str(FIXTURES / "never_trained_bptt_missing_recurrence.ipynb"),
                       "--assignment", "rnn_bptt", "--only", "3a", "--seed", "11",
                       "--full-json", str(out), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    home = json.loads(out.read_text())
    assert [(p["part_id"], p["awarded"]) for p in home["parts"]] == [("3a", 3)]


def test_a_course_that_borrows_its_questions_gets_a_handout_with_each_homes_public_checks(
        tmp_path, grade_cli):
    import zipfile

    result = grade_cli("build", "uw_cs489_a4", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "uw_cs489_a4.zip") as archive:
        names = set(archive.namelist())
    assert "uw_cs489_a4/uw_cs489_a4.ipynb" in names
    for owner in ("uw_cs489_a4", "autoencoders", "rnn_bptt"):
        assert f"uw_cs489_a4/public_checks/{owner}/spec.yaml" in names, owner
