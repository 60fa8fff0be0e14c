"""The framework knows no assignment: what is special to one lives under assignments/<id>/."""

from pathlib import Path

import pytest

from graders.gradebook import spec_hash
from graders.spec import assignments_root, known_assignments, load_assignment

PACKAGE = Path(__file__).resolve().parents[2] / "graders"


def test_no_assignment_id_appears_anywhere_in_the_package():
    ids = known_assignments()
    assert len(ids) >= 5
    found = [(path.relative_to(PACKAGE), ident)
             for path in sorted(PACKAGE.rglob("*")) if path.is_file()
             and "__pycache__" not in path.parts
             for ident in ids if ident in path.read_text(encoding="utf-8", errors="replace")]
    assert found == []


@pytest.mark.parametrize("name", ["checks.py", "checks_kernel.py", "spec.yaml"])
def test_the_assignment_hash_changes_with_its_check_code_and_spec(tmp_path, monkeypatch, name):
    import shutil

    root = tmp_path / "assignments"
    shutil.copytree(assignments_root() / "mlp_numpy", root / "mlp_numpy")
    monkeypatch.setenv("NNGRADER_ASSIGNMENTS", str(root))
    before = spec_hash(load_assignment("mlp_numpy"))
    with (root / "mlp_numpy" / name).open("a", encoding="utf-8") as handle:
        handle.write("\n# a fix\n")
    assert spec_hash(load_assignment("mlp_numpy")) != before
