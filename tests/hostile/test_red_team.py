"""Hostile submissions against isolation and the trust boundary: what they try gets them
nothing; what they answer rightly still counts."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import FULL, ROOT, grade_hostile

from graders.execute import isolation_problem

pytestmark = pytest.mark.integration
needs_isolation = pytest.mark.skipif(bool(isolation_problem()),
                                     reason=f"no isolation here: {isolation_problem()}")
WRONG_2A = ('{k: {"f": 0.5, "i": 0.5, "o": 0.5, "C": 0.0, "h": 0.0} '
            'for k in ("i", "ii", "iii")}')


@needs_isolation
def test_reading_the_reference_and_the_hidden_spec_by_path_finds_nothing(tmp_path,
                                                                          tight_assignments):
    secrets_ = [ROOT / "reference_solutions/lstm_gates/reference.py",
                tight_assignments / "lstm_gates/spec.yaml"]
    code = "\n".join(f"open({str(p)!r}).read()" for p in secrets_)
    graded = grade_hostile(code, tmp_path, tight_assignments)
    assert graded.marks == {**FULL, "2a": 0.0}
    assert "No such file or directory" in graded.text


@needs_isolation
def test_the_gradebook_beside_the_submission_is_out_of_reach(tmp_path, tight_assignments):
    (tmp_path / "gradebook.sqlite").write_text("marks")
    code = f"print(open({str(tmp_path / 'gradebook.sqlite')!r}).read())"
    graded = grade_hostile(code, tmp_path, tight_assignments)
    assert graded.marks == {**FULL, "2a": 0.0}
    assert "No such file or directory" in graded.text


@needs_isolation
def test_nothing_is_written_outside_the_run_folder(tmp_path, tight_assignments):
    targets = [Path("/tmp") / f"written-{secrets.token_hex(4)}", ROOT / "written.txt",
               tmp_path / "written.txt", Path.home() / f"written-{secrets.token_hex(4)}"]
    code = "\n".join(f"try:\n    open({str(p)!r}, 'w').write('x')\nexcept OSError:\n    pass"
                     for p in targets)
    graded = grade_hostile(code, tmp_path, tight_assignments)
    assert graded.marks == FULL  # what it answered is right, and counts
    assert not any(p.exists() for p in targets)


@needs_isolation
def test_no_network_not_even_the_graders_machine(tmp_path, tight_assignments):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    port = server.getsockname()[1]
    code = (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)"
            "\nexcept OSError as e:\n    print(e)")
    graded = grade_hostile(code, tmp_path, tight_assignments)
    assert graded.marks == FULL
    with pytest.raises(BlockingIOError):
        server.accept()  # nobody connected
    server.close()


@needs_isolation
def test_killing_its_parent_or_everything_reaches_nothing_outside(tmp_path, tight_assignments):
    code = ("import os, signal\nfor pid in (os.getppid(), -1):\n    try:\n"
            "        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass")
    graded = grade_hostile(code, tmp_path, tight_assignments)
    assert graded.marks == FULL


def test_patching_numpy_builtins_and_the_traceback_printer_changes_no_score(tmp_path,
                                                                            tight_assignments):
    code = ("import builtins, traceback, numpy as np\n"
            "from IPython.core.interactiveshell import InteractiveShell\n"
            "np.allclose = np.isclose = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None\n"
            "builtins.abs = lambda x: 0\nbuiltins.round = lambda *a: 0\n"
            "traceback.print_exc = lambda *a, **k: None\n"
            "InteractiveShell.showtraceback = lambda *a, **k: None\n"
            f"return {WRONG_2A}")
    graded = grade_hostile(code, tmp_path, tight_assignments)
    assert graded.marks == {**FULL, "2a": 0.0}


def test_replacing_the_function_that_answers_the_grader_wins_nothing(tmp_path,
                                                                     tight_assignments):
    # Before every later execution, swap each private callable (the grader's wire among them)
    # for one that claims success.
    code = '''\
import json
from IPython.display import publish_display_data
def fake(*args, **kwargs):
    publish_display_data({"application/vnd.nngrader.reply": json.dumps(
        {"ok": True, "results": [{"f": 1.0}] * 5})})
def swap(*args):
    ns = get_ipython().user_ns
    for name, value in list(ns.items()):
        if name.startswith("_") and callable(value) and name != "_":
            ns[name] = fake
get_ipython().events.register("pre_run_cell", swap)
return ''' + WRONG_2A
    graded = grade_hostile(code, tmp_path, tight_assignments)
    # Nothing it sends in place of answers scores: 2a, whose numbers the forged replies would
    # carry, gets nothing; 2b and 2c are judged in the grader (reference.py) from the inputs
    # written in the notebook's text, which no reply of the kernel can change.
    assert graded.marks == {**FULL, "2a": 0.0}


def test_values_that_pretend_to_be_numbers_score_nothing(tmp_path, tight_assignments):
    code = '''\
import numpy as np
class Always(np.ndarray):
    def __eq__(self, other):
        return True
class Pretender:
    def __array__(self, dtype=None, copy=None):
        return np.array(0.9820)
    def __float__(self):
        return 0.9820
right = {"f": 0.9820, "i": 0.01099, "o": 0.006693, "C": -0.01909, "h": -0.0001278}
return {
    "i": {k: np.asarray(v).view(Always) for k, v in right.items()},
    "ii": {k: Pretender() for k in right},
    "iii": {"f": float("nan"), "i": "0.01099", "o": np.array([0.9933], dtype=complex),
            "C": np.broadcast_to(-0.01909, (10**6, 10**6)), "h": [[-0.01896]] * 3},
}'''
    graded = grade_hostile(code, tmp_path, tight_assignments)
    assert graded.marks == {**FULL, "2a": 0.0}


def test_bptt_by_finite_differences_scores_but_is_flagged_for_the_marker(tmp_path):
    notebook = ROOT / "tests/fixtures/rnn_bptt/bptt_by_finite_differences.ipynb"
    result = subprocess.run([str(Path(sys.executable).with_name("grade")), str(notebook),
                             "--assignment", "rnn_bptt", "--only", "3a", "--seed", "11",
                             "--full-json", "r.json", "--quiet"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    checks = report["parts"][0]["checks"]
    assert report["parts"][0]["awarded"] == 8  # right numbers
    flagged = [c["check_id"] for c in checks if c["details"]["mistake"] == "finite_differences"]
    assert flagged == [c["check_id"] for c in checks]  # every gradient, flagged
    assert all("for the marker" in c["message"] for c in checks)
    assert all("for the marker" not in c["message"].splitlines()[0] for c in checks)


def test_the_reference_bptt_is_not_flagged(tmp_path):
    notebook = ROOT / "reference_solutions/rnn_bptt/master.ipynb"
    result = subprocess.run([str(Path(sys.executable).with_name("grade")), str(notebook),
                             "--assignment", "rnn_bptt", "--only", "3a", "--seed", "11",
                             "--full-json", "r.json", "--quiet"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    checks = json.loads((tmp_path / "r.json").read_text())["parts"][0]["checks"]
    assert not any(c["details"]["mistake"] for c in checks)
