"""The HTML report renders without a kernel: escaping, inline figures, hidden checks."""

from __future__ import annotations

import base64

from graders.reports.html import render_html
from graders.results import CheckResult, GradeReport, PartResult

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode("ascii")


def _report(**part: object) -> GradeReport:
    return GradeReport(assignment_id="demo", assignment_title="Demo <b>", submission="s.ipynb",
                       seed=7, parts=(PartResult(**part),))


def test_answer_markdown_is_rendered_and_raw_html_escaped():
    page = render_html(_report(part_id="1", title="t", marks=2, by_hand=True,
                               answer="**bold** <img src=x onerror=alert(1)>"))
    assert "<strong>bold</strong>" in page
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert "Demo &lt;b&gt;" in page


def test_figures_are_inline_and_non_png_data_is_dropped():
    page = render_html(_report(part_id="1", title="t", marks=2, by_hand=True,
                               figures=(PNG, base64.b64encode(b"<svg/>").decode(), "%%%")))
    assert page.count("data:image/png;base64,") == 1
    assert f"base64,{PNG}'" in page


def test_hidden_check_shows_only_its_first_line():
    check = CheckResult("c", "t", 1, 0.0, message="wrong\nexpected 42 for input [1, 2]",
                        visibility="hidden")
    page = render_html(_report(part_id="1", title="t", marks=1, checks=(check,)))
    assert "(hidden check) wrong" in page and "expected 42" not in page
