"""Grading never runs the handout's self-check cell (it would start a second grader)."""

from __future__ import annotations

from pathlib import Path

from graders.grading import SELF_CHECK_MARKER, Grader
from graders.notebook import read_submission
from graders.spec import load_assignment

ROOT = Path(__file__).resolve().parents[2]


def test_the_starters_self_check_cell_is_emptied_before_grading():
    starter = read_submission(ROOT / "assignments/rnn_bptt/starter.ipynb")
    assert SELF_CHECK_MARKER in starter.cells[-1].source
    grader = Grader(load_assignment("rnn_bptt"), starter, 1, None, reference=None)
    assert grader.submission.cells[-1].source == ""
    assert [c.source for c in grader.submission.cells[:-1]] == [
        c.source for c in starter.cells[:-1]]
    assert grader.notes == []  # the starter's locked cells are untouched
