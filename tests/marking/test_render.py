"""Student answers rendered for the marker: math as MathML, code highlighted, and no markup of
the student's own getting through, including through LaTeX."""

from __future__ import annotations

import pytest

from graders.marking.render import answer_key, render_answer


@pytest.mark.parametrize(("answer", "present", "absent"), [
    ("<script>alert(1)</script>", "&lt;script&gt;", "<script"),
    ('<img src=x onerror="alert(1)">', "&lt;img", "<img"),
    ("[x](javascript:alert(1))", "[x](javascript:alert(1))", "href"),
    (r"$\text{<script>alert(1)</script>}$", "&lt;script&gt;", "<script"),
    (r'$\text{<img src=x onerror="alert(1)">}$', "&lt;img", "<img"),
    (r"$$\href{javascript:alert(1)}{x}$$", "<mi>x</mi>", "javascript"),
    (r'$\color{red" onmouseover="x}{a}$', 'mathcolor="red&quot; onmouseover=&quot;x"',
     'onmouseover="'),
    (r"$\frac{\partial L}{\partial W}$", "<mfrac>", "math-error"),
    (r"$x < y \& z$", "<mi>&amp;</mi>", "math-error"),
    ("```python\ndef f(x):\n    return x\n```", '<span class="k">def</span>', "<script"),
])
def test_an_answer_renders_safely(answer, present, absent):
    rendered = render_answer(answer)
    assert present in rendered
    assert absent not in rendered


@pytest.mark.parametrize(("first", "second", "same"), [
    ("It vanishes because  tanh' < 1.", "it vanishes because TANH' < 1", True),
    ("It vanishes.", "It explodes.", False),
])
def test_answers_differing_only_in_case_spacing_and_punctuation_share_a_key(first, second, same):
    assert (answer_key(first) == answer_key(second)) is same
