"""A hint that names a question or part says it in each assignment's own numbering: the
RNN question's hint about "the derivations of question 2" says so at home and in A4 (which
borrows the derivations as its question 2), and says something else in A5 (which has none)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graders.errors import SpecError
from graders.spec import assignments_root, load_assignment, resolve_numbers

HINT = ("Your BPTT is not the gradient of your own forward pass; compare each term with "
        "{question:2|the derivations of question #|the chain rule through the unrolled "
        "network, one time step at a time}.")


def _hint(spec, part_id: str) -> str:
    part = spec.part(part_id)
    home = spec.home_of(part)
    gradient = next(c for c in part.checks if "not_gradient_of_forward" in c.hints)
    return resolve_numbers(gradient.hints["not_gradient_of_forward"], spec, home)


@pytest.mark.parametrize(("assignment", "part", "says"), [
    ("rnn_bptt", "3a", "compare each term with the derivations of question 2."),
    ("uw_cs489_a4", "3a", "compare each term with the derivations of question 2."),
    ("uw_cs489_a5", "1a", "compare each term with the chain rule through the unrolled network, "
                          "one time step at a time."),
])
def test_the_bptt_hint_names_the_derivations_in_each_courses_numbering(assignment, part, says):
    spec = load_assignment(assignment)
    assert _hint(spec, part).endswith(says)
    assert "{" not in _hint(spec, part)


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "assignments"
    shutil.copytree(assignments_root() / "rnn_bptt", folder / "rnn_bptt")
    (folder / "course").mkdir()
    monkeypatch.setenv("NNGRADER_ASSIGNMENTS", str(folder))
    return folder


COURSE = """id: course
title: Numbered its own way
questions:
  - id: "7"
    title: Derivations
    from: rnn_bptt
    parts: {2a: 7a, 2b: 7b, 2c: 7c, 2d: 7d}
  - id: "1"
    title: RNN
    from: rnn_bptt
    parts: {3a: 1a, 3b: 1b, 3c: 1c, 3d: 1d}
"""


def _with_hint(root: Path, hint: str) -> None:
    path = root / "rnn_bptt" / "spec.yaml"
    text = path.read_text()
    start = text.index("not_gradient_of_forward: ")
    end = text.index("\n", start)
    path.write_text(text[:start] + f"not_gradient_of_forward: {hint!r}" + text[end:])


def test_a_course_reads_the_home_numbers_as_its_own(root):
    _with_hint(root, "see {question:2} and {part:3a}, then {question:3|question #'s code|x}")
    (root / "course" / "spec.yaml").write_text(COURSE)
    spec = load_assignment("course")
    assert _hint(spec, "1a") == "see question 7 and part 1a, then question 1's code"
    home = load_assignment("rnn_bptt")
    assert _hint(home, "3a") == "see question 2 and part 3a, then question 3's code"


@pytest.mark.parametrize(("hint", "problem"), [
    ("see {question:9|#|x}", "names question '9', which its assignment does not have"),
    ("see {question:2|only one bar}", "not well formed"),
    ("see {question:2}", "names question 2, which this assignment does not hold"),
])
def test_a_hint_naming_what_the_course_lacks_fails_at_load_with_the_fix(root, hint, problem):
    _with_hint(root, hint)
    (root / "course" / "spec.yaml").write_text(COURSE.split('  - id: "7"')[0] + COURSE.split(
        'parts: {2a: 7a, 2b: 7b, 2c: 7c, 2d: 7d}\n')[1])
    with pytest.raises(SpecError) as caught:
        load_assignment("course")
    assert problem in str(caught.value)


def test_the_report_carries_the_hint_in_the_courses_numbering():
    from types import SimpleNamespace

    from graders.checks.base import CheckContext, Outcome
    from graders.grading import Grader
    from graders.notebook import Submission

    spec = load_assignment("uw_cs489_a5")
    part = spec.part("1a")
    check = next(c for c in part.checks if "not_gradient_of_forward" in c.hints)
    grader = Grader(spec, Submission(path=Path("a5.ipynb"), format="ipynb", cells=()), 1, None,
                    reference=None)
    kernel = SimpleNamespace(out_of_budget=False, budget_hits=0)
    ctx = CheckContext(spec=spec.home_of(part), check=check, kernel=kernel,  # type: ignore
                       record=None, reference=None, data_files={}, seed=1,  # type: ignore
                       shared={})
    result = grader._run_check(ctx, lambda _: Outcome(0.0, "off", "not_gradient_of_forward"))
    assert result.hint.endswith("the chain rule through the unrolled network, one time step "
                                "at a time.")
