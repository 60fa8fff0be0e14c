"""Gradescope's results.json: top-level score, tests with name/number/score/max_score/status/
output/visibility. Hidden checks are shown after grades are published."""

from __future__ import annotations

from typing import Any

from graders.reports.markdown import student_message
from graders.results import GradeReport


def to_gradescope(report: GradeReport,
                  by_hand: dict[str, tuple[float, str]] | None = None) -> dict[str, Any]:
    """by_hand: marks and comment per part marked by hand so far; those parts become tests
    and count in the score (parts not marked yet are left out)."""
    tests = []
    by_hand = by_hand or {}
    for part in report.parts:
        if part.by_hand:
            if part.part_id in by_hand:
                marks, note = by_hand[part.part_id]
                tests.append({
                    "name": f"{part.part_id} {part.title} (marked by hand)",
                    "number": part.part_id, "score": marks, "max_score": part.marks,
                    "status": "passed" if marks >= part.marks else "failed",
                    "output": note, "visibility": "visible"})
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
    hand_parts = [p for p in report.parts if p.by_hand and p.part_id in by_hand]
    return {
        "score": report.score + sum(by_hand[p.part_id][0] for p in hand_parts),
        "max_score": report.max_score + sum(p.marks for p in hand_parts),
        "execution_time": round(report.timings.get("total", 0.0), 1),
        "output": output.strip() + f"\nRandom seed: {report.seed}",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
