"""Grading one submission: spec -> execute -> kernel calls -> checks -> scores -> report.

Parts that only need definitions run a pruned notebook (no training, no plots); parts that need
the trained state run it in full. Each group gets its own fresh kernel.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import secrets
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from graders import datafiles, locked, prune
from graders.checks import registry
from graders.checks.base import OUT_OF_BUDGET, CheckContext
from graders.checks.registry import CheckFunction
from graders.errors import InternalError, SubmissionError, UsageError
from graders.execute import KernelSession, RunRecord
from graders.kernel import KernelProxy
from graders.notebook import Cell, Submission, read_submission
from graders.recorded import ReferenceUnavailable
from graders.results import CheckResult, GradeReport, PartResult
from graders.spec import (
    AssignmentSpec,
    PartSpec,
    load_assignment,
    references_root,
    resolve_numbers,
)

# Starts every note about a bug of ours; the CLI turns such a report into a non-zero exit.
GRADER_ERROR_NOTE = "grader error"
# The handout's self-check cell carries this line; grading never runs that cell.
SELF_CHECK_MARKER = "# nngrader: self-check"
# Stands for "load reference_solutions/<id>/reference.py" in Grader(reference=...).
LOAD_REFERENCE: object = object()


def grade(submission_path: str | Path, *, assignment: str | None = None,
          only: Sequence[str] = (), data_dir: str | Path | None = None,
          seed: int | None = None) -> GradeReport:
    """Grade one submission and return its report.

    Raises UsageError (unknown assignment or part) and SpecError (broken spec). A submission that
    cannot be read gives a report with graded=False and the reason in `problem`.
    """
    seed = secrets.randbelow(2**31) if seed is None else seed
    try:
        submission = read_submission(submission_path)
    except SubmissionError as exc:
        spec = load_assignment(assignment) if assignment else None
        return _ungraded(spec, str(submission_path), seed, str(exc))
    spec = load_assignment(_assignment_id(submission, assignment))
    parts = select_parts(spec, only)
    data = Path(data_dir) if data_dir else None
    return Grader(spec, submission, seed, data).run(parts)


def _assignment_id(submission: Submission, given: str | None) -> str:
    if given:
        return given
    if submission.assignment_id:
        return submission.assignment_id
    from graders.spec import assignment_for_file_name, known_assignments

    by_name = assignment_for_file_name(submission.path.name)
    if by_name:
        return by_name

    raise UsageError(f"{submission.path}: which assignment is this? Pass --assignment ID "
                     f"(known: {', '.join(known_assignments()) or 'none'}).")


def select_parts(spec: AssignmentSpec, only: Sequence[str]) -> list[PartSpec]:
    if not only:
        return list(spec.parts)
    ids = [p.id for p in spec.parts]
    unknown = [o for o in only if o not in ids and o not in {q.id for q in spec.questions}]
    if unknown:
        raise UsageError(f"{spec.id} has no part {unknown[0]!r}; parts: {', '.join(ids)}")
    return [p for q in spec.questions for p in q.parts if p.id in only or q.id in only]


def _ungraded(spec: AssignmentSpec | None, path: str, seed: int, problem: str) -> GradeReport:
    parts = tuple(PartResult(part_id=p.id, title=p.title, marks=p.marks, by_hand=p.by_hand,
                             checks=tuple(CheckResult(c.id, c.title or c.id, c.marks, 0.0,
                                                      message=problem, visibility=c.visibility)
                                          for c in p.checks))
                  for p in (spec.parts if spec else ()))
    return GradeReport(assignment_id=spec.id if spec else "", submission=path,
                       assignment_title=spec.title if spec else "", parts=parts, seed=seed,
                       graded=False, problem=problem)


def load_reference(assignment_id: str) -> ModuleType | None:
    """The grader-side reference module, reference_solutions/<id>/reference.py, if any."""
    path = references_root() / assignment_id / "reference.py"
    if not path.is_file():
        return None
    name = f"nngrader_reference_{assignment_id}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def _cell_that_ended_the_kernel(record: RunRecord) -> int | None:
    """The number of the student's code cell the kernel died in, if it died in one."""
    if not record.dead or not record.cells:
        return None
    last = record.cells[-1]
    return last.number if last.error_name == "DeadKernelError" and last.number > 0 else None


def public_only(parts: Sequence[PartSpec]) -> list[PartSpec]:
    """The automatically graded parts with public checks, holding only those checks."""
    return [dataclasses.replace(p, checks=p.public_checks,
                                marks=sum(c.marks for c in p.public_checks))
            for p in parts if not p.by_hand and p.public_checks]


