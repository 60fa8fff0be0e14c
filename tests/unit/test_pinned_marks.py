"""The marks `grade validate` expects of each fixture (tests/fixtures/<id>/expected.yaml) are the
marks the integration tests pin, so the two can never tell different stories."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.parent.name for p in (ROOT / "tests/fixtures").glob("*/expected.yaml"))


def _integration_marks(assignment: str) -> dict[str, dict[str, float]]:
    path = ROOT / f"tests/integration/test_grade_{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"pinned_{assignment}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: {k: float(v) for k, v in (value[0] if isinstance(value, tuple)
                                            else value).items()}
            for name, value in module.EXPECTED.items() if "/" not in name}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_expected_yaml_pins_the_same_marks_as_the_integration_tests(assignment):
    pinned = yaml.safe_load((ROOT / f"tests/fixtures/{assignment}/expected.yaml").read_text())
    assert pinned["fixtures"] == _integration_marks(assignment)
    for name in pinned["fixtures"]:  # a notebook, or a student's folder of files
        folder = ROOT / f"tests/fixtures/{assignment}"
        assert (folder / f"{name}.ipynb").is_file() or (folder / name).is_dir()
