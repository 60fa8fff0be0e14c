"""Running a submission's cells in a fresh Jupyter kernel (nbclient), in a run folder.

A cell that raises does not stop the cells after it; a cell past its time limit is interrupted;
a kernel that dies or stops answering is recorded, never raised. Outputs are capped.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from graders.spec import Limits

KERNEL_NAME = "nngrader-python"
_QUIET_LOG = logging.getLogger("nngrader.kernel")
_QUIET_LOG.setLevel(logging.CRITICAL)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
REPLY_MIMETYPE = "application/vnd.nngrader.reply"


class _OwnKernelSpecs(KernelSpecManager):
    """Always this interpreter's ipykernel, whatever kernel the notebook's metadata names,
    started through graders.sandbox with the OS limits of the spec."""

    limits: Limits = Limits()

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        sandbox = [sys.executable, "-m", "graders.sandbox",
                   "--memory-mb", str(self.limits.memory_mb),
                   "--file-mb", str(self.limits.file_mb),
                   "--cpu-seconds", str(self.limits.cpu_seconds), "--"]
        return KernelSpec(
            argv=[*sandbox, sys.executable, "-m", "ipykernel_launcher", "-f",
                  "{connection_file}"],
            display_name="Python (grader)", language="python", name=KERNEL_NAME,
        )


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
            return None
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

    def __enter__(self) -> KernelSession:
        started = time.perf_counter()
        specs = _OwnKernelSpecs()
        specs.limits = self.limits
        km = AsyncKernelManager(kernel_spec_manager=specs, kernel_name=KERNEL_NAME,
                                transport="ipc", ip=str(self.run_dir.parent / "kernel"))
        self._client = _CappedClient(
            nbformat.v4.new_notebook(), km=km, timeout=int(self.limits.cell_seconds),
            allow_errors=True, interrupt_on_timeout=True, record_timing=False,
            error_on_timeout={"ename": "CellTimeoutError", "evalue": "time limit reached",
                              "traceback": []},
            resources={"metadata": {"path": str(self.run_dir)}}, shutdown_kernel="immediate",
            log=_QUIET_LOG,
        )
        self._client.output_chars = self.limits.output_chars
        self._client.start_new_kernel(env=kernel_environment(self.run_dir))
        self._client.start_new_kernel_client()
        self.record.kernel_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        client, self._client = self._client, None
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
            self.record.cells.append(self.run_code(
                source, number=number, timeout=min(self.limits.cell_seconds, remaining)))
        self.record.execution_seconds += time.perf_counter() - started

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
        if run.timed_out and self.alive:
            self._ensure_responsive(number)
        return run

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
            return ": it was killed (SIGKILL), most likely for using too much memory"
        if code < 0:
            return f": it was ended by signal {signal.Signals(-code).name}"
        return f" (it exited with status {code}: sys.exit or os._exit in a cell ends the kernel)"

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
                self._client.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001
                pass


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
