"""`grade SUBMISSION [options]` and `grade build|check|validate ...`: argument parsing -> library
call -> exit code."""

from __future__ import annotations

import argparse
import enum
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from graders.errors import GraderError, InternalError, SpecError, UsageError


class ExitCode(enum.IntEnum):
    GRADED = 0  # whatever the score
    INTERNAL_ERROR = 1
    USAGE_ERROR = 2
    NOT_GRADED = 3  # the submission could not be read
    SPEC_ERROR = 4
    VALIDATION_FAILED = 5  # grade validate found a problem


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade", description="Grade a student's notebook (.ipynb) or module (.py).")
    parser.add_argument("submission", help="the student's .ipynb or .py file, or a folder or "
                        ".zip holding a python/ folder of modules")
    parser.add_argument("--assignment", help="assignment id (default: from the notebook)")
    parser.add_argument("--only", help="comma-separated parts or questions, e.g. 3a,3b")
    parser.add_argument("--data", help="folder with the course's own data files")
    parser.add_argument("--json", help="write Gradescope results.json here")
    parser.add_argument("--report", help="write the report here: a .html file is one page with "
                        "the figures inline; any other name gets Markdown, figures beside it")
    parser.add_argument("--full-json", help="write the complete report (all details) here")
    parser.add_argument("--seed", type=int, help="random seed (default: a fresh one)")
    parser.add_argument("--quiet", action="store_true", help="print only the totals")
    return parser


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade build", description="Build the student handout (a folder and a zip) from "
        "the assignment's master notebook.")
    parser.add_argument("assignment", help="assignment id")
    parser.add_argument("--out", default="handouts", help="output folder (default: handouts)")
    parser.add_argument("--data", help="folder with the course's own data files to ship "
                        "(default: the grader's stand-ins)")
    parser.add_argument("--starter", action="store_true", help="only rewrite "
                        "assignments/<id>/starter.ipynb from the master (after editing it)")
    return parser


def _check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade check", description="Run the public checks on your saved notebook, with the "
        "real grader's messages. Hidden checks run only when your work is graded.")
    parser.add_argument("notebook", help="your saved notebook (.ipynb)")
    parser.add_argument("part", nargs="*", help="only these parts or questions, e.g. 3a")
    parser.add_argument("--assignment", help="assignment id (default: from the notebook)")
    return parser


def _validate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade validate", description="Prove an assignment's checks: the reference gets "
        "full marks, the starter zero, every fixture its expected marks, the handout holds "
        "nothing secret, and mutants of the reference are caught.")
    parser.add_argument("assignment", help="assignment id")
    parser.add_argument("--fixtures", help="folder of fixtures with expected.yaml (default: "
                        "tests/fixtures/<id> when it exists)")
    parser.add_argument("--mutants", type=int, default=40,
                        help="at most this many mutants (default 40; 0 skips mutation analysis)")
    parser.add_argument("--min-score", type=float, default=0.9,
                        help="fail below this fraction of mutants caught (default 0.9)")
    parser.add_argument("--jobs", type=int, default=2, help="grade this many at once")
    parser.add_argument("--report", help="also write the validation report (Markdown) here")
    return parser


def _add_grading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assignment", help="assignment id (default: from the notebooks)")
    parser.add_argument("--only", help="comma-separated parts or questions, e.g. 3a,3b")
    parser.add_argument("--data", help="folder with the course's own data files")
    parser.add_argument("--seed", type=int, help="one random seed for every submission "
                        "(default: a fresh one each, recorded in the gradebook)")


def _batch_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade batch", description="Grade a class: folders, globs or zips of submissions, "
        "in parallel, into a gradebook with exports. Unchanged submissions are not regraded.")
    parser.add_argument("submissions", nargs="+", help="folders, zips or globs of .ipynb/.py")
    _add_grading_options(parser)
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at once")
    parser.add_argument("--out", default="grading", help="output folder (gradebook, exports)")
    parser.add_argument("--force", action="store_true", help="regrade every submission")
    parser.add_argument("--student", action="append", default=[],
                        help="(re)grade only this student; repeat for more")
    parser.add_argument("--id-pattern", help="regular expression with a (?P<student>...) group "
                        "taking the student id from file names (default: the file name)")
    parser.add_argument("--scheduler", help="a Dask scheduler address (tcp://host:8786): "
                        "grade on that cluster; the gradebook stays here")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads per kernel (default 1)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _mark_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade mark", description="Enter marks for parts graded by hand; the totals and "
        "exports update without re-running anything.")
    parser.add_argument("out", help="the batch's output folder (holding gradebook.sqlite)")
    parser.add_argument("entry", nargs="*", help="STUDENT PART MARKS")
    parser.add_argument("--note", default="", help="a comment the student sees")
    parser.add_argument("--csv", help="import a CSV with columns student, part, marks[, note]")
    return parser


