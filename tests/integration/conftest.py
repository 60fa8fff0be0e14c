"""Running the real `grade` command (the console script next to this interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

GRADE = str(Path(sys.executable).with_name("grade"))


def run_grade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GRADE, *args], cwd=cwd, capture_output=True, text=True, timeout=900)


@pytest.fixture
def grade_full(tmp_path: Path) -> Callable[..., dict]:
    """grade_full(submission, *options) -> the complete JSON report; fails on a non-zero exit."""

    def grade(submission: Path, *args: str) -> dict:
        out = tmp_path / "full.json"
        result = run_grade(str(submission), *args, "--full-json", str(out), "--quiet",
                           cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return json.loads(out.read_text())

    return grade


@pytest.fixture
def grade_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """grade_cli(*args, cwd=folder) runs `grade` and returns the completed process."""
    return run_grade


def auto_marks(report: dict) -> dict[str, float]:
    """Marks per automatically graded part of a full JSON report."""
    return {p["part_id"]: p["awarded"] for p in report["parts"] if not p["by_hand"]}


@pytest.fixture
def assert_graded_as() -> Callable[..., None]:
    """assert_graded_as(report, marks, mistakes): exactly these marks per automatically graded
    part, and each (part, check) in `mistakes` names that mistake."""

    def check(report: dict, marks: dict[str, float],
              mistakes: dict[tuple[str, str], str]) -> None:
        assert auto_marks(report) == marks
        found = {(p["part_id"], c["check_id"]): c["details"].get("mistake", "")
                 for p in report["parts"] for c in p["checks"]}
        for where, mistake in mistakes.items():
            assert found[where] == mistake, where

    return check


@pytest.fixture
def png_figure() -> str:
    """A small real PNG (base64), as a notebook stores a figure in its outputs."""
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
