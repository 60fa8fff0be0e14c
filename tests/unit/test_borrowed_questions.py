"""A question defined once (in its home assignment) and used by several assignments, each with
its own numbering and marks; a mistake in the borrowing fails at load with file, key and fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graders.errors import SpecError
from graders.gradebook import spec_hash
from graders.spec import assignments_root, load_assignment

HEADER = "id: course\ntitle: A course's own numbering\n"
RNN_AS_QUESTION_1 = """
questions:
  - id: "1"
    title: RNN
    total: 14
    from: rnn_bptt
    parts: {3a: 1a, 3b: 1b, 3c: 1c, 3d: 1d}
"""


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """An assignments folder holding copies of two homes, and a course beside them."""
    folder = tmp_path / "assignments"
    for home in ("rnn_bptt", "autoencoders"):
        shutil.copytree(assignments_root() / home, folder / home)
    (folder / "course").mkdir()
    monkeypatch.setenv("NNGRADER_ASSIGNMENTS", str(folder))
    return folder


def _course(root: Path, body: str):
    (root / "course" / "spec.yaml").write_text(HEADER + body, encoding="utf-8")
    return load_assignment("course")


def _error(root: Path, body: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        _course(root, body)
    return caught.value


def test_borrowed_parts_take_the_course_numbering_and_keep_their_home_checks(root):
    spec = _course(root, RNN_AS_QUESTION_1)
    home = load_assignment("rnn_bptt")
    assert [p.id for p in spec.parts] == ["1a", "1b", "1c", "1d"]
    rnn = next(q for q in home.questions if q.id == "3")
    for part, original in zip(spec.parts, rnn.parts, strict=True):
        assert (part.home, part.home_part) == ("rnn_bptt", original.id)
        assert part.checks == original.checks and part.marks == original.marks
        assert spec.home_of(part).id == "rnn_bptt"
    assert spec.questions[0].title == "RNN"


def test_marks_given_by_the_course_scale_the_home_checks_in_proportion(root):
    spec = _course(root, RNN_AS_QUESTION_1.replace("total: 14", "total: 10")
                   + "    marks: {1a: 4}\n")
    part = spec.part("1a")
    assert part.marks == 4
    assert [c.marks for c in part.checks] == [1, 1, 1, 0.5, 0.5]


def test_a_by_hand_part_is_borrowed_with_its_answer_moved_to_the_course_numbering(root):
    spec = _course(root, """
questions:
  - id: "4"
    title: Derivations
    from: rnn_bptt
    parts: {2a: 4a}
    marks: {4a: 5}
    answers: {4a: {start: "4\\\\(a\\\\)"}}
""")
    part = spec.part("4a")
    assert part.by_hand and part.marks == 5 and part.answer.start == "4\\(a\\)"


def test_data_and_support_files_come_from_each_home_with_its_folder(root):
    spec = _course(root, RNN_AS_QUESTION_1 + """
  - id: "2"
    title: Autoencoder
    from: autoencoders
    parts: {1a: 2a}