def _new_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade new", description="Scaffold a new assignment (spec, reference, master, "
        "starter) that loads and validates as it stands; see docs/authoring.md.")
    parser.add_argument("assignment", help="the new assignment's id, e.g. softmax_loss")
    parser.add_argument("--title", default="", help="its title (default: from the id)")
    return parser


def _docs_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade docs", description="Rewrite the check-kind reference in "
        "docs/authoring.md from the kinds' schemas.")
    parser.add_argument("--check", action="store_true",
                        help="only check: exit 5 when the reference is stale")
    parser.add_argument("--file", help="the document (default: docs/authoring.md)")
    return parser


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade serve", description="Mark the parts graded by hand in the browser: a local "
        "page over the batch's gradebook, opened with the secret link it prints.")
    parser.add_argument("out", help="the batch's output folder (holding gradebook.sqlite)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                        "127.0.0.1: this machine only; give 0.0.0.0 to let other markers in)")
    return parser


SUBCOMMANDS = {"build", "check", "validate", "batch", "mark", "serve", "new", "docs"}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else ""
    try:
        if command == "build":
            return _build(_build_parser().parse_args(argv[1:]))
        if command == "check":
            return _check(_check_parser().parse_args(argv[1:]))
        if command == "validate":
            return _validate(_validate_parser().parse_args(argv[1:]))
        if command == "batch":
            return _batch(_batch_parser().parse_args(argv[1:]))
        if command == "mark":
            return _mark(_mark_parser().parse_args(argv[1:]))
        if command == "new":
            return _new(_new_parser().parse_args(argv[1:]))
        if command == "docs":
            return _docs(_docs_parser().parse_args(argv[1:]))
        if command == "serve":
            return _serve(_serve_parser().parse_args(argv[1:]))
        return _grade(build_parser().parse_args(argv))
    except UsageError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except SpecError as exc:
        print(f"grade: broken assignment spec: {exc}", file=sys.stderr)
        return ExitCode.SPEC_ERROR
    except InternalError as exc:
        print(f"grade: internal error, please report it: {exc}", file=sys.stderr)
        return ExitCode.INTERNAL_ERROR
    except GraderError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return ExitCode.INTERNAL_ERROR


def _grade(args: argparse.Namespace) -> int:
    from graders.grading import GRADER_ERROR_NOTE, grade
    from graders.reports.gradescope import to_gradescope
    from graders.reports.markdown import render_markdown, render_summary, write_figures

    only = [p.strip() for p in args.only.split(",") if p.strip()] if args.only else []
    report = grade(args.submission, assignment=args.assignment, only=only, data_dir=args.data,
                   seed=args.seed)
    if args.json:
        _write(args.json, json.dumps(to_gradescope(report), indent=2))
    if args.full_json:
        _write(args.full_json, json.dumps(report.to_dict(), indent=2))
    if args.report and Path(args.report).suffix.lower() in (".html", ".htm"):
        from graders.reports.html import render_html

        _write(args.report, render_html(report))
    elif args.report:
        report_path = Path(args.report)
        links = write_figures(report, report_path.with_name(report_path.stem + "_figures"),
                              report_path.parent)
        _write(args.report, render_markdown(report, links))
    print(render_summary(report) if args.quiet else render_markdown(report))
    if not report.graded:
        print(f"grade: could not grade {args.submission}: {report.problem}", file=sys.stderr)
        return ExitCode.NOT_GRADED
    if any(n.startswith(GRADER_ERROR_NOTE) for n in report.notes):
        return ExitCode.INTERNAL_ERROR
    return ExitCode.GRADED


def _build(args: argparse.Namespace) -> int:
    from graders.build import build_handout, write_starter

    if args.starter:
        print(f"starter: {write_starter(args.assignment)}")
        return ExitCode.GRADED
    handout = build_handout(args.assignment, Path(args.out),
                            Path(args.data) if args.data else None)
    print(f"handout: {handout.folder}/\nzip:     {handout.zip_path}")
    print(f"public checks: {handout.recorded_calls} reference answers recorded")
    for problem in handout.unrecorded:
        print(f"note: not recorded, so the check using it runs only at grading: {problem}")
    return ExitCode.GRADED


