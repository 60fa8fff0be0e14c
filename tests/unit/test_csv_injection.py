"""Cells a student controls cannot become live formulas in the CSVs a spreadsheet opens."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from graders.exports import csv_text, write_canvas_csv, write_gradebook_csv
from graders.gradebook import Gradebook
from graders.results import CheckResult, GradeReport, PartResult
from graders.submissions import discover

HOSTILE = ['=HYPERLINK("http://x","x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_starting_like_a_formula_gets_a_leading_quote(value):
    assert csv_text(value) == "'" + value


@pytest.mark.parametrize("value", ["alice", "s001_buggy", "", "a=b"])
def test_an_ordinary_cell_is_left_alone(value):
    assert csv_text(value) == value


def _book(folder: Path) -> Gradebook:
    book = Gradebook(folder)
    parts = (PartResult("1a", "auto", 2.0, checks=(CheckResult("c", "c", 2.0, 1.0),)),
             PartResult("1b", "essay", 3.0, by_hand=True))
    # A file name cannot hold '/', so the id from a real file is a formula without "//"; the
    # issue's own example is recorded as an id directly.
    (folder / "class").mkdir()
    for name in ['=HYPERLINK("evil.example?q","x").ipynb', "-1.ipynb", "alice.ipynb"]:
        nbformat.write(nbformat.v4.new_notebook(), str(folder / "class" / name))
    students = [e.student for e in discover([str(folder / "class")], folder / "unpacked")]
    assert '=HYPERLINK("evil.example?q","x")' in students
    for student in [*students, '=HYPERLINK("http://x","x")']:
        book.record(student, folder / f"{student}.ipynb", "sha", "spec",
                    GradeReport("demo", "Demo", f"{student}.ipynb", parts, seed=1), 1.0)
    book.set_manual_mark("-1", "1b", 1.5, "=cmd|' /C calc'!A0")
    return book


def test_gradebook_and_canvas_csv_hold_no_formula_and_keep_numbers(tmp_path):
    book = _book(tmp_path)
    spec = SimpleNamespace(title="Demo", id="demo", parts=[SimpleNamespace(marks=5.0)])
    write_gradebook_csv(book, tmp_path / "gradebook.csv")
    write_canvas_csv(book, spec, tmp_path / "canvas.csv")
    book.close()
    for name in ("gradebook.csv", "canvas.csv"):
        with open(tmp_path / name, newline="") as handle:
            cells = [c for row in csv.reader(handle) for c in row]
        assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))], name
        assert """'=HYPERLINK("http://x","x")""" in cells and "'-1" in cells
        assert """'=HYPERLINK("evil.example?q","x")""" in cells
    with open(tmp_path / "gradebook.csv", newline="") as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    assert (rows["'-1"]["1b"], rows["'-1"]["total"], rows["alice"]["total"]) == ("1.5", "3.5", "2")
