"""Hostile submissions against the kernel's limits.

Each case is the lstm_gates master with hostile code in the function that makes answer_2a (so
the grader must run it; hostile code that defines nothing the checks need is never run at all),
graded under tight limits. Every case gets its stated marks and a message naming the limit; the
grader and the other parts are unharmed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
GRADE = str(Path(sys.executable).with_name("grade"))
LIMITS = {"cell_seconds": 8, "run_seconds": 60, "call_seconds": 10, "output_chars": 10000,
          "memory_mb": 1500, "file_mb": 5, "cpu_seconds": 6}
FULL = {"2a": 4.5, "2b": 1.0, "2c": 2.0}

# case -> (code put before answer_2a, marks per part, a phrase the report must hold)
CASES = {
    "memory_bomb": ("import numpy as np\nhog = np.ones(1 << 32)",
                    {**FULL, "2a": 0.0}, "ran out of memory: the kernel may use 1500 MB"),
    "huge_file": ("open('big.bin', 'wb').write(b'0' * (20 << 20))",
                  {**FULL, "2a": 0.0}, "wrote a file larger than the 5 MB"),
    # Waiting, not computing: the wall-clock limit interrupts it and the kernel lives on.
    "endless_wait": ("import time\nwhile True:\n    time.sleep(0.1)",
                     {**FULL, "2a": 0.0}, "was stopped after its time limit (8 s)"),
    # Computing: the CPU limit (6 s) ends the kernel before the 8 s wall-clock limit.
    "endless_loop": ("while True:\n    pass", {"2a": 0.0, "2b": 0.0, "2c": 0.0},
                     "used up its CPU time limit (6 s)"),
    "cpu_hog_ignoring_interrupts": (
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        {"2a": 0.0, "2b": 0.0, "2c": 0.0}, "used up its CPU time limit (6 s)"),
    "os_exit": ("import os\nos._exit(3)", {"2a": 0.0, "2b": 0.0, "2c": 0.0},
                "exited with status 3"),
    "sys_exit": ("import sys\nsys.exit('bye')", {**FULL, "2a": 0.0}, "SystemExit"),
}


@pytest.fixture(scope="module")
def tight_assignments(tmp_path_factory) -> Path:
    """A copy of assignments/ whose lstm_gates spec has tight limits."""
    root = tmp_path_factory.mktemp("assignments")
    shutil.copytree(ROOT / "assignments/lstm_gates", root / "lstm_gates")
    spec_path = root / "lstm_gates/spec.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["limits"] = LIMITS
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_hostile_submission_gets_its_stated_outcome(case, tmp_path, tight_assignments):
    code, marks, phrase = CASES[case]
    nb = nbformat.read(ROOT / "reference_solutions/lstm_gates/master.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "answer_2a = {" in c.source)
    # Inside the function that makes answer_2a, so the grader has to run it.
    body = "\n".join("    " + line for line in code.splitlines())
    cell.source = cell.source.replace("answer_2a = {", f"def make():\n{body}\n    return {{", 1)
    cell.source += "\nanswer_2a = make()"
    nbformat.write(nb, tmp_path / f"{case}.ipynb")
    env = {**os.environ, "NNGRADER_ASSIGNMENTS": str(tight_assignments)}
    result = subprocess.run([GRADE, f"{case}.ipynb", "--assignment", "lstm_gates", "--full-json",
                             "report.json", "--quiet"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    got = {p["part_id"]: p["awarded"] for p in report["parts"] if not p["by_hand"]}
    assert got == marks
    text = json.dumps(report)
    assert phrase in text
    assert not (tmp_path / "big.bin").exists()  # the kernel ran in its own folder
