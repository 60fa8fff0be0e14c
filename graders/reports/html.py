"""The report as one self-contained HTML page: marks, messages, and for the parts graded by hand
the student's answer (Markdown rendered with raw HTML escaped) and figures inline. Opens in any
browser; nothing in it comes from the student unescaped."""

from __future__ import annotations

import base64
import binascii
import html

from markdown_it import MarkdownIt

from graders.reports.markdown import student_message
from graders.results import CheckResult, GradeReport, PartResult

_MARKDOWN = MarkdownIt("commonmark", {"html": False})

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
.pass { color: #176317; font-weight: bold; } .fail { color: #a11; font-weight: bold; }
.hand { color: #555; font-weight: bold; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
.answer { border-left: 4px solid #99b; padding: 0 1rem; background: #fafaff; }
.answer pre { background: #eef; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
.notes li { margin: .3rem 0; }
"""


def _marks(value: float) -> str:
    return f"{value:g}"


def _check(check: CheckResult) -> str:
    verdict = ("<span class='pass'>PASS</span>" if check.fraction >= 1
               else "<span class='fail'>FAIL</span>")
    body = student_message(check)
    parts = [f"<li>{verdict} <code>{html.escape(check.check_id)}</code> "
             f"{html.escape(check.title)} ({_marks(check.awarded)} / {_marks(check.marks)})"]
    if body:
        parts.append(f"<pre>{html.escape(body)}</pre>")
    if check.hint:
        parts.append(f"<p>hint: {html.escape(check.hint)}</p>")
    return "".join(parts) + "</li>"


def _figure(png: str, label: str) -> str:
    try:
        data = base64.b64decode(png, validate=True)
    except (binascii.Error, ValueError):
        return ""
    if not data.startswith(b"\x89PNG"):
        return ""
    encoded = base64.b64encode(data).decode("ascii")  # re-encoded: only base64 characters
    return (f"<figure><img alt='{html.escape(label)}' src='data:image/png;base64,{encoded}'>"
            f"<figcaption>{html.escape(label)}</figcaption></figure>")


def _part(part: PartResult) -> str:
    title = f"{html.escape(part.part_id)}. {html.escape(part.title)}"
    if part.by_hand:
        answer = part.answer.strip()
        rendered = (_MARKDOWN.render(answer) if answer
                    else "<p><em>No answer was found in the notebook.</em></p>")
        figures = "".join(_figure(png, f"{part.part_id}: figure {i}")
                          for i, png in enumerate(part.figures, 1))
        return (f"<section><h2>{title} <span class='hand'>({_marks(part.marks)} marks, graded "
                f"by hand)</span></h2><div class='answer'>{rendered}</div>{figures}</section>")
    checks = "".join(_check(c) for c in part.checks)
    return (f"<section><h2>{title}: {_marks(part.awarded)} / {_marks(part.marks)}</h2>"
            f"<ul>{checks}</ul></section>")


def render_html(report: GradeReport) -> str:
    title = html.escape(report.assignment_title or report.assignment_id)
    head = [f"<h1>{title}: marks report</h1>",
            f"<p>Submission: <code>{html.escape(report.submission)}</code><br>"]
    if not report.graded:
        head.append(f"<strong>Not graded:</strong> {html.escape(report.problem)}<br>")
    by_hand = (f" (plus {_marks(report.by_hand_marks)} marks graded by hand)"
               if report.by_hand_marks else "")
    head.append(f"Automatically graded: <strong>{_marks(report.score)} / "
                f"{_marks(report.max_score)}</strong>{by_hand}<br>"
                f"Random seed: {report.seed} (regrade with <code>--seed {report.seed}</code> to "
                "repeat these inputs)</p>")
    notes = ""
    if report.notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in report.notes)
        notes = f"<h2>Notes from running the notebook</h2><ul class='notes'>{items}</ul>"
    body = "".join(head) + "".join(_part(p) for p in report.parts) + notes
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title}: marks report</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>\n")
