"""`grade SUBMISSION [options]`: argument parsing -> library call -> exit code."""

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade", description="Grade a student's notebook (.ipynb) or module (.py).")
    parser.add_argument("submission", help="the student's .ipynb or .py file")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _grade(args)
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


def _write(path: str, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
