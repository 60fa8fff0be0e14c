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
