"""The student's report, as Markdown (also read fine as plain text in a terminal)."""

from __future__ import annotations

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


def render_part(part: PartResult) -> list[str]:
    if part.by_hand:
        lines = [f"### {part.part_id}. {part.title} ({_marks(part.marks)} marks, graded by hand)"]
        answer = part.answer.strip() or "(no answer found in the notebook)"
        lines += ["", "Your answer, as the grader found it:", "", "```text", answer[:4000], "```"]
        return lines
    lines = [f"### {part.part_id}. {part.title}: {_marks(part.awarded)} / {_marks(part.marks)}"]
    for check in part.checks:
        lines += [""] + render_check(check)
    return lines


def render_markdown(report: GradeReport) -> str:
    title = report.assignment_title or report.assignment_id
    lines = [f"# {title}: marks report", "",
             f"Submission: `{report.submission}`  "]
    if not report.graded:
        lines += ["", f"**Not graded:** {report.problem}"]
    lines += [f"Automatically graded: **{_marks(report.score)} / {_marks(report.max_score)}**"
              + (f" (plus {_marks(report.by_hand_marks)} marks graded by hand)"
                 if report.by_hand_marks else ""),
              f"Random seed: {report.seed} (regrade with `--seed {report.seed}` to repeat "
              "these inputs)"]
    for part in report.parts:
        lines += [""] + render_part(part)
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
