"""Running a submission's cells in a fresh Jupyter kernel (nbclient), in a run folder.

A cell that raises does not stop the cells after it; a cell past its time limit is interrupted;
a kernel that dies or stops answering is recorded, never raised. Outputs are capped.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import zmq
import zmq.asyncio
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from graders.errors import GraderError
from graders.prune import after_failed_import
from graders.spec import Limits

KERNEL_NAME = "nngrader-python"
_QUIET_LOG = logging.getLogger("nngrader.kernel")
_QUIET_LOG.setLevel(logging.CRITICAL)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
REPLY_MIMETYPE = "application/vnd.nngrader.reply"


SANDBOX = str(Path(__file__).with_name("sandbox.py"))
ISOLATION_NOTE = "the kernel ran without isolation"


@functools.cache
def isolation_problem() -> str:
    """'' when kernels can be isolated on this machine, else why not. NNGRADER_ISOLATION:
    'auto' (the default: isolate where possible), 'off', or 'required' (refuse to grade
    without it)."""
    wanted = os.environ.get("NNGRADER_ISOLATION", "auto")
    if wanted == "off":
        return "turned off (NNGRADER_ISOLATION=off)"
    if sys.platform != "linux":
        why = f"Linux namespaces are not available on {sys.platform}"
    else:
        probe = subprocess.run([sys.executable, "-I", SANDBOX, "--probe"], capture_output=True,
                               text=True, timeout=60)
        why = "" if probe.returncode == 0 else (probe.stdout.strip() or probe.stderr.strip()
                                                or "the probe failed")
    if why and wanted == "required":
        raise GraderError(f"kernels cannot be isolated here ({why}), and NNGRADER_ISOLATION="
                          "required. Grade on Linux with user namespaces allowed, or as root")
    return why


class _OwnKernelSpecs(KernelSpecManager):
    """Always this interpreter's ipykernel, whatever kernel the notebook's metadata names,
    started through graders/sandbox.py with the spec's OS limits, isolated where possible."""

    limits: Limits = Limits()
    run_folder: str = ""
    isolate: bool = False

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        sandbox = [sys.executable, "-I", SANDBOX, "--run-folder", self.run_folder,
                   "--memory-mb", str(self.limits.memory_mb),
                   "--file-mb", str(self.limits.file_mb),
                   "--cpu-seconds", str(self.limits.cpu_seconds),
                   "--processes", str(self.limits.processes),
                   "--grader-pid", str(os.getpid()),
                   *(["--isolate"] if self.isolate else []), "--"]
        return KernelSpec(
            argv=[*sandbox, sys.executable, "-m", "ipykernel_launcher", "-f",
                  "{connection_file}"],
            display_name="Python", language="python", name=KERNEL_NAME,
        )


class _GuardedKernelManager(AsyncKernelManager):
    """Its clients refuse messages from the kernel larger than `message_bytes` (one flush of
    printed output, one figure, one reply): ZMQ disconnects a kernel that sends one, instead of
    the grader's memory filling up (ZMQ_MAXMSGSIZE)."""

    message_bytes: int = Limits().message_mb << 20

    def client(self, **kwargs: Any) -> Any:
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, self.message_bytes)
        client = super().client(context=context, **kwargs)
        client._created_context = True  # so stopping the client closes the context
        return client


class _CappedClient(NotebookClient):
    """nbclient's client, keeping at most `output_chars` characters of output per cell."""

    output_chars: int = 200_000

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> Any:
        content = msg.get("content", {})
        if REPLY_MIMETYPE in content.get("data", {}):
            return super().output(outs, msg, display_id, cell_index)
        size = sum(len(str(v)) for v in content.get("data", {}).values())
        size += len(content.get("text", "")) + sum(len(t) for t in content.get("traceback", []))
        used = getattr(self, "_chars_used", 0)
        self._chars_used = used + size
        if used + size > self.output_chars:
            self._output_truncated = True
            room = self.output_chars - used
            if room <= 0 or msg.get("msg_type") != "stream":
                return None
            msg = {**msg, "content": {**content, "text": content.get("text", "")[:room]}}
        return super().output(outs, msg, display_id, cell_index)


@dataclass
class CellRun:
    """What happened when one code cell (or its pruned form) ran."""

    number: int  # 1-based code cell number in the submission
    execution_count: int | None = None
    stdout: str = ""
    error_name: str = ""
    error_value: str = ""
    traceback: str = ""
    images: list[str] = field(default_factory=list)  # base64 PNG figures
    seconds: float = 0.0
    timed_out: bool = False
    truncated: bool = False
    replies: list[str] = field(default_factory=list)
    strays: int = 0  # processes it left running, which the grader ended


