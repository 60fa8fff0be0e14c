"""lstm_gates: reference, starter and known-mistake fixtures graded by the real `grade` command,
with exact marks and the mistake each message names."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "lstm_gates"
FULL = {"2a": 4.5, "2b": 1, "2c": 2}

# submission -> (marks per part, {(part, check): mistake named})
EXPECTED = {
    "reference_solutions/lstm_gates/master.ipynb": (FULL, {}),
    "assignments/lstm_gates/starter.ipynb": ({"2a": 0, "2b": 0, "2c": 0},
                                             {("2a", "gates-i"): "not_found",
                                              ("2a", "readable"): "not_found"}),
    # h_t = tanh(C_t): wrong for i and ii (o_t ~ 0.007), right within tolerance for iii.
    "forgot_output_gate": ({**FULL, "2a": 3.5}, {("2a", "states-i"): "wrong_values",
                                                 ("2a", "states-ii"): "wrong_values"}),
    "input_order_reversed": ({**FULL, "2a": 0}, {("2a", "gates-iii"): "wrong_values"}),
    # h_t = -0.000128 written as 0 is wrong too: answers need four decimals.
    "rounds_small_gates_to_zero": ({**FULL, "2a": 3.0}, {("2a", "gates-i"): "wrong_values",
                                                         ("2a", "states-i"): "wrong_values"}),
    "targets_missed": ({**FULL, "2b": 0, "2c": 0}, {("2b", "reaches"): "too_far",
                                                    ("2c", "reaches"): "too_far"}),
    "other_forms_right": (FULL, {}),
    # 2(a) answered where students of the original course write it (no answer_2a).
    "prints_gates_per_input": (FULL, {}),
    "see_above_one_cell": (FULL, {}),
    "markdown_table": (FULL, {}),
    "colab_saved_outputs": (FULL, {}),  # the cell fails here: its saved output is read
    # Only (C_t, h_t) printed: the states count, the gates are nowhere.
    "prints_state_tuples": ({**FULL, "2a": 1.5}, {("2a", "gates-i"): "not_found",
                                                  ("2a", "readable"): "not_found"}),
    # LaTeX in a notebook whose code never ran; h_t of input ii forgets the output gate.
    "latex_never_ran": ({**FULL, "2a": 4.0}, {("2a", "states-ii"): "wrong_values"}),
    # f_t and i_t printed under each other's labels: right numbers, wrong gates.
    "right_numbers_wrong_gates": ({**FULL, "2a": 1.5}, {("2a", "gates-i"): "wrong_values",
                                                        ("2a", "gates-iii"): "wrong_values"}),
    # (b) as v = [h0, x] in code, (c) only in LaTeX, and wrong: read where they are written.
    "proposals_written_freely": ({**FULL, "2c": 0}, {("2c", "reaches"): "too_far"}),
    # The course's question 1 comes first: its (a) and (b) start no part of question 2.
    "rnn_question_first": (FULL, {}),
    "debug_prints_unlabelled": ({**FULL, "2a": 0}, {("2a", "gates-i"): "not_found",
                                                    ("2a", "readable"): "not_found"}),
}


def _path(name: str) -> Path:
    return ROOT / name if "/" in name else FIXTURES / f"{name}.ipynb"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_gets_exactly_its_expected_marks(name, grade_full, assert_graded_as):
    marks, mistakes = EXPECTED[name]
    report = grade_full(_path(name), "--assignment", "lstm_gates", "--seed", "11")
    assert_graded_as(report, marks, mistakes)


def test_missed_target_message_gives_the_state_reached_and_the_gates(grade_full):
    report = grade_full(_path("targets_missed"), "--only", "2c")
    message = next(c["message"] for c in report["parts"][0]["checks"] if c["check_id"] == "reaches")
    assert "h_t = 0.02956" in message and "target" in message and "o_t = 0.9933" in message


def test_explanations_go_to_the_human_grader(grade_full):
    report = grade_full(_path("forgot_output_gate"), "--only", "2a-relations")
    part = report["parts"][0]
    assert part["by_hand"] and "output gate is nearly shut" in part["answer"]


@pytest.mark.parametrize("name, readable", [("other_forms_right", True),
                                            ("rounds_small_gates_to_zero", True),
                                            ("assignments/lstm_gates/starter.ipynb", False)])
def test_the_public_readable_checks_pass_for_every_form_the_grader_reads(name, readable,
                                                                        grade_full):
    # No marks, but what a student sees before submitting: they must agree with the marking.
    report = grade_full(_path(name), "--assignment", "lstm_gates", "--seed", "11")
    statuses = {p["part_id"]: c["status"] for p in report["parts"] for c in p["checks"]
                if c["check_id"] == "readable"}
    assert statuses == dict.fromkeys(("2a", "2b", "2c"), "passed" if readable else "failed")


@pytest.mark.parametrize("name, check, place", [
    ("prints_gates_per_input", "gates-ii", "code cell 3 (cell 7 of the notebook), printed output"),
    ("see_above_one_cell", "states-iii", "code cell 2 (cell 6 of the notebook), printed output, "
                                         "line 9"),
    ("colab_saved_outputs", "gates-i", "saved output (not rerun), line 3"),
    ("latex_never_ran", "gates-i", "Markdown cell 7, text, line 5"),
    ("markdown_table", "states-ii", "Markdown cell 7, table, line 6"),
    ("right_numbers_wrong_gates", "gates-ii", "printed output, line 1"),
    ("proposals_written_freely", "reaches", "code cell 3 (cell 9 of the notebook), code, line 1"),
])
def test_the_report_says_where_each_number_was_read(name, check, place, grade_full):
    part = "2b" if check == "reaches" else "2a"
    report = grade_full(_path(name), "--only", part, "--seed", "11")
    message = next(c["message"] for c in report["parts"][0]["checks"] if c["check_id"] == check)
    assert place in message.splitlines()[0]


def test_when_nothing_is_found_the_report_says_what_was_searched(grade_full):
    report = grade_full(_path("debug_prints_unlabelled"), "--only", "2a", "--seed", "11")
    message = next(c["message"] for c in report["parts"][0]["checks"] if c["check_id"] == "gates-i")
    assert message.startswith("No number found for f_t, i_t, o_t for input i (x_t = [1, 0, 0]). "
                              "Searched the variable answer_2a (not defined), the printed output "
                              "of 1 code cell(s)")
