"""Handouts: built from the master with nothing secret inside, and checked by students with
nothing but the handout and the package."""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from graders import audit, locked
from graders.build import master_notebooks
from graders.spec import known_assignments, load_assignment, load_spec

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# Every assignment with a master notebook (or a master folder of notebooks): those defining
# their questions and the courses borrowing them alike.
BUILDABLE = [a for a in known_assignments() if master_notebooks(a)]


def _unzip(zip_path: Path, target: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(target)
    return {str(p.relative_to(target)): p.read_bytes() for p in target.rglob("*") if p.is_file()}


@pytest.mark.parametrize("assignment", BUILDABLE)
def test_built_handout_holds_no_reference_code_and_no_hidden_inputs_or_values(
        assignment, tmp_path, grade_cli):
    result = grade_cli("build", assignment, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    files = _unzip(tmp_path / "out" / f"{assignment}.zip", tmp_path / "unzipped")
    spec = load_assignment(assignment)
    masters = master_notebooks(assignment)
    names = ([m.name for m in masters] if masters[0].parent.name == "master"
             else [f"{assignment}.ipynb"])

    assert {f"{assignment}/{name}" for name in names} <= set(files)
    assert f"{assignment}/public_checks/{assignment}/recorded.npz" in files
    assert not [n for n in files if "reference" in n or "master" in n]
    texts = {n: b.decode("utf-8", "replace") for n, b in files.items()
             if n.endswith((".ipynb", ".py", ".yaml", ".md", ".txt"))}
    held = {n: audit.text_lines(n, t) for n, t in texts.items()}
    for line in audit.reference_lines(spec):
        assert not [n for n, lines in held.items() if line in lines], line
    # The assignment's own check code (and a borrowed question's home's) ships when a public
    # check needs it; a default in the grader's code is not a spec's secret (every student has
    # the grader's code).
    check_code = {n for n in texts if re.fullmatch(r"checks(_\w+)?\.py", Path(n).name)}
    assert check_code <= {f"{assignment}/public_checks/{owner}/{p.name}"
                          for owner in (assignment, *(h.id for h in spec.homes))
                          for p in (ROOT / "assignments" / owner).glob("checks*.py")}
    for value in audit.hidden_params(spec):
        number = re.compile(rf"(?<![\d.]){re.escape(value)}(?!\d)")
        assert not [n for n, t in texts.items() if number.search(t) and n not in check_code], \
            value
    # Hidden inputs and expected values, as a grading run with another seed makes them: the
    # audit searches every array of every .npz and the bytes of every file the build made
    # (test_the_audit_finds_secrets_planted_in_a_handout shows it finds them when present).
    hidden = audit.hidden_values(spec, seed=1234)
    assert audit.audit_handout(spec, tmp_path / "out" / f"{assignment}.zip", hidden) == []

    public = load_spec(tmp_path / "unzipped" / assignment / "public_checks" / assignment /
                       "spec.yaml")
    assert all(c.visibility == "public" for p in public.parts for c in p.checks)
    assert {p.id: p.marks for p in public.parts} == {p.id: p.marks for p in spec.parts}
    for name in names:
        notebook = nbformat.reads(texts[f"{assignment}/{name}"], as_version=4)
        meta = notebook.metadata["nngrader"]
        assert meta["assignment"] == assignment and meta["public_seed"] == spec.public_seed
        by_id = {c.id: c for c in notebook.cells}
        for cell_id, digest in meta["locked"].items():
            assert locked.digest(by_id[cell_id].source) == digest
            assert by_id[cell_id].metadata["editable"] is False


def test_a_course_without_a_master_notebook_is_told_exactly_what_to_write(tmp_path, grade_cli):
    # gist_ca2's students hand in modules: its master folder holds no notebook.
    result = grade_cli("build", "gist_ca2", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert "reference_solutions/gist_ca2/master.ipynb" in result.stderr
    assert "master/ holds python/, no notebook" in result.stderr


def test_the_audit_finds_secrets_planted_in_a_handout(tmp_path, grade_cli):
    assert grade_cli("build", "three_layer", "--out", str(tmp_path), cwd=tmp_path).returncode == 0
    spec = load_assignment("three_layer")
    zip_path = tmp_path / "three_layer.zip"
    assert audit.audit_handout(spec, zip_path) == []
    secret = np.random.default_rng(0).standard_normal((3, 4))
    leaked_line = sorted(audit.reference_lines(spec))[0]
    buffer = io.BytesIO()
    np.savez(buffer, leaked=secret)
    with zipfile.ZipFile(zip_path, "a") as archive:
        archive.writestr("three_layer/notes.py", f"x = 1\n{leaked_line}\n")
        archive.writestr("three_layer/extra.npz", buffer.getvalue())
    problems = audit.audit_handout(spec, zip_path, [secret])
    assert any("notes.py holds reference or solution code" in p for p in problems)
    assert any("extra.npz holds a hidden check's input" in p for p in problems)


@pytest.fixture(scope="module")
def rnn_handout(tmp_path_factory) -> Path:
    """The rnn_bptt handout, unzipped where no assignments/ or reference_solutions/ is near."""
    out = tmp_path_factory.mktemp("build")
    from tests.integration.conftest import run_grade

    assert run_grade("build", "rnn_bptt", "--out", str(out), cwd=out).returncode == 0
    student = tmp_path_factory.mktemp("student")
    _unzip(out / "rnn_bptt.zip", student)
    folder = student / "rnn_bptt"
    shutil.copyfile(ROOT / "reference_solutions/rnn_bptt/master.ipynb", folder / "solved.ipynb")
    return folder


def _as_student(*args: str, cwd: Path):
    import subprocess

    env = {**os.environ, "NNGRADER_ASSIGNMENTS": str(cwd / "no-assignments"),
           "NNGRADER_REFERENCES": str(cwd / "no-references")}
    grade = str(Path(sys.executable).with_name("grade"))
    return subprocess.run([grade, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_student_with_only_the_handout_gets_the_public_marks_and_the_graders_messages(
        rnn_handout, grade_full):
    result = _as_student("check", "solved.ipynb", cwd=rnn_handout)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Public checks passed: **3 of 3, 6 / 6 marks**" in out
    assert "3a. BPTT: hidden checks worth 4 marks" in out and "3c. Train" in out
    assert "does not mean full marks" in out
    graded = grade_full(ROOT / "reference_solutions/rnn_bptt/master.ipynb", "--only", "3a,3b")
    public = [c for p in graded["parts"] for c in p["checks"] if c["visibility"] == "public"]
    assert len(public) == 3
    for check in public:  # the same inputs (public seed), so the same words
        for line in check["message"].splitlines():
            assert line in out


def test_student_checking_the_starter_or_one_part_sees_what_to_fix(rnn_handout):
    result = _as_student("check", "rnn_bptt.ipynb", "3a", cwd=rnn_handout)
    assert result.returncode == 0, result.stderr
    assert "Public checks passed: **0 of 2, 0 / 4 marks**" in result.stdout
    assert "NotImplementedError" in result.stdout and "3b." not in result.stdout


def test_the_handouts_last_cell_runs_the_public_checks_from_inside_the_notebook(rnn_handout):
    handout = nbformat.read(rnn_handout / "rnn_bptt.ipynb", as_version=4)
    only_last = nbformat.v4.new_notebook(cells=[handout.cells[-1]])
    env = {"NNGRADER_ASSIGNMENTS": "/nonexistent", "NNGRADER_REFERENCES": "/nonexistent"}
    os.environ.update(env)
    try:
        NotebookClient(only_last, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(rnn_handout)}}).execute()
    finally:
        for key in env:
            os.environ.pop(key)
    text = "".join(o.get("text", "") for o in only_last.cells[0].outputs)
    assert "Public checks passed: **0 of 3, 0 / 6 marks**" in text


def test_a_student_learns_which_lstm_answers_the_grader_cannot_read_before_submitting(
        tmp_path, grade_cli):
    # lstm_gates's values are its answers, so its public checks carry no marks and say only
    # whether each answer is in a form the grader reads.
    assert grade_cli("build", "lstm_gates", "--out", str(tmp_path / "out"),
                     cwd=tmp_path).returncode == 0
    _unzip(tmp_path / "out/lstm_gates.zip", tmp_path / "student")
    folder = tmp_path / "student/lstm_gates"
    notebook = nbformat.read(folder / "lstm_gates.ipynb", as_version=4)
    stubs = [c for c in notebook.cells
             if c.cell_type == "code" and "NotImplementedError" in c.source]
    stubs[0].source = ("answer_2a = {'i': {'f': 0.98, 'i': 0.01, 'o': 0.0067, 'C': -0.02, "
                       "'h': -0.0001}, 'ii': [0.02, 0.99, 0.0067, 0.05, 0.0003]}")
    stubs[1].source = "answer_2b = [1, 1, 0]"
    stubs[2].source = "answer_2c = 'a half'"
    nbformat.write(notebook, folder / "lstm_gates.ipynb")
    result = _as_student("check", "lstm_gates.ipynb", cwd=folder)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Public checks passed: **1 of 3, 0 / 0 marks**" in out
    assert "No number found for f_t, i_t, o_t, C_t, h_t for input iii (x_t = [1, 0, 1])" in out
    assert "for input ii (" not in out
    assert "x_t = [1, 1, 0] can be read (variable answer_2b)" in out
    assert "No x_t of 3 numbers found. Searched the variable answer_2c (holds" in out
    assert "2a. Gates and new states for three inputs: hidden checks worth 4.5 marks" in out
    assert "The public checks carry no marks" in (folder / "README.md").read_text() + \
        notebook.cells[0].source
