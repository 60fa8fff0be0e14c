"""`grade batch`: a class graded in parallel into the gradebook, resumable, with exports."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
GRADE = str(Path(sys.executable).with_name("grade"))
LSTM = ROOT / "tests/fixtures/lstm_gates"


def _kinds(folder: Path) -> dict[str, bytes]:
    """One of each: correct, buggy, crashing (the starter), slow, and not a notebook."""
    master = ROOT / "reference_solutions/lstm_gates/master.ipynb"
    slow = nbformat.read(master, as_version=4)
    slow.cells.insert(1, nbformat.v4.new_code_cell("import time\ntime.sleep(1.5)"))
    return {"correct": master.read_bytes(),
            "buggy": (LSTM / "forgot_output_gate.ipynb").read_bytes(),
            "crashing": (ROOT / "assignments/lstm_gates/starter.ipynb").read_bytes(),
            "slow": nbformat.writes(slow).encode(),
            "broken": b'{"cells": [ this is not json'}


def _class(folder: Path, copies: int) -> dict[str, str]:
    """`copies` submissions cycling through the kinds; student -> kind."""
    folder.mkdir(parents=True)
    kinds = _kinds(folder)
    names = sorted(kinds)
    students = {}
    for i in range(copies):
        kind = names[i % len(names)]
        student = f"s{i:03d}_{kind}"
        (folder / f"{student}.ipynb").write_bytes(kinds[kind])
        students[student] = kind
    return students


def _batch(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GRADE, "batch", *args, "--assignment", "lstm_gates", "--quiet"],
                          cwd=cwd, capture_output=True, text=True, timeout=1800, **kwargs)


def _rows(out: Path) -> dict[str, tuple[int, float]]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return {s: (g, t) for s, g, t in db.execute(
            "SELECT student, graded, score FROM submissions")}


def _gradings(out: Path) -> dict[str, int]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return dict(db.execute("SELECT student, COUNT(*) FROM gradings GROUP BY student"))


def test_200_mixed_submissions_grade_with_two_jobs_and_a_rerun_regrades_nothing(tmp_path):
    students = _class(tmp_path / "class", 200)
    result = _batch("class", "--jobs", "2", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = _rows(tmp_path / "out")
    assert len(rows) == 200
    expected = {"correct": (1, 7.5), "buggy": (1, 6.5), "crashing": (1, 0.0),
                "slow": (1, 7.5), "broken": (0, 0.0)}
    assert {s: rows[s] for s in rows} == {s: expected[k] for s, k in students.items()}
    assert set(_gradings(tmp_path / "out").values()) == {1}

    started = time.perf_counter()
    again = _batch("class", "--jobs", "2", "--out", "out", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 graded now, 200 unchanged" in again.stdout
    assert time.perf_counter() - started < 30
    assert set(_gradings(tmp_path / "out").values()) == {1}

    with open(tmp_path / "out/gradebook.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 201 and table[0]["student"] == "(out of)"
    assert {r["student"]: r["total"] for r in table[1:]}["s000_broken"] == "0"


def _descendants(root: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit():
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1]
                                               .split()[1])
        except (OSError, ValueError, IndexError):
            pass
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    """Those still running (a zombie waiting for its reaper counts as ended)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            running.add(pid)
    return running


