"""Part 3a of one notebook: kernel start, execution and checks seconds, and how many function
evaluations the finite-difference checks spent.

    python benchmarks/bench_rnn_3a.py [NOTEBOOK] [--repeat N]

Default notebook: the fixture that trains a 400-unit net for 15 epochs in the class's own cell
(running it in full takes many minutes; grading 3a must not).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from graders import grade

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests" / "fixtures" / "rnn_bptt" / "trains_in_class_cell.ipynb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for run in range(args.repeat):
        started = time.perf_counter()
        report = grade(args.notebook, only=["3a"], seed=run)
        wall = time.perf_counter() - started
        checks = report.parts[0].checks
        evaluations = sum(c.details.get("fd_evaluations", 0) for c in checks)
        rows.append((wall, report.timings, evaluations, report.score))
    print(f"notebook: {args.notebook}")
    print(f"{'run':>4}{'wall s':>9}{'kernel s':>10}{'exec s':>8}{'checks s':>10}{'fd evals':>10}"
          f"{'score':>7}")
    for i, (wall, t, evals, score) in enumerate(rows):
        print(f"{i:>4}{wall:>9.2f}{t['kernel_start']:>10.2f}{t['execution']:>8.2f}"
              f"{t['checks']:>10.2f}{evals:>10}{score:>7g}")
    print(f"median wall: {statistics.median(r[0] for r in rows):.2f} s")


if __name__ == "__main__":
    main()
