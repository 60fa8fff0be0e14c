"""A submission of several notebooks (one per problem, as Yale's A7 is handed in): a folder or
zip read as one submission whose cells know their notebook; each part finds its notebook by
name, by a pattern, or by what its cells hold; a batch grades a student's folder whole."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from graders import folders
from graders.errors import SpecError
from graders.notebook import read_submission
from graders.spec import assignments_root, load_assignment

P1 = "def train_3_layer_network(H1=100, H2=100):\n    return H1, H2\n"
P2 = ("from keras.datasets import fashion_mnist\n"
      "(x_train, _), (x_test, _) = fashion_mnist.load_data()\n")
PROBLEM_1 = "minimal_neural_network.ipynb|*minimal*.ipynb"
HOLDS_1 = r"train_[23]_layer_network"
PROBLEM_2 = "autoencoder.ipynb|*autoencoder*.ipynb"
HOLDS_2 = r"(?i)\bkeras\b"


def _notebook(path: Path, *code: str, heading: str = "# A7") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(heading),
                *(nbformat.v4.new_code_cell(c) for c in code)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _student(folder: Path, first: str = "minimal_neural_network.ipynb",
             second: str = "autoencoder.ipynb") -> Path:
    _notebook(folder / first, "import numpy as np", P1)
    _notebook(folder / second, P2, "print(x_test.shape)", heading="## 2(b)")
    (folder / "gradients.pdf").write_bytes(b"%PDF-1.4\n")
    _notebook(folder / ".ipynb_checkpoints" / "autoencoder-checkpoint.ipynb", "old = 1")
    return folder


def test_a_folder_of_notebooks_is_one_submission_with_each_cell_tagged_by_its_notebook(
        tmp_path):
    submission = read_submission(_student(tmp_path / "alice"))
    assert submission.format == "folder"
    assert submission.file_names() == ("autoencoder.ipynb", "minimal_neural_network.ipynb")
    assert [(c.file, c.kind, c.number) for c in submission.cells] == [
        ("autoencoder.ipynb", "markdown", 0), ("autoencoder.ipynb", "code", 1),
        ("autoencoder.ipynb", "code", 2), ("minimal_neural_network.ipynb", "markdown", 0),
        ("minimal_neural_network.ipynb", "code", 3), ("minimal_neural_network.ipynb", "code", 4)]
    # A part's notebook is numbered as the student sees it.
    one = submission.only_file("minimal_neural_network.ipynb")
    assert [(c.index, c.number) for c in one.cells] == [(0, 0), (1, 1), (2, 2)]
    assert one.cells[2].source == P1


@pytest.mark.parametrize(("first", "second"), [
    ("minimal_neural_network.ipynb", "autoencoder.ipynb"),
    ("jd123_Minimal_Neural_Network (1).ipynb", "jd123_AUTOENCODER.ipynb"),
    ("A7_first.ipynb", "A7_second.ipynb"),  # named freely: found by what they hold
])
def test_each_problem_finds_its_notebook_by_name_pattern_or_content(tmp_path, first, second):
    submission = read_submission(_student(tmp_path / "alice", first, second))
    assert submission.pick_file(PROBLEM_1, HOLDS_1) == first
    assert submission.pick_file(PROBLEM_2, HOLDS_2) == second


def test_a_problem_whose_notebook_is_absent_finds_none(tmp_path):
    folder = tmp_path / "bob"
    _notebook(folder / "minimal_neural_network.ipynb", P1)
    _notebook(folder / "notes.ipynb", "print('keras is not used here')", heading="# notes")
    submission = read_submission(folder)
    assert submission.pick_file(PROBLEM_2, r"from keras|fashion_mnist") is None
    assert submission.pick_file(PROBLEM_2) is None


def test_one_notebook_holding_both_problems_is_read_by_both(tmp_path):
    both = read_submission(_notebook(tmp_path / "a7.ipynb", P1, P2))
    assert both.fits(PROBLEM_1, HOLDS_1) and both.fits(PROBLEM_2, HOLDS_2)
    only_1 = read_submission(_notebook(tmp_path / "hw.ipynb", P1))
    assert only_1.fits(PROBLEM_1, HOLDS_1) and not only_1.fits(PROBLEM_2, HOLDS_2)
    named = read_submission(_notebook(tmp_path / "autoencoder.ipynb", "x = 1"))
    assert named.fits(PROBLEM_2, HOLDS_2)


def test_a_notebook_that_cannot_be_read_is_left_out_with_a_note(tmp_path):
    folder = _student(tmp_path / "carol")
    (folder / "autoencoder.ipynb").write_text("{not json")
    submission = read_submission(folder)
    assert {c.file for c in submission.cells} == {"minimal_neural_network.ipynb"}
    assert len(submission.notes) == 1 and "autoencoder.ipynb" in submission.notes[0]


def test_a_zip_of_the_folder_reads_like_the_folder_and_travels_as_the_same_bytes(tmp_path):
    folder = _student(tmp_path / "alice")
    archive = tmp_path / "alice_a7.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(folder.rglob("*")):
            handle.write(path, f"A7/{path.relative_to(folder)}")
    assert read_submission(archive).files == read_submission(folder).files
    name, packed = folders.submission_bytes(folder)
    assert folders.submission_bytes(folder)[1] == packed
    (tmp_path / name).write_bytes(packed)
    assert read_submission(tmp_path / name).files == read_submission(folder).files


@pytest.mark.parametrize(("paths", "chosen"), [
    (["a7/autoencoder.ipynb", "a7/minimal.ipynb", "helpers/a.py", "helpers/b.py",
      "helpers/c.py"], "a7"),
    (["python/nn.py", "writeup.ipynb", "other.ipynb"], "python"),
])
def test_the_folder_with_the_most_notebooks_wins_unless_there_is_a_python_folder(paths, chosen):
    assert folders.choose_folder(paths) == chosen


def test_a_class_folder_grades_a_students_folder_of_notebooks_whole_when_parts_name_them(
        tmp_path):
    from graders.submissions import discover

    classroom = tmp_path / "class"
    _student(classroom / "alice")
    _notebook(classroom / "bob" / "minimal_neural_network.ipynb", P1)
    found = {e.student: e.path.relative_to(classroom) for e in
             discover([str(classroom)], tmp_path / "unpacked", several_notebooks=True)}
    # Several notebooks: the folder; a single notebook is graded as it always was.
    assert found == {"alice": Path("alice"), "bob": Path("bob/minimal_neural_network.ipynb")}
    # An assignment of one notebook grades one (a leftover copy beside it is not run with it).
    alone = {e.student: e.path.relative_to(classroom) for e in
             discover([str(classroom)], tmp_path / "unpacked")}
    assert alone["alice"] == Path("alice/autoencoder.ipynb")


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "assignments"
    shutil.copytree(assignments_root() / "three_layer", folder / "three_layer")
    (folder / "course").mkdir()
    monkeypatch.setenv("NNGRADER_ASSIGNMENTS", str(folder))
    return folder


COURSE = """id: course
title: Two notebooks
questions:
  - id: "1"
    from: three_layer
    parts: {1b: 1b}
    file: "minimal_neural_network.ipynb|*minimal*.ipynb"
    file_holds: 'train_3_layer_network'
  - id: "2"
    title: Autoencoders
    file: "autoencoder.ipynb|*autoencoder*.ipynb"
    file_holds: '(?i)keras'
    parts:
      - {id: 2a, title: Gradients, marks: 5, by_hand: true, answer: {start: "2a"}}
      - {id: 2c, title: Code sizes, marks: 10, by_hand: true, file: "sizes.ipynb"}
