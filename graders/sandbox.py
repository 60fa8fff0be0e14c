"""The kernel's launcher: OS limits first, then the kernel itself (exec, same process).

    python -m graders.sandbox --memory-mb N --file-mb N --cpu-seconds N -- KERNEL ARGV...

Each limit is the kernel's own rlimit, enforced by the operating system: address space
(RLIMIT_AS: numpy raises MemoryError instead of the machine swapping), size of any file it writes
(RLIMIT_FSIZE: the write fails with "File too large"; SIGXFSZ is ignored so it is an exception,
not a dead kernel), CPU seconds (RLIMIT_CPU: the kernel is killed by SIGXCPU, which the grader
reports as the CPU limit), no core dumps. Children inherit them.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sys

# Exit status of a kernel killed by SIGXCPU, as the grader sees it.
CPU_SIGNAL = signal.SIGXCPU


def _limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value if which != resource.RLIMIT_CPU else
                               (value + 5 if hard == resource.RLIM_INFINITY else hard)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m graders.sandbox")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--file-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no kernel command after --")
    _limit(resource.RLIMIT_AS, args.memory_mb * 1024 * 1024)
    _limit(resource.RLIMIT_FSIZE, args.file_mb * 1024 * 1024)
    _limit(resource.RLIMIT_CPU, args.cpu_seconds)
    _limit(resource.RLIMIT_CORE, 0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
