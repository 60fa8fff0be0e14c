"""Marks by hand in the gradebook: versions, the log, rubric items, an old gradebook migrated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import graders
from graders.errors import UsageError
from graders.gradebook import Gradebook, MarkConflictError, grader_code_files
from tests.marking.classbook import write_class


@pytest.fixture
def book(tmp_path):
    gradebook = Gradebook(write_class(tmp_path))
    yield gradebook
    gradebook.close()


def test_a_save_from_a_stale_page_is_refused_and_names_who_changed_it(book):
    first = book.set_manual_mark("bob", "1b", 2, "ok", marker="ann", expected_version=0)
    assert (first["marks"], first["version"], first["marker"]) == (2, 1, "ann")
    with pytest.raises(MarkConflictError, match="ann set 2 for bob part 1b") as caught:
        book.set_manual_mark("bob", "1b", 3, "", marker="ben", expected_version=0)
    assert caught.value.current["marks"] == 2
    assert book.manual_mark("bob", "1b")["marks"] == 2
    second = book.set_manual_mark("bob", "1b", 3, None, marker="ben", expected_version=1)
    assert (second["marks"], second["note"], second["version"]) == (3, "ok", 2)


def test_every_change_is_logged_with_who_before_and_after(book):
    book.set_manual_mark("bob", "1b", 2, "first", marker="ann")
    book.set_manual_mark("bob", "1b", 1.5, "second", marker="ben")
    log = book.mark_log()
    assert [(e["marker"], e["before_marks"], e["after_marks"], e["before_note"], e["after_note"])
            for e in log] == [("ben", 2, 1.5, "first", "second"), ("ann", None, 2, None, "first")]


def test_a_deduction_starts_from_full_marks_and_changing_it_updates_everyone_who_has_it(book):
    item = book.add_rubric_item("1b", "no chain rule", -1, "apply the chain rule")
    book.apply_rubric_item("alice", item, applied=True, marker="ann")
    book.set_manual_mark("bob", "1b", 2.5, "", marker="ann")
    book.apply_rubric_item("bob", item, applied=True, marker="ann")
    assert (book.manual_mark("alice", "1b")["marks"], book.manual_mark("bob", "1b")["marks"]) \
        == (2, 1.5)
    assert book.update_rubric_item(item, name="no chain rule", delta=-2, comment="",
                                   marker="ann") == 2
    assert (book.manual_mark("alice", "1b")["marks"], book.manual_mark("bob", "1b")["marks"]) \
        == (1, 0.5)
    book.apply_rubric_item("bob", item, applied=False, marker="ann")
    assert book.manual_mark("bob", "1b")["marks"] == 2.5
    assert book.rubric_items("1b")[0]["uses"] == 1


def test_rubric_marks_stay_within_the_part(book):
    credit = book.add_rubric_item("1b", "great", 2)
    book.set_manual_mark("carol", "1b", 2.5)
    book.apply_rubric_item("carol", credit, applied=True)
    assert book.manual_mark("carol", "1b")["marks"] == 3
    with pytest.raises(UsageError, match="moves at most 3 marks either way; got -4"):
        book.add_rubric_item("1b", "huge", -4)
    with pytest.raises(UsageError, match="got nan"):
        book.add_rubric_item("1b", "broken", float("nan"))
    with pytest.raises(UsageError, match="got 5"):
        book.update_rubric_item(credit, name="great", delta=5, comment="")
    assert book.rubric_item(credit)["delta"] == 2
    with pytest.raises(UsageError, match="no part graded by hand named '1a'"):
        book.add_rubric_item("1a", "auto", -1)


def test_progress_counts_what_is_left_per_part_and_per_marker(book):
    book.set_manual_mark("alice", "1b", 3, marker="ann")
    book.set_manual_mark("bob", "1b", 1, marker="ben")
    book.set_manual_mark("bob", "2a", 4)
    progress = book.marking_progress()
    assert [(p["part_id"], p["students"], p["marked"], p["left"]) for p in progress["parts"]] \
        == [("1b", 4, 2, 2), ("2a", 4, 1, 3)]
    assert progress["markers"] == {"(command line)": {"2a": 1}, "ann": {"1b": 1},
                                   "ben": {"1b": 1}}


def test_the_marking_page_is_not_part_of_the_code_that_regrades_a_class():
    package = Path(graders.__file__).parent
    files = {p.relative_to(package).as_posix() for p in grader_code_files()}
    assert "gradebook.py" in files and "checks/registry.py" in files
    assert (package / "marking/app.py").is_file()
    assert not [f for f in files if f.startswith("marking/")]


def test_a_gradebook_from_before_the_marking_page_opens_with_its_marks(tmp_path):
    write_class(tmp_path)
    with sqlite3.connect(tmp_path / "gradebook.sqlite") as db:
        db.execute("DROP TABLE manual_marks")
        db.execute("CREATE TABLE manual_marks (student TEXT NOT NULL, part_id TEXT NOT NULL, "
                   "marks REAL NOT NULL, note TEXT NOT NULL, entered_at TEXT NOT NULL, "
                   "PRIMARY KEY (student, part_id))")
        db.execute("INSERT INTO manual_marks VALUES ('bob', '1b', 2, 'old', 'then')")
    book = Gradebook(tmp_path)
    try:
        assert book.manual_mark("bob", "1b") == {
            "marks": 2, "base": 2, "note": "old", "version": 1, "marker": "", "source": "cli",
            "entered_at": "then", "items": []}
        book.set_manual_mark("bob", "1b", 1, marker="ann", expected_version=1)
        assert {r["student"]: r["by_hand"] for r in book.rows()}["bob"] == 1
    finally:
        book.close()
