"""Broken submission files: each is graded as far as it can be, or refused with a reason;
the grader never crashes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import FULL, NONE, ROOT

pytestmark = pytest.mark.integration
MASTER = ROOT / "reference_solutions/lstm_gates/master.ipynb"
NOT_GRADED = 3


def _master() -> dict:
    return json.loads(MASTER.read_text())


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


def _nbformat3(path: Path) -> Path:
    cells = [{"cell_type": c["cell_type"],
              **({"input": "".join(c["source"]), "language": "python", "outputs": []}
                 if c["cell_type"] == "code" else {"source": c["source"]}),
              "metadata": {}} for c in _master()["cells"]]
    return _write(path, {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""},
                         "worksheets": [{"cells": cells, "metadata": {}}]})


def _without_kernelspec(path: Path) -> Path:
    data = _master()
    data["metadata"] = {k: v for k, v in data["metadata"].items() if k != "kernelspec"}
    return _write(path, data)


def _unknown_kernel(path: Path) -> Path:
    data = _master()
    data["metadata"]["kernelspec"] = {"name": "julia-1.9", "display_name": "Julia",
                                      "language": "julia"}
    return _write(path, data)


def _duplicate_ids(path: Path) -> Path:
    data = _master()
    for cell in data["cells"]:
        cell["id"] = "same"
    return _write(path, data)


def _python2_cell(path: Path) -> Path:
    data = _master()
    data["cells"].insert(1, {"cell_type": "code", "id": "py2", "metadata": {},
                             "execution_count": None, "outputs": [],
                             "source": ["print 'hello from 2010'\n", "x = 10L"]})
    return _write(path, data)


def _hundred_megabytes(path: Path) -> Path:
    data = _master()
    code = next(c for c in data["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout",
                        "text": ["x" * 1000 + "\n"] * 100_000}]
    return _write(path, data)


def _no_code_cells(path: Path) -> Path:
    data = _master()
    data["cells"] = [c for c in data["cells"] if c["cell_type"] != "code"]
    return _write(path, data)


def _bytes(content: bytes):
    def make(path: Path) -> Path:
        path.write_bytes(content)
        return path
    return make


# case -> (how to make it, exit code, marks when graded or a phrase of the refusal)
CASES = {
    "invalid_json": (_bytes(b'{"cells": [ {"cell_type": "code", '), NOT_GRADED,
                     "not a valid notebook (JSON error at line 1"),
    "empty_file": (_bytes(b""), NOT_GRADED, "the file is empty"),
    "non_utf8": (_bytes(MASTER.read_bytes().replace(b"LSTM", b"LSTM \xff\xfe", 1)), NOT_GRADED,
                 "not UTF-8 text"),
    "nbformat_3": (_nbformat3, 0, FULL),
    "no_kernelspec": (_without_kernelspec, 0, FULL),
    "unknown_kernel_name": (_unknown_kernel, 0, FULL),
    "duplicate_cell_ids": (_duplicate_ids, 0, FULL),
    "python2_syntax_in_a_cell": (_python2_cell, 0, FULL),
    "hundred_megabytes": (_hundred_megabytes, 0, FULL),
    "no_code_cells": (_no_code_cells, 0, NONE),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_broken_file_is_graded_or_refused_with_its_reason(case, tmp_path):
    make, exit_code, outcome = CASES[case]
    path = make(tmp_path / f"{case}.ipynb")
    result = subprocess.run([str(Path(sys.executable).with_name("grade")), path.name,
                             "--assignment", "lstm_gates", "--full-json", "r.json", "--quiet"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == exit_code, result.stderr
    assert "Traceback" not in result.stderr
    if exit_code == NOT_GRADED:
        assert outcome in result.stderr
    else:
        report = json.loads((tmp_path / "r.json").read_text())
        assert {p["part_id"]: p["awarded"] for p in report["parts"] if not p["by_hand"]} == \
            outcome
