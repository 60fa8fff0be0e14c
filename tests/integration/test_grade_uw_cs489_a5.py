"""The real `grade` command on UW CS489/698 A5 (seed 004) graded whole: question 1 the RNN
borrowed from rnn_bptt (3a-3d there, 1a-1d here), question 2 the LSTM borrowed from lstm_gates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "uw_cs489_a5"
BY_HAND = {"2a-relations": 1.5, "2b-justification": 1, "2c-justification": 1}
FULL = {"1a": 8, "1b": 2, "1c": 2, "1d": 2, "2a": 4.5, "2b": 1, "2c": 2}

# Marks per automatically graded part: 1a BPTT (8), 1b net (2), 1c train (2), 1d accuracy (2),
# 2a the LSTM's numbers (4.5), 2b and 2c the proposed inputs (1, 2); 3.5 marks by hand.
EXPECTED = {
    "reference_solutions/uw_cs489_a5/master.ipynb": FULL,
    "assignments/uw_cs489_a5/starter.ipynb": dict.fromkeys(FULL, 0),
    "all_right": FULL,
    # dEdW stored transposed; h_t written as tanh(C_t), without the output gate (i, ii wrong).
    "bptt_transposed_w_lstm_forgot_output_gate": {**FULL, "1a": 6, "2a": 3.5},
    # The carry accumulated across steps (dEdU, dEdW, dEdb wrong); (b) keeps only the old cell
    # state and (c) forgets to halve.
    "bptt_counted_twice_lstm_targets_missed": {**FULL, "1a": 3, "2b": 0, "2c": 0},
}

MISTAKES = {
    "bptt_transposed_w_lstm_forgot_output_gate": {("1a", "dEdW"): "transposed"},
    "bptt_counted_twice_lstm_targets_missed": {("1a", "dEdW"): "counted_twice"},
}


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / f"{name}.ipynb"


def _grade(grade_cli, submission: Path, tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "full.json"
    result = grade_cli(str(submission), "--assignment", "uw_cs489_a5", *args, "--full-json",
                       str(out), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_marks_for_both_questions_exactly_as_expected(name, tmp_path,
                                                                      grade_cli):
    report = _grade(grade_cli, _path(name), tmp_path, "--seed", "11")
    assert {p["part_id"]: p["awarded"] for p in report["parts"]
            if not p["by_hand"]} == EXPECTED[name]
    assert {p["part_id"]: p["marks"] for p in report["parts"] if p["by_hand"]} == BY_HAND
    assert report["max_score"] + sum(BY_HAND.values()) == 25
    assert not [n for n in report["notes"] if "grader error" in n]
    found = {(p["part_id"], c["check_id"]): c for p in report["parts"] for c in p["checks"]}
    for where, mistake in MISTAKES.get(name, {}).items():
        assert found[where]["details"]["mistake"] == mistake, found[where]["message"]
        assert found[where]["hint"], "a recognised mistake must come with a hint"


def test_lstm_explanations_are_found_under_question_2_not_question_1(tmp_path, grade_cli):
    report = _grade(grade_cli, FIXTURES / "all_right.ipynb", tmp_path, "--only", "2")
    answers = {p["part_id"]: p["answer"] for p in report["parts"] if p["by_hand"]}
    assert answers["2a-relations"].startswith("## Q2 (a)")
    assert "forget gate open" in answers["2a-relations"]
    assert "Open the forget" not in answers["2a-relations"]
    assert answers["2b-justification"].startswith("## Q2 (b)")
    assert answers["2c-justification"].startswith("## Q2 (c)") and "x3 = 1" in answers[
        "2c-justification"]