"""


def test_a_question_names_the_notebook_its_parts_read_and_what_it_holds(root):
    (root / "course" / "spec.yaml").write_text(COURSE)
    spec = load_assignment("course")
    assert {p.id: (p.file, p.file_holds) for p in spec.parts} == {
        "1b": ("minimal_neural_network.ipynb|*minimal*.ipynb", "train_3_layer_network"),
        "2a": ("autoencoder.ipynb|*autoencoder*.ipynb", "(?i)keras"),
        "2c": ("sizes.ipynb", "(?i)keras")}


@pytest.mark.parametrize(("replace", "by", "key"), [
    ("file_holds: '(?i)keras'", "file_holds: '(?i)keras('", "questions[1].file_holds"),
    ('    file: "autoencoder.ipynb|*autoencoder*.ipynb"\n', "", "questions[1].file_holds"),
    ('file: "sizes.ipynb"', 'file: "../sizes.ipynb"', "questions[1].parts[1].file"),
])
def test_a_bad_file_or_file_holds_fails_at_load_with_its_key(root, replace, by, key):
    (root / "course" / "spec.yaml").write_text(COURSE.replace(replace, by))
    with pytest.raises(SpecError) as caught:
        load_assignment("course")
    assert key in str(caught.value)


def test_validate_says_why_it_cannot_mutate_a_master_folder_of_notebooks():
    from graders.errors import UsageError
    from graders.validate import validate

    with pytest.raises(UsageError) as caught:
        validate("yale_sds355_a7", max_mutants=0)
    assert "master is a folder of 2 (autoencoder.ipynb, minimal_neural_network.ipynb)" in str(
        caught.value)
    assert "test_grade_yale_sds355_a7.py" in str(caught.value)
