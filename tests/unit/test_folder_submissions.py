"""A submission of several Python files (a `python/` folder, or a zip holding one) is read as one
submission whose cells know their file; a zip is read safely, and parts name the file they read."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from graders import folders, prune
from graders.errors import SpecError, SubmissionError
from graders.notebook import read_submission
from graders.spec import assignments_root, load_assignment

NN = "from util import *\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"
Q1 = ("from nn import *\n\nx = np.ones((4, 2))\nfor itr in range(100000):\n"
      "    train_step()\n\ndef helper():\n    return 1\n")


def _python_folder(root: Path) -> Path:
    folder = root / "alice" / "python"
    folder.mkdir(parents=True)
    (folder / "nn.py").write_text(NN)
    (folder / "q1.py").write_text(Q1)
    (folder / "util.py").write_text("import numpy as np\n")
    (root / "alice" / "notes.py").write_text("print('not graded')\n")
    return root / "alice"


def _zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_folder_reads_the_python_folder_with_each_cell_tagged_by_its_file(tmp_path):
    submission = read_submission(_python_folder(tmp_path))
    assert submission.format == "folder"
    assert submission.file_names() == ("nn.py", "q1.py", "util.py")
    assert [c.file for c in submission.cells] == ["nn.py", "q1.py", "util.py"]
    assert [c.number for c in submission.cells] == [1, 2, 3]
    assert submission.only_file("q1.py").cells[0].source == Q1
    assert submission.pick_file("run_q2.py|q1.py") == "q1.py"
    assert submission.pick_file("run_q5.py|q3.py") is None


def test_zip_holding_a_python_folder_reads_like_the_folder(tmp_path):
    folder = _python_folder(tmp_path / "unzipped")
    archive = _zip(tmp_path / "alice.zip", {
        "hw/python/nn.py": NN, "hw/python/q1.py": Q1, "hw/python/util.py": "import numpy as np\n",
        "hw/writeup.py": "x = 1\n", "__MACOSX/hw/python/._nn.py": b"\x00\x05",
        "hw/data/": ""})
    from_zip, from_folder = read_submission(archive), read_submission(folder)
    assert from_zip.files == from_folder.files
    assert [c.source for c in from_zip.cells] == [c.source for c in from_folder.cells]


@pytest.mark.parametrize("unsafe", ["../evil.py", "/etc/evil.py", "python/../../evil.py",
                                    "C:/evil.py"])
def test_zip_with_a_path_leaving_the_folder_is_refused_by_name(tmp_path, unsafe):
    archive = _zip(tmp_path / "bad.zip", {"python/nn.py": NN, unsafe: "x = 1\n"})
    with pytest.raises(SubmissionError, match="unsafe path"):
        read_submission(archive)


def test_zip_with_a_module_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(folders, "MAX_FILE_BYTES", 1000)
    archive = _zip(tmp_path / "big.zip", {"python/nn.py": NN, "python/q1.py": "#" * 5000})
    with pytest.raises(SubmissionError, match="q1.py is larger than"):
        read_submission(archive)


def test_zip_with_too_many_modules_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(folders, "MAX_FILES", 3)
    archive = _zip(tmp_path / "many.zip", {f"python/m{i}.py": "x = 1\n" for i in range(5)})
    with pytest.raises(SubmissionError, match="more than 3 modules"):
        read_submission(archive)


def test_not_a_zip_and_a_folder_without_modules_say_why(tmp_path):
    (tmp_path / "fake.zip").write_text("not a zip")
    with pytest.raises(SubmissionError, match="not a readable zip"):
        read_submission(tmp_path / "fake.zip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionError, match="no Python files"):
        read_submission(tmp_path / "empty")


def test_a_link_to_a_file_outside_the_folder_is_not_read(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("TOKEN = 'x'\n")
    folder = _python_folder(tmp_path / "class")
    (folder / "python" / "leak.py").symlink_to(secret)
    assert "leak.py" not in read_submission(folder).file_names()


@pytest.mark.parametrize(("paths", "chosen"), [
    (["a/python/nn.py", "a/other/nn.py", "a/x.py"], "a/python"),
    (["hw5/nn.py", "hw5/q1.py", "misc/a.py", "misc/b.py", "misc/c.py"], "misc"),
    (["b/nn.py", "b/q1.py", "a/x/nn.py", "a/x/q1.py"], "b"),
    (["x.py", "src/a.py", "src/b.py"], "src"),
    (["nn.py", "q1.py"], "."),
])
def test_the_python_folder_wins_then_the_fullest_then_the_shallowest(paths, chosen):
    assert folders.choose_folder(paths) == chosen


def test_a_scripts_long_loop_is_cut_by_the_same_pruning_as_a_notebook(tmp_path):
    script = read_submission(_python_folder(tmp_path)).only_file("q1.py")
    kept = prune.prune_cells(script.cells, ["helper"], prune.DEFAULT_SKIP_CALLS)
    source = "".join(p.source for p in kept)
    assert "def helper" in source and "from nn import" in source
    assert "range(100000)" not in source


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "assignments"
    shutil.copytree(assignments_root() / "mlp_numpy", folder / "mlp_numpy")
    (folder / "course").mkdir()
    monkeypatch.setenv("NNGRADER_ASSIGNMENTS", str(folder))
    return folder


QUESTION = """id: course
title: A course of folders
questions:
  - id: "1"
    title: Network
    from: mlp_numpy
    parts: {1.2.4: 1.2.4, 1.5.1: 1.5.1}
    file: nn.py
    files: {1.5.1: "q1.py|run_q2.py"}
