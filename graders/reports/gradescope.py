"""Gradescope's results.json: top-level score, tests with name/number/score/max_score/status/
output/visibility. Hidden checks are shown after grades are published."""

from __future__ import annotations

from typing import Any

from graders.reports.markdown import student_message
from graders.results import GradeReport


def to_gradescope(report: GradeReport) -> dict[str, Any]:
    tests = []
    for part in report.parts:
        if part.by_hand:
            continue
        for check in part.checks:
            output = student_message(check)
            if check.hint:
                output += f"\nhint: {check.hint}"
            tests.append({
                "name": f"{part.part_id} {part.title}: {check.title}",
                "number": part.part_id,
                "score": check.awarded,
                "max_score": check.marks,
                "status": "passed" if check.fraction >= 1 else "failed",
                "output": output,
                "visibility": "after_published" if check.visibility == "hidden" else "visible",
            })
    output = "" if report.graded else f"Not graded: {report.problem}"
    if report.notes:
        output += "\n".join(["Notes from running your notebook:", *report.notes])
    return {
        "score": report.score,
        "max_score": report.max_score,
        "execution_time": round(report.timings.get("total", 0.0), 1),
        "output": output.strip() + f"\nRandom seed: {report.seed}",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
