"""`grade batch`: a whole class, graded in parallel worker processes (or on a Dask cluster),
into the gradebook.

The instructor's process owns the gradebook and the progress bar; workers get a submission's
bytes and options and send back its report as JSON, so a cluster needs no shared folder. Each
finished report is committed at once; a worker that dies (a submission that kills it) is
replaced and the submission retried once, then recorded as not graded. One submission never
stops the batch.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graders.errors import UsageError
from graders.folders import submission_bytes
from graders.gradebook import Gradebook, file_hash, spec_hash
from graders.notebook import read_submission
from graders.results import GradeReport
from graders.spec import AssignmentSpec, known_assignments, load_assignment
from graders.submissions import Entry

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class BatchOptions:
    assignment: str | None = None
    only: list[str] = field(default_factory=list)
    data_dir: str | None = None
    seed: int | None = None
    jobs: int = 2
    force: bool = False
    students: list[str] = field(default_factory=list)  # regrade these (and grade only these)
    scheduler: str | None = None  # a Dask scheduler address
    blas_threads: int = 1
    progress: bool = True


@dataclass
class BatchSummary:
    total: int = 0
    graded: int = 0
    skipped: int = 0  # unchanged since they were graded
    failed: int = 0  # could not be graded (the reason is in the gradebook)
    seconds: float = 0.0


# --------------------------------------------------------------------------- in the worker


def grade_one(name: str, content: bytes, assignment: str, only: list[str],
              data_dir: str | None, seed: int | None, blas_threads: int) -> dict[str, Any]:
    """Grade one submission from its bytes; the report as a dict. Runs in a worker process
    (local or on a cluster) and never raises: a failure comes back as {"error": ...}."""
    for variable in BLAS_VARIABLES:
        os.environ[variable] = str(blas_threads)
    os.environ["NNGRADER_BLAS_THREADS"] = str(blas_threads)
    started = time.perf_counter()
    try:
        from graders.grading import grade

        with tempfile.TemporaryDirectory(prefix="nngrader-batch-") as tmp:
            path = Path(tmp) / name
            path.write_bytes(content)
            report = grade(path, assignment=assignment, only=only, data_dir=data_dir, seed=seed)
            # Messages name the file as the instructor knows it, not this temporary copy.
            result = json.loads(json.dumps(report.to_dict()).replace(
                json.dumps(str(path))[1:-1], json.dumps(name)[1:-1]))
        return {"report": result, "seconds": time.perf_counter() - started}
    except Exception as exc:  # noqa: BLE001 - a bug of ours; the batch goes on
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return {"error": f"the grader failed on this submission ({detail})",
                "seconds": time.perf_counter() - started}


# --------------------------------------------------------------------------- in the parent


def resolve_assignment(entries: list[Entry], given: str | None) -> AssignmentSpec:
    """--assignment, else the one the submissions' metadata (or file names) name."""
    if given:
        return load_assignment(given)
    from graders.spec import assignment_for_file_name

    named = set()
    for entry in entries[:50]:
        try:
            found = read_submission(entry.path).assignment_id
        except Exception:  # noqa: BLE001 - an unreadable file says nothing about the class
            found = None
        found = found or assignment_for_file_name(entry.path.name)
        if found:
            named.add(found)
    if len(named) == 1:
        return load_assignment(named.pop())
    raise UsageError("which assignment is this batch? Pass --assignment ID (known: "
                     f"{', '.join(known_assignments())}"
                     + (f"; the submissions name {', '.join(sorted(named))}" if named else "")
                     + ")")


def _ungraded(spec: AssignmentSpec, entry: Entry, problem: str) -> GradeReport:
    from graders.grading import _ungraded as ungraded_report

    return ungraded_report(spec, str(entry.path), 0, problem)


class _LocalPool:
    """Worker processes (spawned: nothing of the parent's state leaks in)."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.jobs,
                                   mp_context=multiprocessing.get_context("spawn"))

    def submit(self, *args: Any) -> Future[dict[str, Any]]:
        return self.pool.submit(grade_one, *args)

    def restart(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new()

    def completed(self, futures: Iterable[Any]) -> Iterable[Any]:
        return as_completed(list(futures))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _DaskPool:
    """The same work on a Dask distributed cluster; the gradebook stays here."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        self.client = Client(address)

    def submit(self, *args: Any) -> Any:
        return self.client.submit(grade_one, *args, pure=False)

    def restart(self) -> None:  # the cluster replaces its own dead workers
        pass

    def completed(self, futures: Iterable[Any]) -> Iterable[Any]:
        from distributed import as_completed as dask_completed

        return dask_completed(list(futures))

    def close(self) -> None:
        self.client.close()


def run_batch(entries: list[Entry], out: Path, options: BatchOptions,
              on_progress: Callable[[BatchSummary], None] | None = None) -> BatchSummary:
    spec = resolve_assignment(entries, options.assignment)
    digest = spec_hash(spec)
    gradebook = Gradebook(out)
    summary = BatchSummary(total=len(entries))
    started = time.perf_counter()
    wanted = set(options.students)
    unknown = wanted - {e.student for e in entries}
    if unknown:
        raise UsageError(f"no submission for student(s) {', '.join(sorted(unknown))}")
    todo: list[tuple[Entry, str]] = []
    for entry in entries:
        if wanted and entry.student not in wanted:
            summary.skipped += 1
            continue
        sha = file_hash(entry.path)
        if options.force or wanted or gradebook.needs_grading(entry.student, sha, digest):
            todo.append((entry, sha))
        else:
            summary.skipped += 1
    pool: _LocalPool | _DaskPool = (_DaskPool(options.scheduler) if options.scheduler
                                    else _LocalPool(max(1, options.jobs)))
    bar = _progress_bar(len(todo), options.progress)
    try:
        attempts: dict[str, int] = {}
        pending = list(todo)
        while pending:
            futures = {pool.submit(*submission_bytes(entry.path), spec.id,
                                   options.only, options.data_dir,
                                   options.seed if options.seed is not None
                                   else secrets.randbelow(2**31), options.blas_threads):
                       (entry, sha) for entry, sha in pending}
            pending = []
            broken = False
            for future in pool.completed(futures):
                entry, sha = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker (local or Dask)
                    attempts[entry.student] = attempts.get(entry.student, 0) + 1
                    broken = broken or isinstance(exc, BrokenProcessPool)
                    if attempts[entry.student] < 2:
                        pending.append((entry, sha))
                        continue
                    result = {"error": "grading this submission killed the grader's worker "
                                       f"process twice ({type(exc).__name__}); look at it by "
                                       "hand", "seconds": 0.0}
                _record(gradebook, spec, entry, sha, digest, result, summary)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(failed=summary.failed, refresh=False)
                if on_progress:
                    on_progress(summary)
            if broken:
                pool.restart()
    finally:
        if bar is not None:
            bar.close()
        pool.close()
        gradebook.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _record(gradebook: Gradebook, spec: AssignmentSpec, entry: Entry, sha: str, digest: str,
            result: dict[str, Any], summary: BatchSummary) -> None:
    if "report" in result:
        report = dataclasses.replace(GradeReport.from_dict(result["report"]),
                                     submission=str(entry.path))
    else:
        report = _ungraded(spec, entry, result["error"])
    gradebook.record(entry.student, entry.path, sha, digest, report, result["seconds"])
    summary.graded += 1
    if not report.graded:
        summary.failed += 1


def _progress_bar(total: int, show: bool) -> Any:
    if not show or not total:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="sub", file=sys.stderr, dynamic_ncols=True,
                desc="grading", postfix={"failed": 0})