""")
    assert {h.id for h in spec.homes} == {"rnn_bptt", "autoencoders"}
    data = {d.name: folder.name for d, folder in spec.data_sources()}
    assert data == {"origin_of_species.txt": "rnn_bptt", "mnist.pkl": "autoencoders",
                    "autoencoder.net": "autoencoders"}
    assert dict(spec.support_sources()) == {"Network.py": root / "autoencoders",
                                            "mnist_loader.py": root / "autoencoders"}
    # The notebook holds both questions' training: neither is run to find definitions.
    assert {"Train", "SGD"} <= set(spec.skip_calls)


@pytest.mark.parametrize(("body", "key", "problem", "fix"), [
    (RNN_AS_QUESTION_1.replace("from: rnn_bptt", "from: rnn_bpt"), "questions[0].from",
     "unknown assignment 'rnn_bpt'", "did you mean 'rnn_bptt'?"),
    (RNN_AS_QUESTION_1.replace("3d: 1d", "3e: 1d"), "questions[0].parts.3e",
     "rnn_bptt has no part '3e'", "use one of: 2a, 2b, 2c, 2d, 3a, 3b, 3c, 3d"),
    (RNN_AS_QUESTION_1.replace("total: 14", "total: 13"), "questions[0].total",
     "its parts add up to 14 marks, but the total is 13", "course document's total"),
    (RNN_AS_QUESTION_1 + "    marks: {3a: 8}\n", "questions[0].marks.3a",
     "is not a part of this question", "1a, 1b, 1c, 1d"),
    (RNN_AS_QUESTION_1.replace("from: rnn_bptt", "from: course"), "questions[0].from",
     "cannot be borrowed from its own assignment", "name another assignment"),
    (RNN_AS_QUESTION_1 + "total: 15\n", "total",
     "the questions add up to 14 marks, but the total is 15", "or correct the total"),
    (RNN_AS_QUESTION_1.replace("parts: {3a: 1a, 3b: 1b, 3c: 1c, 3d: 1d}", "parts: {}"),
     "questions[0].parts", "names no part", "{3a: 1a}"),
])
def test_a_borrowing_mistake_fails_at_load_with_key_and_fix(root, body, key, problem, fix):
    error = _error(root, body)
    assert error.key_path == key
    assert problem in error.problem
    assert fix in error.fix
    assert error.path == str(root / "course" / "spec.yaml")


def test_borrowing_from_an_assignment_that_borrows_names_the_real_home(root):
    _course(root, RNN_AS_QUESTION_1)
    (root / "other").mkdir()
    (root / "other" / "spec.yaml").write_text(
        "id: other\ntitle: Other\nquestions:\n  - {id: '1', title: RNN, from: course, "
        "parts: {1a: 1a}}\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_assignment("other")
    assert caught.value.key_path == "questions[0].from"
    assert "course borrows its own questions from rnn_bptt" in caught.value.problem


def test_a_broken_home_spec_is_reported_in_the_home_file(root):
    path = root / "rnn_bptt" / "spec.yaml"
    path.write_text(path.read_text().replace("kind: rnn_bptt.net_sizes", "kind: net_size"))
    error = _error(root, RNN_AS_QUESTION_1)
    assert error.path == str(path) and error.key_path.endswith("kind")


@pytest.mark.parametrize("changed", ["rnn_bptt/checks.py", "rnn_bptt/spec.yaml",
                                     "autoencoders/Network.py"])
def test_the_course_hash_changes_with_its_homes_files(root, changed):
    body = RNN_AS_QUESTION_1 + ("  - {id: '2', title: AE, from: autoencoders, "
                                "parts: {1a: 2a}}\n")
    before = spec_hash(_course(root, body))
    with (root / changed).open("a", encoding="utf-8") as handle:
        handle.write("\n# a fix\n")
    assert spec_hash(_course(root, body)) != before


def test_the_uw_a4_course_is_numbered_and_marked_as_the_course_document():
    spec = load_assignment("uw_cs489_a4")
    marks = {p.id: p.marks for p in spec.parts}
    assert marks == {"1a": 3, "1b": 2, "1c": 3, "1d": 5, "2a": 3, "2b": 2, "2c": 4, "2d": 1,
                     "3a": 8, "3b": 2, "3c": 2, "3d": 2}
    assert [p.id for p in spec.parts if p.by_hand] == ["1b", "1c", "1d", "2a", "2b", "2c",
                                                      "2d"]
    assert {p.home for p in spec.parts} == {"autoencoders", "rnn_bptt"}


def test_the_uw_a5_course_numbers_the_rnn_question_1_and_keeps_the_lstm_question_2():
    spec = load_assignment("uw_cs489_a5")
    assert [(p.id, p.home_part) for p in spec.parts[:4]] == [
        ("1a", "3a"), ("1b", "3b"), ("1c", "3c"), ("1d", "3d")]
    assert sum(p.marks for p in spec.parts[:4]) == 14
    assert sum(p.marks for p in spec.parts[4:]) == 11
    assert {p.home for p in spec.parts[4:]} == {"lstm_gates"}
