"""A class with hostile and broken submissions among honest ones: the batch finishes, every
student has a row with the marks their own submission earned, and nothing leaks between them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import FULL, ROOT, hostile_notebook

pytestmark = pytest.mark.integration

HOSTILE = {
    "fork_bomber": ("import os\nwhile True:\n    os.fork()", {**FULL, "2a": 0.0}),
    "memory_hog": ("import numpy as np\nhog = np.ones(1 << 32)", {**FULL, "2a": 0.0}),
    "parent_killer": ("import os, signal\nfor pid in (os.getppid(), -1, 0):\n    try:\n"
                      "        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass",
                      None),  # marks depend on isolation: only the grader's survival is checked
    "flooder": ("import sys\nsys.stdout.write('y' * 50_000_000)\nsys.stdout.flush()",
                {**FULL, "2a": 0.0}),
    "exiter": ("import os\nos._exit(3)", {**FULL, "2a": 0.0}),
}


def test_a_class_with_hostile_submissions_is_graded_completely(tmp_path, tight_assignments):
    folder = tmp_path / "class"
    folder.mkdir()
    for student, (code, _) in HOSTILE.items():
        hostile_notebook(code, folder / f"{student}.ipynb")
    master = (ROOT / "reference_solutions/lstm_gates/master.ipynb").read_bytes()
    for student in ("honest_1", "honest_2", "honest_3"):
        (folder / f"{student}.ipynb").write_bytes(master)
    (folder / "broken.ipynb").write_bytes(b'{"cells": [')
    env = {**os.environ, "NNGRADER_ASSIGNMENTS": str(tight_assignments)}
    result = subprocess.run([str(Path(sys.executable).with_name("grade")), "batch", "class",
                             "--assignment", "lstm_gates", "--jobs", "2", "--out", "out",
                             "--quiet"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=900, env=env)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "out/gradebook.sqlite") as db:
        graded = dict(db.execute("SELECT student, graded FROM submissions"))
        parts = {(s, p): m for s, p, m in db.execute(
            "SELECT student, part_id, awarded FROM parts WHERE by_hand = 0")}
    assert set(graded) == {*HOSTILE, "honest_1", "honest_2", "honest_3", "broken"}
    assert graded["broken"] == 0 and all(graded[s] for s in graded if s != "broken")
    for student in ("honest_1", "honest_2", "honest_3"):
        assert {p: parts[student, p] for p in FULL} == FULL
    for student, (_, marks) in HOSTILE.items():
        if marks is not None:
            assert {p: parts[student, p] for p in marks} == marks, student
    assert (tmp_path / "out/gradebook.csv").read_text().count("\n") >= len(graded) + 2
