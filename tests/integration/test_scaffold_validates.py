"""`grade new ID` in a temporary folder: the scaffold loads, grades (master full marks, starter
zero) and `grade validate` runs on it as it stands."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import GRADE

pytestmark = pytest.mark.integration


def _grade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NNGRADER_ASSIGNMENTS": str(cwd / "assignments"),
           "NNGRADER_REFERENCES": str(cwd / "reference_solutions")}
    return subprocess.run([GRADE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=1200)


def test_new_assignment_is_scaffolded_and_validates(tmp_path):
    made = _grade("new", "softmax_demo", "--title", "A demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    for path in ("assignments/softmax_demo/spec.yaml", "assignments/softmax_demo/starter.ipynb",
                 "reference_solutions/softmax_demo/reference.py",
                 "reference_solutions/softmax_demo/master.ipynb"):
        assert (tmp_path / path).is_file(), path
    validated = _grade("validate", "softmax_demo", "--mutants", "6", "--min-score", "0.5",
                       cwd=tmp_path)
    out = validated.stdout
    assert "[ok] the committed starter is the handout built from the master" in out, out
    assert "[ok] the reference gets full marks" in out, out
    assert "[ok] the starter gets zero without crashing the grader" in out, out
    assert "mutation score" in out, out
    assert validated.returncode == 0, out + validated.stderr


def test_new_refuses_an_existing_assignment_and_a_bad_id(tmp_path):
    assert _grade("new", "demo_two", cwd=tmp_path).returncode == 0
    again = _grade("new", "demo_two", cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    bad = _grade("new", "Bad-Id", cwd=tmp_path)
    assert bad.returncode == 2
    assert "cannot be an assignment id" in bad.stderr