def _handout_notebook(spec: AssignmentSpec) -> Submission | None:
    """The notebook students were given (the spec folder's starter.ipynb), if there is one."""
    path = spec.directory / "starter.ipynb"
    try:
        return read_submission(path) if path.is_file() else None
    except SubmissionError:
        return None


class Grader:
    """One submission against one spec; `run` never raises on the student's account.

    `reference` is the grader-side reference module (loaded from reference_solutions/ unless
    given: `grade check` passes a replay of the handout's record, `grade build` a recorder).
    """

    def __init__(self, spec: AssignmentSpec, submission: Submission, seed: int,
                 data_dir: Path | None, *, reference: object = LOAD_REFERENCE) -> None:
        self.spec = spec
        self.seed = seed
        self.data_dir = data_dir
        self.reference = load_reference(spec.id) if reference is LOAD_REFERENCE else reference
        # A borrowed part is judged by its home's reference (loaded when first needed).
        self._references: dict[str, object] = {spec.id: self.reference}
        self._given_reference = reference is not LOAD_REFERENCE
        self.notes: list[str] = list(submission.notes)
        self.timings: dict[str, float] = {"kernel_start": 0.0, "execution": 0.0, "checks": 0.0}
        self.submission = self._prepared(submission)

    def _prepared(self, submission: Submission) -> Submission:
        """The cells to run: the self-check cell emptied, locked cells compared (and restored
        when the spec says so)."""
        handout = _handout_notebook(self.spec)
        cells, notes = locked.compare_locked(submission, handout,
                                             restore=self.spec.locked_cells == "restore")
        self.notes.extend(notes)
        cells = tuple(dataclasses.replace(c, source="") if SELF_CHECK_MARKER in c.source else c
                      for c in cells)
        return dataclasses.replace(submission, cells=cells)

    def run(self, parts: list[PartSpec]) -> GradeReport:
        started = time.perf_counter()
        results: dict[str, PartResult] = {}
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = Path(tmp) / "work"
            run_dir.mkdir()
            # Every home's data, whatever parts are graded: running only the definitions can
            # still reach another question's loading code (a name both questions bind).
            self._write_modules(run_dir)
            staged = self._stage(run_dir)
            files = {p.id: self._file_of(p) for p in parts}
            results.update({p.id: self._file_missing(p) for p in parts
                            if not p.by_hand and files[p.id] is None})
            # Parts of one home share a kernel: a home's full run stops where that home says
            # (e.g. before a later question reuses the name its checks read). In a folder
            # submission, parts reading different files get different kernels.
            for mode in ("definitions", "full"):
                for home in (self.spec, *self.spec.homes):
                    for file in dict.fromkeys(f for f in files.values() if f is not None):
                        group = [p for p in parts if p.run == mode and not p.by_hand
                                 and self.spec.home_of(p) is home and files[p.id] == file]
                        if group:
                            source = (self.submission.only_file(file) if file
                                      else self.submission)
                            results.update(self._grade_group(group, mode, run_dir, staged,
                                                             home, source))
        for part in parts:
            if part.by_hand:
                cells = self._answer_cells(part)
                results[part.id] = PartResult(
                    part_id=part.id, title=part.title, marks=part.marks, by_hand=True,
                    answer="\n\n".join(c.as_markdown() for c in cells if c.source.strip()),
                    figures=tuple(image for c in cells for image in c.images))
        self.timings["total"] = time.perf_counter() - started
        return GradeReport(
            assignment_id=self.spec.id, assignment_title=self.spec.title,
            submission=str(self.submission.path), seed=self.seed,
            parts=tuple(results[p.id] for p in parts), notes=tuple(dict.fromkeys(self.notes)),
            timings={k: round(v, 3) for k, v in self.timings.items()},
            public_seed=self.spec.public_seed if any(
                c.visibility == "public" for p in parts for c in p.checks) else None,
        )

    def _file_of(self, part: PartSpec) -> str | None:
        """The file of a folder submission a part reads ("" for every file, or for a submission
        of one file); None when the submission holds none of the part's files (a submission of
        one file, when its name and cells fit neither the part's names nor its `file_holds`)."""
        if not part.file:
            return ""
        if self.submission.format != "folder":
            if not part.file_holds or self.submission.fits(part.file, part.file_holds):
                return ""
            return None
        return self.submission.pick_file(part.file, part.file_holds)

    def _file_missing(self, part: PartSpec) -> PartResult:
        names = " or ".join(part.file.split("|"))
        held = ", ".join(self.submission.file_names() or (self.submission.path.name,))
        looked = names + (f", nor a file whose cells match `{part.file_holds}`"
                          if part.file_holds else "")
        message = (f"Part {part.id} reads {looked}; your submission holds no such file (it "
                   f"holds {held}). Hand in every file the assignment asks for, named as the "
                   "handout names it.")
        return PartResult(part_id=part.id, title=part.title, marks=part.marks, checks=tuple(
            CheckResult(c.id, c.title or c.id, c.marks, 0.0, message=message,
                        visibility=c.visibility, details={"mistake": "file_missing"})
            for c in part.checks))

    def _write_modules(self, run_dir: Path) -> None:
        """A folder submission's modules beside the kernel, so its scripts import them (the
        handout's support files are written after, over a student's copy of them)."""
        support = dict(self.spec.support_sources())
        for name, text in self.submission.files:
            (run_dir / name).write_text(text, encoding="utf-8")
            given = support[name] / name if name in support else None
            if given is not None and given.read_text(encoding="utf-8") != text:
                self.notes.append(f"{name}: the handout's copy was used instead of yours")

    def _stage(self, run_dir: Path) -> dict[str, Path]:
        staged = [f for data, folder in self.spec.data_sources()
                  for f in datafiles.stage_data([(data.name, data.standin)], run_dir,
                                                self.data_dir, folder)]
        for name, folder in self.spec.support_sources():
            datafiles.stage_support_files([name], folder, run_dir)
        for f in staged:
            if f.origin == "stand-in":
                self.notes.append(f"{f.name}: a stand-in made by the grader was used (pass "
                                  "--data DIR to use the course's own file)")
        return {f.name: f.path for f in staged}

    def _grade_group(self, parts: list[PartSpec], mode: str, run_dir: Path,
                     staged: dict[str, Path], home: AssignmentSpec,
                     source: Submission) -> dict[str, PartResult]:
        """Run what the parts need in one kernel and grade them there. When a cell of the
        student's ends the kernel, the parts are graded in a fresh kernel that ran only the
        cells before it: what the notebook does later must not cost a right function its marks."""
        needed = sorted({n for p in parts for n in p.needs})
        stop_before: int | None = None
        first_note = len(self.notes)
        while True:
            with KernelSession(run_dir, self.spec.limits, mode=mode) as session:
                self.timings["kernel_start"] += session.record.kernel_seconds
                kernel = KernelProxy(session, call_seconds=self.spec.limits.call_seconds,
                                     budget_seconds=self.spec.limits.checks_seconds)
                self._execute(session, kernel, mode, needed, stop_before, home,
                              [p.id for p in parts], source)
                self.timings["execution"] += session.record.execution_seconds
                fatal = _cell_that_ended_the_kernel(session.record)
                if fatal is not None and stop_before is None and fatal > 1:
                    stop_before = fatal
                    self.notes.append(
                        f"{session.record.dead}; the parts {', '.join(p.id for p in parts)} were "
                        f"graded in a fresh kernel that ran only the cells before code cell "
                        f"{fatal}")
                    continue
                self._note_run(session.record)
                self._name_file_in_notes(first_note, source)
                started = time.perf_counter()
                kernel.deadline = started + max(
                    0.0, self.spec.limits.checks_seconds - self.timings["checks"])
                graded = {p.id: self._grade_part(p, kernel, session.record, staged, source)
                          for p in parts}
                self.timings["checks"] += time.perf_counter() - started
                return graded

    def _execute(self, session: KernelSession, kernel: KernelProxy, mode: str,
                 needed: list[str], stop_before: int | None, home: AssignmentSpec,
                 parts: Sequence[str] = (), source: Submission | None = None) -> None:
        source = source or self.submission
        if mode == "definitions":
            self._run_definitions(session, kernel, needed, stop_before, source)
        else:
            session.run_cells([(c.number, c.source)
                               for c in self._full_run_cells(home, parts, source)
                               if stop_before is None or c.number < stop_before])

    def _run_definitions(self, session: KernelSession, kernel: KernelProxy,
                         needed: list[str], stop_before: int | None = None,
                         source: Submission | None = None) -> None:
        source = source or self.submission
        skip = (*prune.DEFAULT_SKIP_CALLS, *self.spec.skip_calls)
        pruned = [p for p in prune.prune_cells(source.cells, needed, skip)
                  if stop_before is None or p.cell.number < stop_before]
        session.run_cells([(p.cell.number, p.source) for p in pruned])
        missing = [n for n, kind in kernel.describe(needed).items() if kind == "missing"]
        undefined = {m.group(1) for c in session.record.cells if c.error_name == "NameError"
                     for m in [re.search(r"name '(\w+)' is not defined", c.error_value)] if m}
        # Only a name a left-out statement binds is worth a whole run (a failed import, e.g.
        # Colab's drive, would fail there too, after paying for every training loop).
        repairable = prune.names_bound_by_dropped(source.cells, needed, skip)
        bound = prune.names_bound_anywhere(source.cells)
        if session.alive and not (undefined & repairable or any(n in bound for n in missing)):
            return
        # The dependency analysis missed something: run everything, as a notebook would.
        session.record.notes.append("running only the definitions was not enough; ran the "
                                    "whole notebook instead")
        session.record.cells.clear()
        session.record.mode = "full"
        if session.alive:
            session.run_cells([(c.number, c.source) for c in source.code_cells
                               if stop_before is None or c.number < stop_before])

    def _full_run_cells(self, home: AssignmentSpec | None = None,
                        for_parts: Sequence[str] = (),
                        source: Submission | None = None) -> list[Cell]:
        """The code cells a full run executes: all, or those before the first cell (of any
        kind) that matches one of the full_run_stops_before patterns of the spec (and of the
        home whose parts the run is for)."""
        stops = dict.fromkeys([*self.spec.full_run_stops_before,
                               *(home.full_run_stops_before if home is not None else ())])
        patterns = [re.compile(p, re.MULTILINE) for p in stops]
        source = source or self.submission
        for cell in source.cells:
            if any(p.search(cell.source) for p in patterns):
                before = [c for c in source.code_cells if c.index < cell.index]
                which = "parts that need the notebook's state"
                if self.spec.homes and for_parts:  # say which: other homes' parts ran on
                    which = (f"part {for_parts[0]}, which needs the notebook's state,"
                             if len(for_parts) == 1 else f"parts {', '.join(for_parts)}, "
                             "which need the notebook's state,")
                self.notes.append(f"{which} ran code cells 1 to {len(before)} only (the cells "
                                  "after them are not needed for those parts)")
                return before
        return list(source.code_cells)

    def _name_file_in_notes(self, first: int, source: Submission) -> None:
        """Notes of a run of one file of a folder submission name the file: "code cell 3" of
        which notebook is otherwise anyone's guess."""
        files = {c.file for c in source.cells}
        if self.submission.format != "folder" or len(files) != 1:
            return
        name = files.pop()
        self.notes[first:] = [n if n.startswith((f"{name}: ", GRADER_ERROR_NOTE))
                              else f"{name}: {n}" for n in self.notes[first:]]

    def _note_run(self, record: RunRecord) -> None:
        for cell in record.cells:
            if cell.timed_out:
                self.notes.append(f"code cell {cell.number} was stopped after its time limit "
                                  f"({self.spec.limits.cell_seconds:g} s)")
            elif cell.error_name == "MemoryError":
                self.notes.append(f"code cell {cell.number} ran out of memory: the kernel may "
                                  f"use {self.spec.limits.memory_mb} MB. Work on smaller "
                                  "arrays or batches, and free big ones you no longer need")
            elif cell.error_name == "BlockingIOError" or (
                    cell.error_name and "Resource temporarily unavailable" in cell.error_value):
                self.notes.append(f"code cell {cell.number} could not start another process or "
                                  f"thread: the kernel may run {self.spec.limits.processes}")
            elif cell.error_name and "File too large" in cell.error_value:
                self.notes.append(f"code cell {cell.number} wrote a file larger than the "
                                  f"{self.spec.limits.file_mb} MB the kernel may write")
            elif cell.error_name:
                self.notes.append(f"code cell {cell.number} raised {cell.error_name}: "
                                  f"{cell.error_value[:200]}")
            if cell.truncated:
                self.notes.append(f"code cell {cell.number} printed more than "
                                  f"{self.spec.limits.output_chars} characters; the rest was cut")
        if record.dead:
            self.notes.append(record.dead)
        self.notes.extend(record.notes)

    def _grade_part(self, part: PartSpec, kernel: KernelProxy, record: RunRecord,
                    staged: dict[str, Path], source: Submission | None = None) -> PartResult:
        # Public checks draw from the public seed, hidden ones from the run's: they share
        # nothing, so no hidden input or expected value is ever computed for a public check.
        shared: dict[str, dict[str, object]] = {"public": {}, "hidden": {}}
        home = self.spec.home_of(part)
        checks = []
        kernel.begin_part()
        for check in part.checks:
            kind = registry.lookup(check.kind, home.directory, home.id)
            if kind is None:
                raise InternalError(f"check kind {check.kind!r} vanished after the spec loaded")
            check = dataclasses.replace(check, params=kind.with_defaults(check.params))
            public = check.visibility == "public"
            ctx = CheckContext(spec=home, check=check, kernel=kernel, record=record,
                               reference=self._reference_of(home),  # type: ignore[arg-type]
                               data_files=staged,
                               seed=self.spec.public_seed if public else self.seed,
                               shared=shared[check.visibility],
                               submission=source or self.submission)
            checks.append(self._run_check(ctx, kind.function))
        return PartResult(part_id=part.id, title=part.title, marks=part.marks,
                          checks=tuple(checks))

    def _reference_of(self, home: AssignmentSpec) -> object:
        """The reference module of the assignment that defines a part (a reference given to
        the Grader, e.g. a replay of a handout's record, stands for every home)."""
        if home.id not in self._references:
            self._references[home.id] = (self.reference if self._given_reference
                                         else load_reference(home.id))
        return self._references[home.id]

    def _run_check(self, ctx: CheckContext, function: CheckFunction) -> CheckResult:
        check = ctx.check
        if ctx.kernel.out_of_budget:
            return self._out_of_budget(ctx)
        started = time.perf_counter()
        budget_hits = ctx.kernel.budget_hits
        try:
            outcome = function(ctx)
        except ReferenceUnavailable as exc:
            return CheckResult(check.id, check.title or check.id, check.marks, 0.0,
                               message="This check needs the grader's reference for your "
                                       "particular answer, so it runs only when your work is "
                                       "graded; it is not counted here.",
                               visibility=check.visibility,
                               details={"unavailable": str(exc), "mistake": ""})
        except Exception as exc:  # noqa: BLE001 - a bug of ours must not lose the other checks
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.notes.append(f"{GRADER_ERROR_NOTE} in check {check.id}: {detail} (please "
                              "report this; the check scored 0)")
            return CheckResult(check.id, check.title or check.id, check.marks, 0.0,
                               message=f"The grader itself failed on this check ({detail}). "
                                       "Your instructor has been told.",
                               visibility=check.visibility)
        if outcome.fraction < 1 and ctx.kernel.budget_hits > budget_hits:
            outcome.mistake = OUT_OF_BUDGET
            self._note_budget()
        hint = check.hints.get(outcome.mistake, "") if outcome.fraction < 1 else ""
        hint = resolve_numbers(hint, self.spec, ctx.spec)  # the question numbers of this course
        # A generic kind's named wrong answer carries the spec's hint with it.
        hint = hint or str(outcome.details.pop("hint", "") if outcome.fraction < 1 else "")
        return CheckResult(
            check_id=check.id, title=check.title or check.id, marks=check.marks,
            fraction=outcome.fraction, message=outcome.message, hint=hint,
            visibility=check.visibility,
            details={**outcome.details, "mistake": outcome.mistake},
            seconds=round(time.perf_counter() - started, 3),
        )

    def _out_of_budget(self, ctx: CheckContext) -> CheckResult:
        """A check that was not run: the submission's checks used up their time budget."""
        self._note_budget()
        check, budget = ctx.check, self.spec.limits.checks_seconds
        return CheckResult(
            check.id, check.title or check.id, check.marks, 0.0, visibility=check.visibility,
            message=f"Not checked: the checks of this submission used up their time budget "
                    f"({budget:g} s, limits.checks_seconds) before this one started. Calls "
                    "into your code took that time (the checks above say which); make them "
                    "faster and this check runs.",
            details={"mistake": OUT_OF_BUDGET})

    def _note_budget(self) -> None:
        self.notes.append(f"the checks stopped after their time budget "
                          f"({self.spec.limits.checks_seconds:g} s); the checks left failed "
                          "unrun")

    def _answer_cells(self, part: PartSpec) -> list[Cell]:
        """The cells from the first one matching the part's start pattern up to its stop."""
        file = self._file_of(part)
        if part.answer is None or file is None:
            return []
        start = re.compile(part.answer.start)
        stop = re.compile(part.answer.stop) if part.answer.stop else None
        taken: list[Cell] = []
        for cell in self.submission.only_file(file).cells if file else self.submission.cells:
            if not taken and start.search(cell.source):
                taken.append(cell)
            elif taken:
                if stop is not None and stop.search(cell.source):
                    break
                taken.append(cell)
        return taken