@dataclass
class RunRecord:
    """The cells of one kernel session, in the order they ran."""

    mode: str  # "definitions" or "full"
    cells: list[CellRun] = field(default_factory=list)
    kernel_seconds: float = 0.0
    execution_seconds: float = 0.0
    dead: str = ""  # why the kernel is gone, when it is
    notes: list[str] = field(default_factory=list)

    def cell_for_execution(self, execution_count: int | None) -> int | None:
        for cell in self.cells:
            if execution_count is not None and cell.execution_count == execution_count:
                return cell.number
        return None


def kernel_environment(run_dir: Path) -> dict[str, str]:
    """A plain environment: nothing in it says the code is being graded."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(run_dir),
        "IPYTHONDIR": str(run_dir.parent / ".ipython"),
        "MPLCONFIGDIR": str(run_dir.parent / ".matplotlib"),
        "MPLBACKEND": "Agg",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "PYTHONDONTWRITEBYTECODE": "1",
        # Keras 3 runs on the installed torch and reads its datasets from the run folder.
        "KERAS_BACKEND": "torch",
        "KERAS_HOME": str(run_dir / ".keras"),
    }
    threads = os.environ.get("NNGRADER_BLAS_THREADS", "1")
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = threads
    return env


class KernelSession:
    """One fresh kernel, cwd = run_dir. Use as a context manager; it always shuts down."""

    def __init__(self, run_dir: Path, limits: Limits, *, mode: str) -> None:
        self.run_dir = run_dir
        self.limits = limits
        self.record = RunRecord(mode=mode)
        self._client: _CappedClient | None = None
        self.isolated = False
        self._iopub_watch: tuple[Any, zmq.Socket] | None = None

    def __enter__(self) -> KernelSession:
        started = time.perf_counter()
        run_folder = self.run_dir.parent
        specs = _OwnKernelSpecs()
        specs.limits, specs.run_folder = self.limits, str(run_folder)
        why_not = isolation_problem()
        specs.isolate = self.isolated = not why_not
        if why_not:
            self.record.notes.append(
                f"{ISOLATION_NOTE} ({why_not}): it could read any file this user can read. "
                "Grade untrusted work on Linux with user namespaces allowed")
        km = _GuardedKernelManager(kernel_spec_manager=specs, kernel_name=KERNEL_NAME,
                                transport="ipc", ip=str(run_folder / "kernel"),
                                connection_file=str(run_folder / "kernel.json"))
        km.message_bytes = self.limits.message_mb << 20
        self._client = _CappedClient(
            nbformat.v4.new_notebook(), km=km, timeout=int(self.limits.cell_seconds),
            allow_errors=True, interrupt_on_timeout=True, record_timing=False,
            error_on_timeout={"ename": "CellTimeoutError", "evalue": "time limit reached",
                              "traceback": []},
            resources={"metadata": {"path": str(self.run_dir)}}, shutdown_kernel="immediate",
            log=_QUIET_LOG,
        )
        self._client.output_chars = self.limits.output_chars
        # The kernel's own stdout and stderr are not the notebook's outputs; a hostile kernel
        # must not flood the grader's terminal or log with them.
        self._client.start_new_kernel(env=kernel_environment(self.run_dir),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._client.start_new_kernel_client()
        self._iopub_watch = _watch_disconnects(self._client.kc.iopub_channel.socket)
        self.record.kernel_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        client, self._client = self._client, None
        if client is not None and getattr(client, "kc", None) is not None:
            _stop_watching(client.kc.iopub_channel.socket, self._iopub_watch)
            self._iopub_watch = None
        if client is not None and client.km is not None:
            try:
                client._cleanup_kernel()
            except Exception:  # noqa: BLE001 - a kernel that is already gone is fine
                client.km = None

    @property
    def alive(self) -> bool:
        return self._client is not None and not self.record.dead

    def run_cells(self, cells: Sequence[tuple[int, str]]) -> None:
        """Run (number, source) pairs in order, within the per-cell and whole-run limits."""
        started = time.perf_counter()
        for number, source in cells:
            remaining = self.limits.run_seconds - (time.perf_counter() - started)
            if remaining <= 1 or not self.alive:
                if self.alive:
                    self.record.notes.append(
                        f"stopped before code cell {number}: the whole notebook may run for "
                        f"{self.limits.run_seconds:g} s")
                break
            self._run_cell_past_failed_imports(number, source,
                                               min(self.limits.cell_seconds, remaining))
        self.record.execution_seconds += time.perf_counter() - started

    def _run_cell_past_failed_imports(self, number: int, source: str, timeout: float) -> None:
        """Run one cell; when a top-level import fails (a module the grader's kernel cannot
        have), run the rest of the cell after it, as a separate run with the same number."""
        while True:
            run = self.run_code(source, number=number, timeout=timeout)
            self.record.cells.append(run)
            if run.error_name not in ("ModuleNotFoundError", "ImportError"):
                return
            rest = after_failed_import(source, run.error_value)
            if rest is None or not self.alive:
                return
            self.record.notes.append(f"code cell {number}: {run.error_value}; ran the rest of "
                                     "the cell without it")
            source = rest

    def run_code(self, source: str, *, number: int, timeout: float,
                 store_history: bool = True) -> CellRun:
        """Run one piece of code; everything that goes wrong is in the returned CellRun."""
        run = CellRun(number=number)
        if not self.alive:
            run.error_name, run.error_value = "DeadKernelError", self.record.dead or "no kernel"
            return run
        assert self._client is not None
        client = self._client
        client.timeout = max(1, int(timeout))
        client._chars_used = 0
        client._output_truncated = False
        cell = nbformat.v4.new_code_cell(source)
        client.nb.cells.append(cell)
        started = time.perf_counter()
        try:
            cell = client.execute_cell(cell, len(client.nb.cells) - 1,
                                       store_history=store_history)
        except DeadKernelError:
            self.record.dead = f"the kernel died while running code cell {number}" \
                               + self._death_reason()
            run.error_name, run.error_value = "DeadKernelError", self.record.dead
        except CellTimeoutError:
            run.timed_out = True
        run.seconds = time.perf_counter() - started
        run.truncated = bool(getattr(client, "_output_truncated", False))
        run.timed_out = run.timed_out or run.seconds >= timeout - 0.05
        _collect_outputs(cell, run)
        client.nb.cells[-1] = nbformat.v4.new_code_cell("")  # keep the client's memory small
        if self.alive and _disconnected(self._iopub_watch):
            reason = self._death_reason()
            if reason:  # the kernel process ended: that is why its channel closed
                self.record.dead = f"the kernel died while running code cell {number}{reason}"
            else:
                self.record.dead = (
                    f"code cell {number} sent the grader one output larger than "
                    f"{self.limits.message_mb} MB (printing or displaying something huge); "
                    "the kernel was cut off" if number else "a call from the grader sent back "
                    f"more than {self.limits.message_mb} MB; the kernel was cut off")
            run.error_name, run.error_value = "DeadKernelError", self.record.dead
        ended = 0
        if self.alive and (number > 0 or run.error_name or run.timed_out):
            ended = self._end_stray_processes()
        if run.timed_out and self.alive:
            self._ensure_responsive(number)
        if ended:
            run.strays = ended
            where = f"code cell {number}" if number else "a call from the grader"
            self.record.notes.append(
                f"{where} left {ended} process(es) running; they were ended. A kernel may "
                f"run {self.limits.processes} processes and threads at most")
        return run

    def _kernel_processes(self) -> tuple[int, int] | None:
        """(the process whose descendants are the kernel's, the kernel itself). Isolated, the
        launcher's child is the namespace's init and the kernel its first child; otherwise the
        launcher became the kernel."""
        try:
            assert self._client is not None and self._client.km is not None
            launcher = self._client.km.provisioner.process.pid  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001
            return None
        if not self.isolated:
            return launcher, launcher
        init = _children(launcher)
        kernels = _children(init[0]) if init else []
        if not kernels:
            return None
        return init[0], min(kernels, key=_start_time)

    def _end_stray_processes(self) -> int:
        """Kill every process the kernel started that is still running; students' code
        leaves none behind (a fork bomb does). Returns how many were ended."""
        processes = self._kernel_processes()
        if processes is None:
            return 0
        top, kernel = processes
        if not _children(kernel) and len(_children(top)) <= (top != kernel):
            return 0
        ended: set[int] = set()
        for _ in range(100):  # a fork bomb may add a few while we kill
            strays = [pid for pid in _descendants(top) if pid != kernel]
            if not strays:
                break
            for pid in strays:
                try:
                    os.kill(pid, signal.SIGKILL)
                    ended.add(pid)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)
        # The kernel is their parent (or their namespace's first process): collect the dead,
        # so they stop counting against its process limit.
        assert self._client is not None
        reap = nbformat.v4.new_code_cell(_REAP_CHILDREN)
        self._client.nb.cells.append(reap)
        self._client.timeout = 10
        try:
            self._client.execute_cell(reap, len(self._client.nb.cells) - 1, store_history=False)
        except (DeadKernelError, CellTimeoutError):
            pass
        return len(ended)

    def _death_reason(self) -> str:
        """Why the kernel process ended, when the OS says (a limit's signal, or an exit)."""
        try:
            assert self._client is not None and self._client.km is not None
            process = getattr(self._client.km.provisioner, "process", None)
            code = process.wait(timeout=2) if process is not None else None
        except Exception:  # noqa: BLE001 - no reason to give is fine
            return ""
        if code is None:
            return ""
        if code == -signal.SIGXCPU:
            return (f": it used up its CPU time limit ({self.limits.cpu_seconds} s). Train for "
                    "fewer epochs or on less data in the cells the grader runs")
        if code == -signal.SIGKILL:
            return (": it was killed (SIGKILL), by code in the notebook or by the system for "
                    "using too much memory")
        if code < 0:
            return f": it was ended by signal {signal.Signals(-code).name}"
        return (f" (it exited with status {code}: os._exit in a cell ends the kernel, and so can "
                f"starting more than the {self.limits.processes} processes and threads it may "
                "run)")

    def _ensure_responsive(self, number: int) -> None:
        """After an interrupt the kernel must answer again; if it does not, it is finished."""
        assert self._client is not None
        probe = nbformat.v4.new_code_cell("pass")
        self._client.nb.cells.append(probe)
        self._client.timeout = 10
        started = time.perf_counter()
        try:
            self._client.execute_cell(probe, len(self._client.nb.cells) - 1, store_history=False)
        except (DeadKernelError, CellTimeoutError):
            pass
        if time.perf_counter() - started >= 9.5:
            self.record.dead = (f"the kernel stopped answering after code cell {number} "
                                "ran past its time limit and ignored the interrupt")
            try:
                assert self._client.km is not None
                run_sync(self._client.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - it is being abandoned either way
                pass


def _watch_disconnects(socket: Any) -> tuple[Any, zmq.Socket] | None:
    """A monitor of the client's output channel: ZMQ cuts a kernel that sends an oversized
    message off, and the grader must know rather than wait for outputs that never come.
    Returns (the monitor socket, a blocking view of it to poll)."""
    try:
        monitor = socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        return monitor, zmq.Socket.shadow(monitor.underlying)
    except zmq.ZMQError:
        return None


def _disconnected(watch: tuple[Any, zmq.Socket] | None) -> bool:
    return watch is not None and bool(watch[1].poll(0))


def _stop_watching(socket: Any, watch: tuple[Any, zmq.Socket] | None) -> None:
    if watch is None:
        return
    try:
        socket.disable_monitor()
    except zmq.ZMQError:
        pass
    watch[0].close(linger=0)


_REAP_CHILDREN = """\
import os as _os
while True:
    try:
        if _os.waitpid(-1, _os.WNOHANG)[0] == 0:
            break
    except ChildProcessError:
        break
del _os
"""


def _children(pid: int) -> list[int]:
    """Direct children of a process (every thread's), from /proc."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                found.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return found


def _start_time(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 1 << 62


def _descendants(pid: int) -> list[int]:
    seen: list[int] = []
    frontier = _children(pid)
    while frontier and len(seen) < 100_000:
        child = frontier.pop()
        if child not in seen:
            seen.append(child)
            frontier.extend(_children(child))
    return seen


def _collect_outputs(cell: Any, run: CellRun) -> None:
    stdout: list[str] = []
    run.execution_count = cell.get("execution_count")
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            stdout.append(out.get("text", ""))
        elif kind == "error":
            run.error_name = out.get("ename", "")
            run.error_value = out.get("evalue", "")
            run.traceback = _ANSI.sub("", "\n".join(out.get("traceback", [])))
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            if REPLY_MIMETYPE in data:
                run.replies.append(str(data[REPLY_MIMETYPE]))
            elif "image/png" in data and len(run.images) < 20:
                run.images.append(str(data["image/png"]))
            elif "text/plain" in data:
                stdout.append(str(data["text/plain"]) + "\n")
    run.stdout = "".join(stdout)
    if run.timed_out:
        run.error_name, run.error_value = "CellTimeoutError", f"stopped after {run.seconds:.0f} s"
