"""The kernel launcher (graders/sandbox.py): limits, isolation, and ending as the kernel ended."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from graders.execute import SANDBOX, isolation_problem, kernel_environment

ROOT = Path(__file__).resolve().parents[2]
needs_isolation = pytest.mark.skipif(bool(isolation_problem()),
                                     reason=f"no isolation here: {isolation_problem()}")


def _launch(run_folder: Path, code: str, *options: str, python: str = sys.executable,
            user: list[str] | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    work = run_folder / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run([*(user or []), python, "-I", SANDBOX, "--run-folder", str(run_folder),
                           *options, "--", python, "-c", code], cwd=work, capture_output=True,
                          text=True, timeout=120, env=env)


@needs_isolation
@pytest.mark.parametrize("how, status", [("os._exit(3)", 3),
                                         ("os.kill(os.getpid(), signal.SIGKILL)",
                                          -signal.SIGKILL),
                                         ("os.kill(os.getpid(), signal.SIGTERM)",
                                          -signal.SIGTERM)])
def test_the_launcher_ends_as_the_isolated_kernel_ended(tmp_path, how, status):
    result = _launch(tmp_path, f"import os, signal\n{how}", "--isolate")
    assert result.returncode == status, result.stderr


@needs_isolation
def test_the_cpu_limit_reaches_an_isolated_kernel(tmp_path):
    # An init of a PID namespace ignores SIGXCPU; the kernel is not that init.
    result = _launch(tmp_path, "while True: pass", "--isolate", "--cpu-seconds", "1")
    assert result.returncode == -signal.SIGXCPU, result.stderr


def _expected_top_folders(run_folder: Path) -> set[str]:
    """The system's folders, plus the first folder of this Python's and the run folder's paths
    (CI clones into a folder of its own choosing, /check say, and the venv lives there)."""
    bound = [run_folder, Path(sys.prefix), Path(sys.base_prefix),
             Path(os.path.realpath(sys.executable)).parents[1]]
    return ({"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "tmp", "dev", "proc"}
            | {path.resolve().parts[1] for path in bound})


@needs_isolation
def test_an_isolated_kernel_sees_only_the_system_python_and_its_run_folder(tmp_path):
    code = ("import os, socket\nprint(sorted(os.listdir('/')))\nprint(os.getcwd())\n"
            f"print(os.path.exists({str(ROOT / 'reference_solutions')!r}))\n"
            "print(len([p for p in os.listdir('/proc') if p.isdigit()]))\n"
            "try:\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\n"
            "except OSError as e:\n    print(e.errno)")
    result = _launch(tmp_path, code, "--isolate")
    assert result.returncode == 0, result.stderr
    listing, cwd, reference, processes, network = result.stdout.splitlines()
    assert set(eval(listing)) <= _expected_top_folders(tmp_path)  # noqa: S307
    assert cwd == str(tmp_path / "work")
    assert reference == "False"
    assert processes == "2"  # the namespace's init and the kernel
    assert int(network) in (101, 99)  # network unreachable, address not available


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root to become an unprivileged user")
def test_an_unprivileged_user_gets_isolation_from_a_user_namespace():
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    python = "/usr/bin/python3"
    if subprocess.run([*nobody, python, "-c", "pass"], capture_output=True).returncode != 0:
        pytest.skip("no Python an unprivileged user may run")
    probe = subprocess.run([*nobody, python, "-I", SANDBOX, "--probe"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        pytest.skip(f"unprivileged user namespaces are not allowed here: {probe.stdout}")
    tmp_path = Path(tempfile.mkdtemp())  # pytest's own folders are closed to other users
    os.chmod(tmp_path, 0o777)
    (tmp_path / "work").mkdir()
    os.chmod(tmp_path / "work", 0o777)
    code = ("import os\nprint(os.getuid())\n"
            f"print(os.path.exists({str(ROOT)!r}))\nopen('made-here', 'w').write('x')")
    result = _launch(tmp_path, code, "--isolate", python=python, user=nobody)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["65534", "False"]
    assert (tmp_path / "work/made-here").exists()
    shutil.rmtree(tmp_path)


def test_without_isolation_the_limits_still_hold(tmp_path):
    result = _launch(tmp_path, "import numpy\nnumpy.ones(1 << 30)", "--memory-mb", "1000")
    assert "MemoryError" in result.stderr


def test_the_probe_says_why_isolation_is_missing_or_ok():
    result = subprocess.run([sys.executable, "-I", SANDBOX, "--probe"], capture_output=True,
                            text=True)
    assert (result.returncode == 0) == (result.stdout.strip() == "ok")
    assert result.stdout.strip()


@needs_isolation
def test_a_python_that_lives_under_tmp_is_still_there_for_the_kernel(tmp_path):
    # A fresh clone's virtual environment may sit in /tmp, which the kernel gets empty.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin/python")
    run_folder = tmp_path / "run"  # beside the environment, not around it
    run_folder.mkdir()
    result = _launch(run_folder, "import sys; print(sys.prefix)", "--isolate", python=python)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(venv)


@needs_isolation
def test_nothing_an_isolated_kernel_can_read_names_the_grader():
    tmp_path = Path(tempfile.mkdtemp())  # pytest's folders are named after the test
    code = ("import os\nfor pid in ('1', 'self'):\n"
            "    for what in ('cmdline', 'environ'):\n"
            "        print(open(f'/proc/{pid}/{what}', 'rb').read().decode(errors='replace'))\n"
            "print(os.getcwd(), sorted(os.listdir('..')))")
    # The environment grading gives a kernel (pytest's own names the test).
    result = _launch(tmp_path, code, "--isolate", env=kernel_environment(tmp_path / "work"))
    assert result.returncode == 0, result.stderr
    assert "import os, signal" in result.stdout  # it did read the init's command line
    shutil.rmtree(tmp_path)
    for word in ("grade", "sandbox", "nngrader", "reference"):
        assert word not in result.stdout.lower()


def _processes_naming(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


# The launcher as run, and as run on a Linux or Python without pidfds (it polls its parent id).
WITHOUT_PIDFD = (f"import os, runpy, sys; del os.pidfd_open; sys.argv[0] = {SANDBOX!r}; "
                 f"runpy.run_path({SANDBOX!r}, run_name='__main__')")


@needs_isolation
@pytest.mark.parametrize("launcher", [[SANDBOX], ["-c", WITHOUT_PIDFD]],
                         ids=["pidfd", "polling"])
def test_an_isolated_kernel_ends_when_the_grader_that_started_it_is_killed(tmp_path, launcher):
    # A batch worker killed with SIGKILL must not leave its kernel idling forever.
    marker = f"orphan-{os.getpid()}-{tmp_path.name}"
    (tmp_path / "work").mkdir()
    kernel = f"open('ready', 'w').close(); import time; time.sleep(120)  # {marker}"
    grader = (f"import subprocess, sys, time\n"
              f"subprocess.Popen([sys.executable, '-I', *{launcher!r}, '--run-folder', "
              f"{str(tmp_path)!r}, '--isolate', '--', sys.executable, '-c', {kernel!r}], "
              f"cwd={str(tmp_path / 'work')!r})\n"
              "time.sleep(120)\n")
    process = subprocess.Popen([sys.executable, "-c", grader])
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "work/ready").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (tmp_path / "work/ready").exists(), "the kernel never started"
        kernels = [pid for pid in _processes_naming(marker) if pid != process.pid]
        assert len(kernels) == 2  # the launcher and the kernel
        process.kill()
        process.wait()
        deadline = time.monotonic() + 10
        while set(_processes_naming(marker)) & set(kernels) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert set(_processes_naming(marker)) & set(kernels) == set()
    finally:
        process.kill()
        for pid in _processes_naming(marker):
            os.kill(pid, signal.SIGKILL)


@needs_isolation
def test_the_launcher_starts_no_kernel_when_its_grader_is_already_gone(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    result = _launch(tmp_path, "open('started', 'w').close()", "--isolate",
                     "--grader-pid", str(gone.pid))
    assert result.returncode == 1
    assert not (tmp_path / "work/started").exists()
