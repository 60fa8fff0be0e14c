"""`grade check`: a student runs the public checks on their own machine.

Works from the handout alone: the public spec and the reference's recorded answers sit in
`public_checks/<id>/` beside the notebook. The checks, messages and inputs (the public seed) are
the ones the real grader uses; hidden checks and the parts read by a marker run only at grading,
and the report says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from graders.build import PUBLIC_DIR, RECORD_NAME
from graders.errors import SubmissionError, UsageError
from graders.execute import ISOLATION_NOTE
from graders.grading import Grader, _ungraded, public_only, select_parts
from graders.notebook import read_submission
from graders.recorded import ReplayReference
from graders.reports.markdown import render_part
from graders.results import GradeReport, Status
from graders.spec import AssignmentSpec, known_assignments, load_assignment, load_spec


def find_public_spec(notebook: Path, assignment: str | None) -> Path | None:
    """public_checks/<id>/spec.yaml beside the notebook, in a folder above it, or in the
    current folder."""
    for folder in (notebook.resolve().parent, *notebook.resolve().parents, Path.cwd()):
        base = folder / PUBLIC_DIR
        if not base.is_dir():
            continue
        if assignment:
            candidate = base / assignment / "spec.yaml"
            if candidate.is_file():
                return candidate
            continue
        found = sorted(base.glob("*/spec.yaml"))
        if len(found) == 1:
            return found[0]
    return None


def check_notebook(notebook: str | Path, parts: Sequence[str] = (),
                   assignment: str | None = None) -> tuple[GradeReport, AssignmentSpec]:
    """Run the public checks (of `parts`, or all) on a saved notebook."""
    path = Path(notebook)
    try:
        submission = read_submission(path)
    except SubmissionError as exc:
        return _ungraded(None, str(path), 0, str(exc)), None  # type: ignore[return-value]
    wanted = assignment or submission.assignment_id
    spec_path = find_public_spec(path, wanted)
    if spec_path is not None:
        spec = load_spec(spec_path)
        reference: object = ReplayReference(spec.directory / RECORD_NAME)
        data_dir = spec.directory.parent.parent  # the handout folder, which holds the data
    elif wanted and wanted in known_assignments():  # an instructor's checkout
        spec = load_assignment(wanted)
        from graders.grading import LOAD_REFERENCE

        # Each part's own reference (a borrowed part's is its home's).
        reference, data_dir = LOAD_REFERENCE, None
    else:
        raise UsageError(f"{path}: no {PUBLIC_DIR}/ folder found beside the notebook; run "
                         "`grade check` on the notebook inside the handout folder you were "
                         "given (or pass --assignment ID)")
    chosen = public_only(select_parts(spec, parts))
    grader = Grader(spec, submission, spec.public_seed, data_dir, reference=reference)
    return grader.run(chosen), spec


def render_check_report(report: GradeReport, spec: AssignmentSpec | None,
                        parts: Sequence[str] = ()) -> str:
    if spec is None or not report.graded:
        return f"Could not check {report.submission}: {report.problem}\n"
    checks = [c for part in report.parts for c in part.checks]
    passed = sum(c.status is Status.PASSED for c in checks)
    lines = [f"# {spec.title}: public checks", "",
             f"Notebook: `{report.submission}`  ",
             f"Public checks passed: **{passed} of {len(checks)}, "
             f"{report.score:g} / {report.max_score:g} marks** "
             f"(inputs from the public seed {spec.public_seed}, the same as at grading)"]
    for part in report.parts:
        lines += [""] + render_part(part)
    lines += ["", "## Checked only when your work is graded", ""]
    later = _graded_later(spec, parts)
    lines += [f"- {line}" for line in later] or ["- nothing: every check is public"]
    lines += ["", "Passing every public check does not mean full marks: hidden checks use other "
                  "inputs, and a marker reads your written answers."]
    unavailable = [c.check_id for p in report.parts for c in p.checks
                   if c.details.get("unavailable")]
    if unavailable:
        lines += ["", f"{len(unavailable)} check(s) ({', '.join(unavailable)}) could not run "
                      "here and will run at grading."]
    # Isolation protects the grader from the notebook; on the student's own machine it is no
    # concern of theirs.
    notes = [n for n in report.notes if not n.startswith(ISOLATION_NOTE)]
    if notes:
        lines += ["", "## Notes from running your notebook", ""]
        lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def _marks(value: float) -> str:
    return f"{value:g} mark" + ("" if value == 1 else "s")


def _graded_later(spec: AssignmentSpec, parts: Sequence[str]) -> list[str]:
    lines = []
    for part in select_parts(spec, parts):
        hidden = part.hidden_marks + sum(c.marks for c in part.checks
                                         if c.visibility == "hidden")
        if part.by_hand:
            lines.append(f"{part.id}. {part.title}: {_marks(part.marks)}, read by a marker")
        elif hidden:
            lines.append(f"{part.id}. {part.title}: hidden checks worth {_marks(hidden)}")
    return lines
