"""Batch throughput: submissions per minute with --jobs 1 and --jobs 2 on the same set, and the
overhead per submission beyond executing the student's code.

    python benchmarks/bench_batch.py [--copies N] [--assignment lstm_gates]

The set cycles through the assignment's master, its fixtures and its starter (correct, buggy,
crashing).

Beyond the students' cells = wall time x jobs / submissions - the mean time the kernels spent
running the students' cells (from the reports): kernel start, the checks (including the calls
into the student's functions they make), the worker processes and the gradebook. Of which the
batch itself = wall time x jobs / submissions - the mean whole grade: workers, IPC, gradebook.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_class(folder: Path, assignment: str, copies: int) -> None:
    sources = [ROOT / f"reference_solutions/{assignment}/master.ipynb",
               ROOT / f"assignments/{assignment}/starter.ipynb",
               *sorted((ROOT / f"tests/fixtures/{assignment}").glob("*.ipynb"))]
    folder.mkdir(parents=True)
    for i in range(copies):
        shutil.copyfile(sources[i % len(sources)], folder / f"s{i:04d}.ipynb")


def run(folder: Path, out: Path, assignment: str, jobs: int) -> dict[str, float]:
    grade = str(Path(sys.executable).with_name("grade"))
    started = time.perf_counter()
    subprocess.run([grade, "batch", str(folder), "--assignment", assignment, "--jobs",
                    str(jobs), "--out", str(out), "--quiet"], check=True, capture_output=True)
    wall = time.perf_counter() - started
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        reports = [json.loads(r) for (r,) in db.execute("SELECT report FROM submissions")]
    execution = statistics.fmean(r["timings"].get("execution", 0.0) for r in reports)
    total = statistics.fmean(r["timings"].get("total", 0.0) for r in reports)
    n = len(reports)
    return {"jobs": jobs, "submissions": n, "wall_s": wall, "per_min": n / wall * 60,
            "execution_s": execution, "grade_total_s": total,
            "overhead_s": wall * jobs / n - execution,
            "batch_overhead_s": wall * jobs / n - total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--assignment", default="lstm_gates")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        make_class(folder, args.assignment, args.copies)
        for jobs in (1, 2):
            r = run(folder, Path(tmp) / f"out{jobs}", args.assignment, jobs)
            print(f"--jobs {jobs}: {r['submissions']} submissions in {r['wall_s']:.1f} s = "
                  f"{r['per_min']:.1f} per minute; per submission: students' cells "
                  f"{r['execution_s']:.2f} s, whole grade {r['grade_total_s']:.2f} s, beyond the "
                  f"students' cells {r['overhead_s']:.2f} s (of which the batch itself: "
                  f"{r['batch_overhead_s']:.2f} s)")


if __name__ == "__main__":
    main()
