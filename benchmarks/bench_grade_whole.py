"""Grading whole submissions: wall time split into kernel start, execution and checks.

    python benchmarks/bench_grade_whole.py [SUBMISSION ...] [--repeat N]

Default: a correct nn.py module (mlp_numpy, must grade in under 20 s), the mlp_numpy master
notebook, and the three_layer, lstm_gates and autoencoders master notebooks.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from graders import grade

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = [ROOT / "tests/fixtures/mlp_numpy/nn.py",
            ROOT / "reference_solutions/mlp_numpy/master.ipynb",
            ROOT / "reference_solutions/three_layer/master.ipynb",
            ROOT / "reference_solutions/lstm_gates/master.ipynb",
            ROOT / "reference_solutions/autoencoders/master.ipynb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", nargs="*", default=[str(p) for p in DEFAULTS])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'submission':<48}{'wall s':>8}{'kernel s':>10}{'exec s':>8}{'checks s':>10}"
          f"{'score':>9}")
    for submission in args.submissions:
        walls = []
        for run in range(args.repeat):
            started = time.perf_counter()
            report = grade(submission, seed=run)
            walls.append(time.perf_counter() - started)
            t = report.timings
        name = str(Path(submission).relative_to(ROOT)) if ROOT in Path(submission).parents \
            else submission
        print(f"{name:<48}{statistics.median(walls):>8.2f}{t['kernel_start']:>10.2f}"
              f"{t['execution']:>8.2f}{t['checks']:>10.2f}"
              f"{report.score:>5g}/{report.max_score:g}")
    print(f"(median wall of {args.repeat} runs; the other columns are from the last run)")


if __name__ == "__main__":
    main()
