"""`grade new`'s scaffold without a kernel: it loads with only generic kinds, its reference
defines what the spec names, and its starter holds no solution."""

from __future__ import annotations

import nbformat
import pytest

from graders.checks import registry
from graders.errors import UsageError
from graders.scaffold import scaffold_assignment
from graders.spec import load_assignment


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGRADER_ASSIGNMENTS", str(tmp_path / "assignments"))
    monkeypatch.setenv("NNGRADER_REFERENCES", str(tmp_path / "reference_solutions"))
    return tmp_path


def test_scaffold_loads_with_generic_kinds_only_and_a_starter_without_solutions(folders):
    made = scaffold_assignment("demo_new", title="A demo")
    spec = load_assignment("demo_new")
    assert spec.title == "A demo"
    assert all(registry.is_generic(c.kind) for p in spec.parts for c in p.checks)
    assert not (made.spec.parent / "checks.py").exists()
    starter = made.starter.read_text()
    assert "NotImplementedError" in starter
    assert "np.sqrt(6.0" not in starter and "0.25" not in starter
    master = nbformat.read(made.master, as_version=4)
    assert master.metadata["nngrader"]["assignment"] == "demo_new"


@pytest.mark.parametrize("ident, problem", [
    ("Demo", "cannot be an assignment id"),
    ("x", "cannot be an assignment id"),
    ("demo-new", "cannot be an assignment id"),
])
def test_scaffold_refuses_an_id_that_is_not_a_lower_case_identifier(folders, ident, problem):
    with pytest.raises(UsageError, match=problem):
        scaffold_assignment(ident)


def test_scaffold_never_overwrites_an_assignment(folders):
    scaffold_assignment("demo_new")
    spec = folders / "assignments" / "demo_new" / "spec.yaml"
    spec.write_text(spec.read_text() + "# edited\n")
    with pytest.raises(UsageError, match="already exists"):
        scaffold_assignment("demo_new")
    assert spec.read_text().endswith("# edited\n")
