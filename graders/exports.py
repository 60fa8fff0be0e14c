"""Everything a batch hands back, made from the gradebook alone (so `grade mark` can refresh it):

    gradebook.csv          one row per student: each part, automatic, by hand and total marks
    canvas.csv             Canvas's gradebook import format, one assignment column
    results/<student>/results.json   Gradescope's format
    feedback/<student>.md, .html     the student's report, with marks entered by hand
    summary.html           the class summary (graders.reports.summary)
    similarity.html, .csv  near-identical pairs of submissions, for the instructor to look at
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

from graders.gradebook import Gradebook
from graders.reports.gradescope import to_gradescope
from graders.reports.html import render_html
from graders.reports.markdown import render_markdown
from graders.reports.summary import render_summary_html
from graders.similarity import similar_pairs
from graders.spec import AssignmentSpec


def safe_name(student: str) -> str:
    """A student id as a file name (ids come from file names, but may hold odd characters)."""
    return re.sub(r"[^A-Za-z0-9._@-]", "_", student).lstrip(".") or "_"


def _marks(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A cell a student controls (an id from a file name, a note), made inert for spreadsheets:
    one starting like a formula gets a leading quote, as OWASP advises against CSV injection.
    Numbers we write ourselves do not pass through here and stay numbers."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def write_gradebook_csv(gradebook: Gradebook, path: Path) -> None:
    columns = gradebook.part_columns()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *[c[0] for c in columns], "automatic", "by_hand", "total",
                         "graded", "problem"])
        writer.writerow(["(out of)", *[_marks(c[2]) for c in columns],
                         _marks(sum(c[2] for c in columns if not c[3])),
                         _marks(sum(c[2] for c in columns if c[3])),
                         _marks(sum(c[2] for c in columns)), "", ""])
        for row in gradebook.rows():
            writer.writerow([csv_text(row["student"]),
                             *[_marks(row["parts"].get(c[0])) for c in columns],
                             _marks(row["auto"]), _marks(row["by_hand"]), _marks(row["total"]),
                             "yes" if row["graded"] else "no", csv_text(row["problem"])])


def write_canvas_csv(gradebook: Gradebook, spec: AssignmentSpec, path: Path) -> None:
    """Canvas gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then one column
    per assignment ("Points Possible" in the second row). Our student id goes in SIS Login ID;
    Canvas matches rows by it."""
    title = f"{spec.title} ({spec.id})"
    total = sum(p.marks for p in spec.parts)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title])
        writer.writerow(["Points Possible", "", "", "", "", _marks(total)])
        for row in gradebook.rows():
            student = csv_text(row["student"])
            writer.writerow([student, "", "", student, "", _marks(row["total"])])


def _manual_section(gradebook: Gradebook, student: str) -> list[tuple[str, float, str]]:
    """(part, marks, comment) per part marked by hand; rubric items' comments join the note."""
    rubric = gradebook.rubric_comments(student)
    found = []
    for part, marks, note in gradebook.db.execute(
            "SELECT part_id, marks, note FROM manual_marks WHERE student = ? ORDER BY part_id",
            (student,)):
        items = [f"{name} ({delta:+g})" + (f": {comment}" if comment else "")
                 for name, delta, comment in rubric.get(part, [])]
        found.append((part, marks, "; ".join([*items, *([note] if note else [])])))
    return found


def write_student_feedback(gradebook: Gradebook, student: str, folder: Path,
                           results: Path) -> None:
    """One student's feedback pages and Gradescope results.json, with the marks given by hand."""
    report = gradebook.report(student)
    name = safe_name(student)
    manual = _manual_section(gradebook, student)
    markdown = render_markdown(report)
    page = render_html(report)
    if manual:
        markdown += "\n## Marks from your marker\n\n" + "".join(
            f"- {p}: {m:g}" + (f" ({n})" if n else "") + "\n" for p, m, n in manual)
        items = "".join(f"<li>{html.escape(p)}: {m:g}"
                        + (f" ({html.escape(n)})" if n else "") + "</li>"
                        for p, m, n in manual)
        page = page.replace("</body>", f"<h2>Marks from your marker</h2><ul>{items}</ul>"
                                       "</body>", 1)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(markdown, encoding="utf-8")
    (folder / f"{name}.html").write_text(page, encoding="utf-8")
    target = results / name
    target.mkdir(parents=True, exist_ok=True)
    by_hand = {p: (m, n) for p, m, n in manual}
    (target / "results.json").write_text(json.dumps(to_gradescope(report, by_hand), indent=2),
                                         encoding="utf-8")


def write_feedback(gradebook: Gradebook, folder: Path, results: Path) -> None:
    for student in gradebook.students():
        write_student_feedback(gradebook, student, folder, results)


def write_similarity(gradebook: Gradebook, spec: AssignmentSpec, out: Path,
                     threshold: float = 0.8) -> int:
    paths = {s: Path(p) for s, p in gradebook.db.execute("SELECT student, path FROM submissions")
             if Path(p).is_file()}
    pairs = similar_pairs(paths, spec.directory / "starter.ipynb", threshold)
    with open(out / "similarity.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "other", "similarity"])
        writer.writerows((csv_text(p.first), csv_text(p.second), p.similarity) for p in pairs)
    rows = "".join(f"<tr><td>{html.escape(p.first)}</td><td>{html.escape(p.second)}</td>"
                   f"<td>{p.similarity:.0%}</td></tr>" for p in pairs)
    (out / "similarity.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Similar submissions</title>"
        "</head><body><h1>Submissions whose own code is near-identical</h1>"
        f"<p>{len(pairs)} pair(s) at or above {threshold:.0%} (code the handout gave left out; "
        "names and layout normalised). A lead for a conversation, not evidence of copying: "
        "short or heavily guided answers converge.</p>"
        "<table><tr><th>student</th><th>other</th><th>similarity</th></tr>"
        f"{rows}</table></body></html>", encoding="utf-8")
    return len(pairs)


def refresh_after_marking(gradebook: Gradebook, spec: AssignmentSpec | None, out: Path,
                          students: list[str]) -> None:
    """After marks are saved: the class-wide CSVs, and the feedback of the students whose marks
    changed (the whole class's pages and the similarity report would be too slow per save)."""
    write_gradebook_csv(gradebook, out / "gradebook.csv")
    if spec is not None:
        write_canvas_csv(gradebook, spec, out / "canvas.csv")
    for student in students:
        write_student_feedback(gradebook, student, out / "feedback", out / "results")


def export_all(gradebook: Gradebook, spec: AssignmentSpec, out: Path) -> None:
    write_gradebook_csv(gradebook, out / "gradebook.csv")
    write_canvas_csv(gradebook, spec, out / "canvas.csv")
    write_feedback(gradebook, out / "feedback", out / "results")
    (out / "summary.html").write_text(render_summary_html(gradebook, spec), encoding="utf-8")
    write_similarity(gradebook, spec, out)
