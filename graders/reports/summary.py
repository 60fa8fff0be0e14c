"""The class summary: one HTML page with the figures inline (drawn with matplotlib).

Histogram of totals, pass rate of every check, the most common failure messages with the
students who got them, submissions that could not be graded, and timing outliers.
"""

from __future__ import annotations

import base64
import html
import io
import re
import statistics
from collections import defaultdict
from typing import Any

from graders.gradebook import Gradebook
from graders.spec import AssignmentSpec


def _figure_png(draw: Any) -> str:
    # A bare Figure (rendered by Agg) rather than pyplot: no global figure state, and no
    # pyplot import, which was most of the cost of a class's exports.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2))
    draw(fig.subplots())
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode()


def _img(png: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}">'


def _first_line(message: str) -> str:
    """A failure message's first line with its numbers blanked, so alike failures group."""
    line = message.splitlines()[0] if message else "(no message)"
    return re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "#", line)[:200]


def timing_outliers(seconds: dict[str, float]) -> list[tuple[str, float]]:
    """Submissions slower than the median plus five median absolute deviations (and 10 s)."""
    if len(seconds) < 3:
        return []
    median = statistics.median(seconds.values())
    spread = statistics.median(abs(s - median) for s in seconds.values()) or 1.0
    limit = max(median + 5 * spread, median + 10)
    return sorted(((k, v) for k, v in seconds.items() if v > limit), key=lambda kv: -kv[1])


def render_summary_html(gradebook: Gradebook, spec: AssignmentSpec, top: int = 10) -> str:
    rows = list(gradebook.rows())
    checks = gradebook.checks()
    auto_max = sum(p.marks for p in spec.parts if not p.by_hand)
    totals = [r["auto"] for r in rows if r["graded"]]
    parts = [f"<h1>{html.escape(spec.title)}: class summary</h1>",
             f"<p>{len(rows)} submissions, {len(totals)} graded, "
             f"{len(rows) - len(totals)} could not be graded.</p>"]
    if totals:
        parts.append(f"<p>Automatic marks (out of {auto_max:g}): mean "
                     f"{statistics.fmean(totals):.2f}, median {statistics.median(totals):g}, "
                     f"full marks {sum(t >= auto_max for t in totals)}.</p>")
        parts.append(_img(_figure_png(lambda ax: (
            ax.hist(totals, bins=min(20, max(5, int(auto_max) + 1)), range=(0, auto_max),
                    color="#4c72b0"),
            ax.set_xlabel("automatic marks"), ax.set_ylabel("students"),
            ax.set_title("Totals"))), "histogram of automatic totals"))

    by_check: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for check in checks:
        by_check[(check["part_id"], check["check_id"])].append(check)
    order = [(p.id, c.id) for p in spec.parts for c in p.checks]
    rates = [(key, sum(c["awarded"] >= c["marks"] for c in by_check[key]) / len(by_check[key]))
             for key in order if by_check.get(key)]
    if rates:
        parts.append("<h2>Pass rate per check</h2>")
        parts.append(_img(_figure_png(lambda ax: (
            ax.barh([f"{p}/{c}" for (p, c), _ in rates][::-1],
                    [r * 100 for _, r in rates][::-1], color="#55a868"),
            ax.set_xlim(0, 100), ax.set_xlabel("% of submissions passing"))),
            "pass rate per check"))
        parts.append("<table><tr><th>check</th><th>passed</th></tr>" + "".join(
            f"<tr><td>{html.escape(p)}/{html.escape(c)}</td><td>{r:.0%}</td></tr>"
            for (p, c), r in rates) + "</table>")

    failures: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for check in checks:
        if check["awarded"] < check["marks"]:
            key = (check["part_id"], check["check_id"], _first_line(check["message"]))
            failures[key].append(check["student"])
    common = sorted(failures.items(), key=lambda kv: -len(kv[1]))[:top]
    if common:
        parts.append("<h2>Most common failures</h2><table><tr><th>check</th><th>message</th>"
                     "<th>students</th></tr>")
        for (part, check_id, line), students in common:
            shown = ", ".join(sorted(students)[:30]) + (" ..." if len(students) > 30 else "")
            parts.append(f"<tr><td>{html.escape(part)}/{html.escape(check_id)}</td>"
                         f"<td>{html.escape(line)}</td><td>{len(students)}: "
                         f"{html.escape(shown)}</td></tr>")
        parts.append("</table>")

    ungraded = [r for r in rows if not r["graded"]]
    if ungraded:
        parts.append("<h2>Could not be graded</h2><ul>" + "".join(
            f"<li>{html.escape(r['student'])}: {html.escape(r['problem'])}</li>"
            for r in ungraded) + "</ul>")
    slow = timing_outliers({r["student"]: r["seconds"] for r in rows})
    parts.append("<h2>Timing outliers</h2>" + (
        "<ul>" + "".join(f"<li>{html.escape(s)}: {t:.1f} s</li>" for s, t in slow) + "</ul>"
        if slow else "<p>None: every submission took about as long as the others.</p>"))
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Class summary</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
            "td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left}</style>"
            "</head><body>" + "\n".join(parts) + "</body></html>\n")
