"""The pieces of `grade batch` that need no kernel: finding submissions, the gradebook,
similarity and the summary's outliers."""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest

from graders.errors import UsageError
from graders.gradebook import Gradebook
from graders.reports.summary import timing_outliers
from graders.results import CheckResult, GradeReport, PartResult
from graders.similarity import normalise, similar_pairs
from graders.submissions import discover


def _notebook(path: Path, *sources: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def test_files_and_folders_name_their_students(tmp_path):
    _notebook(tmp_path / "class" / "alice.ipynb", "x = 1")
    _notebook(tmp_path / "class" / "bob" / "hw4.ipynb", "x = 2")
    (tmp_path / "class" / "carol").mkdir()
    (tmp_path / "class" / "carol" / "nn.py").write_text("x = 3\n")
    _notebook(tmp_path / "class" / "dave" / ".ipynb_checkpoints" / "hw-checkpoint.ipynb", "")
    (tmp_path / "class" / "notes.txt").write_text("not a submission")
    found = discover([str(tmp_path / "class")], tmp_path / "unpacked")
    assert [(e.student, e.path.name) for e in found] == [
        ("alice", "alice.ipynb"), ("bob", "hw4.ipynb"), ("carol", "nn.py")]


def test_a_zip_is_unpacked_and_a_glob_and_an_id_pattern_work(tmp_path):
    source = _notebook(tmp_path / "smithj_12345_678_hw4.ipynb", "x = 1")
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as archive:
        archive.write(source, "smithj_12345_678_hw4.ipynb")
    found = discover([str(tmp_path / "class.zip")], tmp_path / "unpacked",
                     id_pattern=r"^(?P<student>[^_]+_\d+)_")
    assert [e.student for e in found] == ["smithj_12345"]
    assert found[0].path.is_relative_to(tmp_path / "unpacked")
    assert [e.student for e in discover([str(tmp_path / "*.ipynb")], tmp_path)] == [
        "smithj_12345_678_hw4"]


def test_a_zip_with_an_escaping_path_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
        archive.writestr("../outside.ipynb", "{}")
    with pytest.raises(UsageError, match="unsafe path"):
        discover([str(tmp_path / "evil.zip")], tmp_path / "unpacked")
    assert not (tmp_path / "outside.ipynb").exists()


def test_two_submissions_for_one_student_is_an_error(tmp_path):
    _notebook(tmp_path / "a" / "alice.ipynb", "x = 1")
    (tmp_path / "a" / "alice.py").write_text("x = 1\n")
    with pytest.raises(UsageError, match="two submissions for student 'alice'"):
        discover([str(tmp_path / "a")], tmp_path)


def _report(score: float, by_hand: bool = True) -> GradeReport:
    auto = PartResult("1a", "auto", 2.0, checks=(CheckResult("c", "c", 2.0, score / 2,
                                                            message="m"),))
    parts = (auto, PartResult("1b", "essay", 3.0, by_hand=True)) if by_hand else (auto,)
    return GradeReport("demo", "Demo", "x.ipynb", parts, seed=1)


def test_gradebook_regrades_only_what_changed_and_keeps_one_row_per_student(tmp_path):
    book = Gradebook(tmp_path)
    assert book.needs_grading("alice", "sha1", "spec1")
    book.record("alice", Path("alice.ipynb"), "sha1", "spec1", _report(1.0), 1.5)
    assert not book.needs_grading("alice", "sha1", "spec1")
    assert book.needs_grading("alice", "sha2", "spec1")
    assert book.needs_grading("alice", "sha1", "spec2")
    book.record("alice", Path("alice.ipynb"), "sha2", "spec1", _report(2.0), 1.0)
    rows = list(book.rows())
    assert len(rows) == 1 and rows[0]["auto"] == 2.0 and rows[0]["parts"] == {
        "1a": 2.0, "1b": None}
    assert book.gradings_per_student() == {"alice": 2}


def test_marks_by_hand_join_the_total_and_bad_ones_are_refused(tmp_path):
    book = Gradebook(tmp_path)
    book.record("alice", Path("a.ipynb"), "s", "p", _report(1.0), 1.0)
    book.set_manual_mark("alice", "1b", 2.5, "clear argument")
    assert next(book.rows())["total"] == 3.5
    with pytest.raises(UsageError, match="worth 3 marks"):
        book.set_manual_mark("alice", "1b", 4)
    with pytest.raises(UsageError, match="graded automatically"):
        book.set_manual_mark("alice", "1a", 1)
    with pytest.raises(UsageError, match="no student 'zoe'"):
        book.set_manual_mark("zoe", "1b", 1)
    bad = tmp_path / "marks.csv"
    bad.write_text("student,part,marks\nalice,1b,1\nalice,1b,lots\n")
    with pytest.raises(UsageError, match="line 3"):
        book.import_marks(bad)
    assert next(book.rows())["total"] == 3.5  # all or nothing


def test_renamed_and_reformatted_code_is_identical_and_other_code_is_not(tmp_path):
    one = "def forward(x, w):\n    # the layer\n    out = x @ w\n    return np.maximum(out, 0)\n"
    two = "def fwd(inp, weights):\n    h = inp @ weights   \n\n    return np.maximum(h, 0)\n"
    assert normalise(one) == normalise(two)
    body = "".join(f"    total = total + np.sum(x[{i}] * w[{i}])\n" for i in range(12))
    code = f"def f(x, w):\n    total = 0\n{body}    return total\n"
    other = "def g(a):\n" + "".join(f"    a = a * {i} - np.exp(a) / 2\n" for i in range(12))
    paths = {"alice": _notebook(tmp_path / "a.ipynb", code),
             "bob": _notebook(tmp_path / "b.ipynb", code.replace("total", "acc")),
             "carol": _notebook(tmp_path / "c.ipynb", other)}
    pairs = similar_pairs(paths, None)
    assert [(p.first, p.second, p.similarity) for p in pairs] == [("alice", "bob", 1.0)]
    # Code the handout gave is left out: identical starters are not a match.
    assert similar_pairs(paths, _notebook(tmp_path / "starter.ipynb", code)) == []


def test_only_much_slower_submissions_are_timing_outliers():
    seconds = {f"s{i}": 2.0 + i * 0.1 for i in range(10)} | {"slow": 60.0}
    assert timing_outliers(seconds) == [("slow", 60.0)]
    assert timing_outliers({"a": 1.0, "b": 9.0}) == []