def _check(args: argparse.Namespace) -> int:
    from graders.selfcheck import check_notebook, render_check_report

    parts = [p.strip() for chunk in args.part for p in chunk.split(",") if p.strip()]
    report, spec = check_notebook(args.notebook, parts, args.assignment)
    print(render_check_report(report, spec, parts))
    return ExitCode.GRADED if report.graded else ExitCode.NOT_GRADED


def _validate(args: argparse.Namespace) -> int:
    from graders.validate import validate

    result = validate(args.assignment, fixtures=Path(args.fixtures) if args.fixtures else None,
                      max_mutants=args.mutants, min_score=args.min_score, jobs=args.jobs)
    text = result.render()
    print(text)
    if args.report:
        _write(args.report, text)
    return ExitCode.GRADED if result.ok else ExitCode.VALIDATION_FAILED


def _batch(args: argparse.Namespace) -> int:
    from graders.batch import BatchOptions, resolve_assignment, run_batch
    from graders.exports import export_all
    from graders.gradebook import Gradebook
    from graders.submissions import discover

    out = Path(args.out)
    entries = discover(args.submissions, out / "submissions", args.id_pattern)
    if not entries:
        raise UsageError("no submissions found")
    spec = resolve_assignment(entries, args.assignment)
    if any(".ipynb" in p.file.lower() for p in spec.parts):  # one notebook per problem
        entries = discover(args.submissions, out / "submissions", args.id_pattern,
                           several_notebooks=True)
    options = BatchOptions(
        assignment=spec.id, only=[p.strip() for p in (args.only or "").split(",") if p.strip()],
        data_dir=args.data, seed=args.seed, jobs=args.jobs, force=args.force,
        students=args.student, scheduler=args.scheduler, blas_threads=args.blas_threads,
        progress=not args.quiet)
    summary = run_batch(entries, out, options)
    gradebook = Gradebook(out)
    try:
        export_all(gradebook, spec, out)
    finally:
        gradebook.close()
    print(f"{summary.total} submissions: {summary.graded} graded now, {summary.skipped} "
          f"unchanged, {summary.failed} could not be graded ({summary.seconds:.1f} s)")
    print(f"gradebook: {out / 'gradebook.sqlite'}; exports: {out}/gradebook.csv, canvas.csv, "
          "summary.html, similarity.html, feedback/, results/")
    return ExitCode.GRADED


def _mark(args: argparse.Namespace) -> int:
    from graders.exports import export_all
    from graders.gradebook import Gradebook
    from graders.spec import load_assignment

    out = Path(args.out)
    if not (out / "gradebook.sqlite").is_file():
        raise UsageError(f"{out} holds no gradebook.sqlite; give the folder `grade batch` "
                         "wrote (--out)")
    gradebook = Gradebook(out)
    try:
        if args.csv:
            print(f"{gradebook.import_marks(Path(args.csv))} marks imported")
        elif len(args.entry) == 3:
            student, part, marks = args.entry
            try:
                value = float(marks)
            except ValueError as exc:
                raise UsageError(f"marks must be a number, got {marks!r}") from exc
            gradebook.set_manual_mark(student, part, value, args.note)
        else:
            raise UsageError("give STUDENT PART MARKS, or --csv FILE")
        assignments = {a for (a,) in gradebook.db.execute(
            "SELECT DISTINCT assignment FROM submissions") if a}
        if len(assignments) == 1:
            export_all(gradebook, load_assignment(assignments.pop()), out)
    finally:
        gradebook.close()
    return ExitCode.GRADED


def _new(args: argparse.Namespace) -> int:
    from graders.scaffold import scaffold_assignment

    made = scaffold_assignment(args.assignment, title=args.title)
    for path in (made.spec, made.reference, made.master, made.starter):
        print(f"wrote {path}")
    print(f"next: edit the master and spec, then `grade build {args.assignment} --starter` "
          f"and `grade validate {args.assignment}`")
    return ExitCode.GRADED


def _docs(args: argparse.Namespace) -> int:
    from graders.kind_docs import AUTHORING, update_authoring

    path = Path(args.file) if args.file else AUTHORING
    changed = update_authoring(path, write=not args.check)
    if args.check and changed:
        print(f"grade: {path}'s check-kind reference is stale; run `grade docs`",
              file=sys.stderr)
        return ExitCode.VALIDATION_FAILED
    print(f"{path}: {'rewritten' if changed else 'up to date'}")
    return ExitCode.GRADED


def _serve(args: argparse.Namespace) -> int:
    from graders.marking.server import serve

    serve(Path(args.out), host=args.host, port=args.port)
    return ExitCode.GRADED


def _write(path: str, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