def test_a_batch_killed_with_sigkill_resumes_and_grades_each_submission_once(tmp_path):
    _class(tmp_path / "class", 30)
    process = subprocess.Popen([GRADE, "batch", "class", "--assignment", "lstm_gates", "--jobs",
                                "2", "--out", "out", "--quiet"], cwd=tmp_path,
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    book = tmp_path / "out/gradebook.sqlite"
    deadline = time.time() + 300
    while time.time() < deadline:
        if book.is_file() and 5 <= len(_rows(tmp_path / "out")) < 30:
            break
        time.sleep(0.2)
    started_by_batch = _descendants(process.pid)  # its workers, their kernels' launchers, ...
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = _rows(tmp_path / "out")
    assert 5 <= len(finished) < 30
    deadline = time.time() + 15
    while _alive(started_by_batch) and time.time() < deadline:
        time.sleep(0.2)
    assert _alive(started_by_batch) == set(), "the killed batch left kernels running"
    resumed = _batch("class", "--jobs", "2", "--out", "out", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{30 - len(finished)} graded now, {len(finished)} unchanged" in resumed.stdout
    assert len(_rows(tmp_path / "out")) == 30
    assert _gradings(tmp_path / "out") == {s: 1 for s in _rows(tmp_path / "out")}


def test_marks_by_hand_update_totals_and_one_student_can_be_regraded(tmp_path):
    _class(tmp_path / "class", 5)
    assert _batch("class", "--out", "out", cwd=tmp_path).returncode == 0
    mark = subprocess.run([GRADE, "mark", "out", "s000_broken", "2a", "1"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert mark.returncode == 2 and "part 2a is graded automatically" in mark.stderr
    (tmp_path / "marks.csv").write_text("student,part,marks,note\n"
                                        "s001_buggy,2a-relations,1.5,all three cases\n"
                                        "s001_buggy,2b-justification,1,\n")
    imported = subprocess.run([GRADE, "mark", "out", "--csv", "marks.csv"], cwd=tmp_path,
                              capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    with open(tmp_path / "out/gradebook.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["student"] == "s001_buggy")
    assert (row["2a-relations"], row["automatic"], row["by_hand"], row["total"]) == (
        "1.5", "6.5", "2.5", "9")
    feedback = (tmp_path / "out/feedback/s001_buggy.md").read_text()
    assert "2a-relations: 1.5 (all three cases)" in feedback
    assert _gradings(tmp_path / "out")["s001_buggy"] == 1  # nothing re-ran

    again = _batch("class", "--out", "out", "--student", "s002_correct", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert _gradings(tmp_path / "out") == {
        "s000_broken": 1, "s001_buggy": 1, "s002_correct": 2, "s003_crashing": 1, "s004_slow": 1}


def test_a_changed_check_regrades_the_submissions_it_may_change(tmp_path):
    import shutil

    assignments = tmp_path / "assignments"
    shutil.copytree(ROOT / "assignments/lstm_gates", assignments / "lstm_gates")
    env = {**os.environ, "NNGRADER_ASSIGNMENTS": str(assignments)}
    _class(tmp_path / "class", 3)  # broken, buggy, correct
    assert _batch("class", "--out", "out", cwd=tmp_path, env=env).returncode == 0
    unchanged = _batch("class", "--out", "out", cwd=tmp_path, env=env)
    assert "0 graded now, 3 unchanged" in unchanged.stdout

    # lstm_gates' checks are data: fix how a wrong h_t is explained to students.
    spec = assignments / "lstm_gates/spec.yaml"
    fixed = spec.read_text().replace('h: "h_t = o_t *', 'h: "(fixed) h_t = o_t *')
    assert fixed != spec.read_text()
    spec.write_text(fixed)
    again = _batch("class", "--out", "out", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "3 graded now, 0 unchanged" in again.stdout
    assert _gradings(tmp_path / "out") == {"s000_broken": 2, "s001_buggy": 2, "s002_correct": 2}
    with sqlite3.connect(tmp_path / "out/gradebook.sqlite") as db:
        messages = [m for (m,) in db.execute(
            "SELECT message FROM checks WHERE student = 's001_buggy'")]
    assert any("(fixed) h_t = o_t * tanh(C_t)" in m for m in messages)


def test_exports_canvas_gradescope_summary_and_similarity(tmp_path):
    _class(tmp_path / "class", 6)  # s000 and s005 are the same broken file; s002 is correct
    (tmp_path / "class/s006_copy.ipynb").write_bytes(
        (tmp_path / "class/s002_correct.ipynb").read_bytes())
    assert _batch("class", "--out", "out", cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    canvas = list(csv.reader((out / "canvas.csv").read_text().splitlines()))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1][0] == "Points Possible" and canvas[1][5] == "11"
    results = json.loads((out / "results/s001_buggy/results.json").read_text())
    assert results["score"] == 6.5 and results["tests"]
    summary = (out / "summary.html").read_text()
    assert summary.count("data:image/png;base64,") == 2
    assert "s001_buggy" in summary and "Could not be graded" in summary
    assert "s000_broken" in summary
    similar = list(csv.DictReader((out / "similarity.csv").read_text().splitlines()))
    assert ("s002_correct", "s006_copy") in {(r["student"], r["other"]) for r in similar}
    assert (out / "feedback/s003_crashing.html").read_text().lower().startswith("<!doctype html>")


def test_the_same_batch_runs_on_a_dask_cluster(tmp_path):
    from distributed import LocalCluster

    _class(tmp_path / "class", 5)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        result = _batch("class", "--out", "out", "--scheduler", cluster.scheduler_address,
                        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = _rows(tmp_path / "out")
    assert rows["s002_correct"] == (1, 7.5) and rows["s000_broken"] == (0, 0.0)
    assert len(rows) == 5