"""


def test_a_borrowed_question_names_the_file_each_part_reads(root):
    (root / "course" / "spec.yaml").write_text(QUESTION)
    spec = load_assignment("course")
    assert {p.id: p.file for p in spec.parts} == {"1.2.4": "nn.py", "1.5.1": "q1.py|run_q2.py"}


@pytest.mark.parametrize(("replace", "key"), [
    ('file: nn.py', 'file: ../nn.py'),
    ('files: {1.5.1: "q1.py|run_q2.py"}', 'files: {1.5.1: "q1.py|"}'),
    ('files: {1.5.1: "q1.py|run_q2.py"}', 'files: {9.9: q1.py}'),
])
def test_a_bad_file_name_fails_at_load_with_its_key(root, replace, key):
    (root / "course" / "spec.yaml").write_text(QUESTION.replace(replace, key))
    with pytest.raises(SpecError) as caught:
        load_assignment("course")
    assert "file" in str(caught.value)


def test_a_class_folder_of_python_folders_gives_one_submission_per_student(tmp_path):
    from graders.submissions import discover

    _python_folder(tmp_path / "class")
    bob = tmp_path / "class" / "bob"
    bob.mkdir()
    (bob / "hw.ipynb").write_text("{}")
    (bob / "python").mkdir()
    (bob / "python" / "nn.py").write_text(NN)
    (tmp_path / "class" / "carol.py").write_text(NN)
    found = {e.student: e.path.relative_to(tmp_path / "class") for e in
             discover([str(tmp_path / "class")], tmp_path / "unpacked")}
    # A notebook still wins over modules; a python/ folder is graded whole.
    assert found == {"alice": Path("alice"), "bob": Path("bob/hw.ipynb"),
                     "carol": Path("carol.py")}


def test_a_folder_travels_as_the_same_zip_and_its_hash_sees_any_module_change(tmp_path):
    from graders.folders import submission_bytes
    from graders.gradebook import file_hash

    folder = _python_folder(tmp_path)
    name, packed = submission_bytes(folder)
    assert name == "alice.zip" and submission_bytes(folder)[1] == packed
    copy = tmp_path / name
    copy.write_bytes(packed)
    assert read_submission(copy).files == read_submission(folder).files
    before = file_hash(folder)
    (folder / "python" / "q1.py").write_text(Q1 + "# changed\n")
    after = file_hash(folder)
    assert after != before
    (folder / "notes.py").write_text("# not graded\n")  # outside python/: not graded
    assert file_hash(folder) == after
