"""The student's report, as Markdown (also read fine as plain text in a terminal)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from graders.notebook import fenced
from graders.results import CheckResult, GradeReport, PartResult


def _marks(value: float) -> str:
    return f"{value:g}"


def student_message(check: CheckResult) -> str:
    """What the student may see: hidden checks show only their first line (no inputs, no
    expected values)."""
    if check.visibility == "hidden":
        first = check.message.splitlines()[0] if check.message else ""
        return f"(hidden check) {first}"
    return check.message


def render_check(check: CheckResult) -> list[str]:
    mark = "PASS" if check.fraction >= 1 else "FAIL"
    lines = [f"- **{mark}** `{check.check_id}` ({_marks(check.awarded)} / "
             f"{_marks(check.marks)} marks)"]
    body = student_message(check)
    if body:
        lines += ["", "  ```", *("  " + line for line in body.splitlines()), "  ```"]
    if check.hint:
        lines += ["", f"  hint: {check.hint}"]
    return lines


def render_part(part: PartResult, figure_links: dict[str, list[str]] | None = None) -> list[str]:
    if part.by_hand:
        lines = [f"### {part.part_id}. {part.title} ({_marks(part.marks)} marks, graded by hand)"]
        answer = part.answer.strip() or "(no answer found in the notebook)"
        lines += ["", "Your answer, as the grader found it:", "", fenced(answer[:4000], "text")]
        links = (figure_links or {}).get(part.part_id, [])
        if links:
            lines += ["", "Figures from your notebook:", ""]
            lines += [f"![{part.part_id} figure {i}]({link})" for i, link in enumerate(links, 1)]
        elif part.figures:
            lines += ["", f"({len(part.figures)} figure(s) in the notebook; see the full report)"]
        return lines
    lines = [f"### {part.part_id}. {part.title}: {_marks(part.awarded)} / {_marks(part.marks)}"]
    for check in part.checks:
        lines += [""] + render_check(check)
    return lines


def write_figures(report: GradeReport, folder: Path, relative_to: Path) -> dict[str, list[str]]:
    """Save the by-hand parts' figures as PNG files; part id -> links relative to the report."""
    links: dict[str, list[str]] = {}
    for part in report.parts:
        for i, png in enumerate(part.figures, 1):
            try:
                data = base64.b64decode(png, validate=True)
            except ValueError:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{part.part_id}-{i}.png"
            target.write_bytes(data)
            links.setdefault(part.part_id, []).append(
                os.path.relpath(target, relative_to).replace(os.sep, "/"))
    return links


def render_markdown(report: GradeReport, figure_links: dict[str, list[str]] | None = None) -> str:
    title = report.assignment_title or report.assignment_id
    lines = [f"# {title}: marks report", "",
             f"Submission: `{report.submission}`  "]
    if not report.graded:
        lines += ["", f"**Not graded:** {report.problem}"]
    lines += [f"Automatically graded: **{_marks(report.score)} / {_marks(report.max_score)}**"
              + (f" (plus {_marks(report.by_hand_marks)} marks graded by hand)"
                 if report.by_hand_marks else ""),
              f"Random seed: {report.seed} (regrade with `--seed {report.seed}` to repeat "
              "these inputs)" + (f"; public checks use seed {report.public_seed}"
                                 if report.public_seed is not None else "")]
    for part in report.parts:
        lines += [""] + render_part(part, figure_links)
    if report.notes:
        lines += ["", "## Notes from running your notebook", ""]
        lines += [f"- {note}" for note in report.notes]
    return "\n".join(lines) + "\n"


def render_summary(report: GradeReport) -> str:
    """A few lines for the terminal: totals per part."""
    lines = [f"{report.assignment_id}: {_marks(report.score)} / {_marks(report.max_score)}"
             + ("" if report.graded else f"  (not graded: {report.problem})")]
    for part in report.parts:
        if part.by_hand:
            lines.append(f"  {part.part_id:<6}{'by hand':>14}  {part.title}")
        else:
            lines.append(f"  {part.part_id:<6}{_marks(part.awarded):>6} / {_marks(part.marks):<6}"
                         f"  {part.title}")
    return "\n".join(lines)
