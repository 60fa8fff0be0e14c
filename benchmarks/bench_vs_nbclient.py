"""Grading against running: `grade batch --jobs 2` and bare nbclient on the same class.

    python benchmarks/bench_vs_nbclient.py [--runs 3] [--assignment ID ...] [--cell-seconds 600]

For each assignment the class is its master and the fixtures its expected.yaml pins (the
notebooks `grade validate` grades; unpinned ones, such as a 15-epoch training or a function
that sleeps, are left out). In one process, alternating run by run, it times

- batch: `grade batch CLASS --jobs 2` into a fresh gradebook (everything a grade costs:
  workers, kernels, the pruned and full runs, the checks, the gradebook and its exports);
- bare: each notebook executed in full by nbclient, two at a time (two worker processes), in a
  folder holding the same data and support files, one BLAS thread per kernel as the batch uses;

and prints the medians, the ratio batch / bare per assignment (the figure issue 17 moves: at
most 1.0 is the aim) and, from the last batch's gradebook, where a submission's time went:
kernel start, execution, the checks, and each check (mean seconds per submission).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

JOBS = 2
BLAS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def class_of(assignment: str) -> list[Path]:
    """The master and the pinned fixtures of one assignment."""
    fixtures = ROOT / "tests/fixtures" / assignment
    pinned = yaml.safe_load((fixtures / "expected.yaml").read_text())["fixtures"] or {}
    paths = [ROOT / "reference_solutions" / assignment / "master.ipynb"]
    for name in sorted(pinned):
        path = fixtures / name if Path(name).suffix else fixtures / f"{name}.ipynb"
        paths.append(path)
    return paths


def make_class(folder: Path, paths: list[Path]) -> None:
    folder.mkdir(parents=True)
    for path in paths:
        shutil.copyfile(path, folder / (("master" if path.stem == "master" else path.stem)
                                        + path.suffix))


def run_batch(folder: Path, out: Path, assignment: str) -> float:
    grade = str(Path(sys.executable).with_name("grade"))
    started = time.perf_counter()
    subprocess.run([grade, "batch", str(folder), "--assignment", assignment, "--jobs",
                    str(JOBS), "--out", str(out), "--seed", "11", "--quiet"], check=True,
                   capture_output=True)
    return time.perf_counter() - started


def _stage(assignment: str, run_dir: Path) -> None:
    """The data and support files a grade stages, so the notebooks find what they read."""
    from graders import datafiles
    from graders.spec import load_assignment

    spec = load_assignment(assignment)
    datafiles.stage_data([(d.name, d.standin) for d in spec.data], run_dir, None,
                         spec.directory)
    datafiles.stage_support_files(spec.support_files, spec.directory, run_dir)


def _notebook(path: Path):
    """The notebook nbclient runs: a .ipynb as it is, a .py module as its cells."""
    import nbformat

    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    from graders.notebook import read_submission

    cells = [nbformat.v4.new_code_cell(c.source) for c in read_submission(path).code_cells]
    return nbformat.v4.new_notebook(cells=cells)


def execute_one(path: str, assignment: str, cell_seconds: int) -> float:
    """Run one notebook in full with bare nbclient in its own folder; its wall time."""
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="bench-bare-") as tmp:
        run_dir = Path(tmp) / "work"
        run_dir.mkdir()
        _stage(assignment, run_dir)
        nb = _notebook(Path(path))
        started = time.perf_counter()
        NotebookClient(nb, timeout=cell_seconds, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": str(run_dir)}}).execute(
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - started


def run_bare(paths: list[Path], assignment: str, cell_seconds: int) -> float:
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=JOBS) as pool:
        list(pool.map(execute_one, [str(p) for p in paths], [assignment] * len(paths),
                      [cell_seconds] * len(paths)))
    return time.perf_counter() - started


def phases(gradebook: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Mean seconds per submission: each phase of a grade, and each check."""
    with sqlite3.connect(gradebook) as db:
        reports = [json.loads(r) for (r,) in db.execute("SELECT report FROM submissions")]
        rows = db.execute("SELECT part_id, check_id, seconds FROM checks").fetchall()
    n = max(len(reports), 1)
    split: dict[str, float] = defaultdict(float)
    for report in reports:
        for name, seconds in report.get("timings", {}).items():
            split[name] += seconds / n
    checks: dict[str, float] = defaultdict(float)
    for part, check, seconds in rows:
        checks[f"{part} {check}"] += seconds / n
    return dict(split), dict(checks)


def bench(assignment: str, runs: int, cell_seconds: int) -> dict[str, object]:
    paths = class_of(assignment)
    batch_times, bare_times = [], []
    with tempfile.TemporaryDirectory(prefix="bench-vs-nbclient-") as tmp:
        folder = Path(tmp) / "class"
        make_class(folder, paths)
        for run in range(runs):
            out = Path(tmp) / f"out{run}"
            # Alternate which goes first, so neither always meets a warm disk cache.
            if run % 2 == 0:
                batch_times.append(run_batch(folder, out, assignment))
                bare_times.append(run_bare(paths, assignment, cell_seconds))
            else:
                bare_times.append(run_bare(paths, assignment, cell_seconds))
                batch_times.append(run_batch(folder, out, assignment))
            print(f"  {assignment} run {run + 1}: batch {batch_times[-1]:.1f} s, bare "
                  f"{bare_times[-1]:.1f} s", flush=True)
        split, checks = phases(out / "gradebook.sqlite")
    batch, bare = statistics.median(batch_times), statistics.median(bare_times)
    return {"assignment": assignment, "notebooks": len(paths), "batch_s": batch,
            "bare_s": bare, "ratio": batch / bare, "split": split, "checks": checks}


def report(result: dict[str, object], top: int) -> None:
    split = result["split"]
    checks = result["checks"]
    assert isinstance(split, dict) and isinstance(checks, dict)
    print(f"{result['assignment']}: {result['notebooks']} notebooks, batch "
          f"{result['batch_s']:.1f} s, bare nbclient {result['bare_s']:.1f} s, ratio "
          f"{result['ratio']:.2f}")
    print("  per submission: " + ", ".join(
        f"{name} {split.get(name, 0.0):.2f} s"
        for name in ("kernel_start", "execution", "checks", "total")))
    # What the batch costs beyond its grades: workers starting, the gradebook, the exports.
    beyond = float(result["batch_s"]) - split.get("total", 0.0) * int(result["notebooks"]) / JOBS
    print(f"  batch beyond its grades (wall): {beyond:.1f} s")
    slowest = sorted(checks.items(), key=lambda item: -item[1])[:top]
    print("  slowest checks: " + ", ".join(f"{name} {s:.2f} s" for name, s in slowest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each (median; default 3)")
    parser.add_argument("--assignment", action="append", default=[],
                        help="only this assignment (repeatable; default: all)")
    parser.add_argument("--cell-seconds", type=int, default=600,
                        help="nbclient's per-cell limit for the bare runs")
    parser.add_argument("--top", type=int, default=8, help="how many checks to list")
    args = parser.parse_args()
    for name in BLAS:
        os.environ[name] = "1"  # the bare kernels inherit it; the batch sets its own
    assignments = args.assignment or sorted(
        p.parent.name for p in (ROOT / "tests/fixtures").glob("*/expected.yaml"))
    print(f"{os.cpu_count()} CPUs; {args.runs} run(s) of each, alternating; jobs {JOBS}")
    results = [bench(a, args.runs, args.cell_seconds) for a in assignments]
    print()
    for result in results:
        report(result, args.top)


if __name__ == "__main__":
    main()
