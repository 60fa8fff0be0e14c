"""Hostile submissions: the lstm_gates master with hostile code run where the grader must run it
(inside the function that makes answer_2a), graded by the real `grade` command under tight
limits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[2]
# The CPU limit is far below the wall-clock one, so a computing cell meets the CPU limit first
# even when a loaded machine gives the kernel a fifth of a core.
LIMITS = {"cell_seconds": 20, "run_seconds": 60, "call_seconds": 10, "output_chars": 10000,
          "memory_mb": 1500, "file_mb": 5, "cpu_seconds": 3, "processes": 64,
          "message_mb": 20}
FULL = {"2a": 4.5, "2b": 1.0, "2c": 2.0}
NONE = {"2a": 0.0, "2b": 0.0, "2c": 0.0}


@dataclass
class Graded:
    marks: dict[str, float]
    text: str  # the whole JSON report
    peak_rss_mb: float  # the largest of the grader and its kernels


def tight_copy_of_assignments(root: Path) -> Path:
    """A copy of assignments/ whose lstm_gates spec has tight limits."""
    shutil.copytree(ROOT / "assignments/lstm_gates", root / "lstm_gates")
    spec_path = root / "lstm_gates/spec.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["limits"] = LIMITS
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


def hostile_notebook(code: str, path: Path) -> Path:
    nb = nbformat.read(ROOT / "reference_solutions/lstm_gates/master.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "answer_2a = {" in c.source)
    body = "\n".join("    " + line for line in code.splitlines())
    cell.source = cell.source.replace("answer_2a = {", f"def make():\n{body}\n    return {{", 1)
    cell.source += "\nanswer_2a = make()"
    nbformat.write(nb, path)
    return path


# `grade ARGS...` in a process of its own that then reports its own peak memory (the grader's
# alone: the kernels are other processes).
_GRADE_AND_MEASURE = (
    "import resource, runpy, sys\n"
    "sys.argv = ['grade', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('graders', run_name='__main__')\n"
    "except SystemExit as end:\n"
    "    code = end.code\n"
    "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n")


def grade_file(path: Path, assignments: Path, *, timeout: float = 300,
               assignment: str = "lstm_gates", args: tuple[str, ...] = ()) -> Graded:
    env = {**os.environ, "NNGRADER_ASSIGNMENTS": str(assignments)}
    result = subprocess.run([sys.executable, "-c", _GRADE_AND_MEASURE, path.name, "--assignment",
                             assignment, "--full-json", "report.json", "--quiet", *args],
                            cwd=path.parent, capture_output=True, text=True, timeout=timeout,
                            env=env)
    assert result.returncode == 0, result.stderr
    peak = float(result.stderr.rsplit("PEAK", 1)[1].split()[0]) / 1024
    text = (path.parent / "report.json").read_text()
    report = json.loads(text)
    marks = {p["part_id"]: p["awarded"] for p in report["parts"] if not p["by_hand"]}
    return Graded(marks=marks, text=text, peak_rss_mb=peak)


def grade_hostile(code: str, tmp_path: Path, assignments: Path) -> Graded:
    return grade_file(hostile_notebook(code, tmp_path / "hostile.ipynb"), assignments)
