"""`grade validate`: passes a sound assignment and exits non-zero on anything wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_lstm_gates_validates_with_every_mutant_caught_or_reviewed(tmp_path, grade_cli):
    result = grade_cli("validate", "lstm_gates", "--report", str(tmp_path / "v.md"),
                       cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "# grade validate lstm_gates: PASSED" in out
    assert "[ok] mutation score 100%" in out and "21 of 21 caught" in out
    assert "4 more reviewed as equivalent" in out and "survived:" not in out
    assert (tmp_path / "v.md").read_text() == out.rstrip("\n") + "\n"


def test_a_fixture_with_the_wrong_marks_fails_validation_with_a_non_zero_exit(
        tmp_path, grade_cli):
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    shutil.copyfile(ROOT / "tests/fixtures/lstm_gates/targets_missed.ipynb",
                    fixtures / "targets_missed.ipynb")
    pinned = {"seed": 11, "fixtures": {"targets_missed": {"2a": 4.5, "2b": 1, "2c": 0}}}
    (fixtures / "expected.yaml").write_text(yaml.safe_dump(pinned))
    result = grade_cli("validate", "lstm_gates", "--fixtures", str(fixtures), "--mutants", "0",
                       cwd=tmp_path)
    assert result.returncode == 5
    assert "FAILED" in result.stdout
    assert "targets_missed: 2b: 0.0 (expected 1)" in result.stdout


def test_too_few_mutants_caught_fails_validation(tmp_path, grade_cli):
    # Without the reviewed equivalent mutants lstm_gates catches 21 of 25 (84%).
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / "expected.yaml").write_text(yaml.safe_dump({"seed": 11, "fixtures": {}}))
    result = grade_cli("validate", "lstm_gates", "--fixtures", str(fixtures), cwd=tmp_path)
    assert result.returncode == 5
    assert "[FAIL] mutation score 84% (at least 90% required)" in result.stdout
    assert result.stdout.count("survived:") == 4
