"""Hostile submissions against the kernel's limits: each gets its stated marks and a message
naming the limit, and the grader stays unharmed (its own memory stays small)."""

from __future__ import annotations

import pytest
from hostile import FULL, grade_hostile

pytestmark = pytest.mark.integration

# case -> (code run inside the function that makes answer_2a, marks, phrase the report holds).
# A case that ends the kernel costs 2a only: 2b and 2c, written in cells of their own, are
# graded from a kernel that never ran the cell that died.
LOST_2A = {**FULL, "2a": 0.0}
CASES = {
    "memory_bomb": ("import numpy as np\nhog = np.ones(1 << 32)",
                    LOST_2A, "ran out of memory: the kernel may use 1500 MB"),
    "huge_file": ("open('big.bin', 'wb').write(b'0' * (20 << 20))",
                  LOST_2A, "wrote a file larger than the 5 MB"),
    # Waiting, not computing: the wall-clock limit interrupts it and the kernel lives on.
    "endless_wait": ("import time\nwhile True:\n    time.sleep(0.1)",
                     LOST_2A, "was stopped after its time limit (20 s)"),
    # Computing: the CPU limit (3 s) ends the kernel before the 20 s wall-clock limit.
    "endless_loop": ("while True:\n    pass", LOST_2A, "used up its CPU time limit (3 s)"),
    "cpu_hog_ignoring_interrupts": (
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        LOST_2A, "used up its CPU time limit (3 s)"),
    # The process limit (64) stops the bomb; the grader ends what it left behind, and the
    # kernel answers the other parts.
    "fork_bomb": ("import os\nwhile True:\n    os.fork()", LOST_2A,
                  "process(es) running; they were ended. A kernel may run 64"),
    # 1 GB printed in small pieces: the grader keeps the first 10,000 characters; printing
    # that much costs more than the 6 CPU seconds the kernel has.
    "printed_gigabyte": ("for _ in range(1_000_000):\n    print('x' * 1000)", LOST_2A,
                         "used up its CPU time limit (3 s)"),
    # One output larger than any message the grader accepts (20 MB here): cut off.
    "one_huge_output": ("import sys\nsys.stdout.write('y' * 50_000_000)\nsys.stdout.flush()",
                        LOST_2A, "one output larger than 20 MB"),
    "os_exit": ("import os\nos._exit(3)", LOST_2A, "exited with status 3"),
    "sys_exit": ("import sys\nsys.exit('bye')", LOST_2A, "SystemExit"),
    "kills_its_own_kernel": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", LOST_2A,
                             "it was killed (SIGKILL)"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_hostile_submission_gets_its_stated_outcome(case, tmp_path, tight_assignments):
    code, marks, phrase = CASES[case]
    graded = grade_hostile(code, tmp_path, tight_assignments)
    assert graded.marks == marks
    assert phrase in graded.text
    assert graded.peak_rss_mb < 600  # the grader never holds the flood
    assert not (tmp_path / "big.bin").exists()  # the kernel ran in its own folder
