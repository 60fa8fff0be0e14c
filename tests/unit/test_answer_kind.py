"""The generic kinds `answer` and `printed`, judged without a kernel: the notebook's cells and a
stand-in for the kernel's reply to reading a variable."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from graders.checks import registry
from graders.checks.schema import ParamError, SchemaContext
from graders.execute import CellRun, RunRecord
from graders.kernel import Reply
from graders.notebook import Cell, Submission

LABELS = {"f": ["f_t", "ft", "forget gate"], "i": ["i_t", "it", "input gate"]}
INPUTS = {"a": {"names": ["a"], "vector": [1, 0]}, "b": {"names": ["b"], "vector": [0, 1]}}


def exact(x: tuple[float, ...]) -> dict[str, float]:
    return {"f": 0.9 if x[0] else 0.1, "i": 0.2 if x[0] else 0.8}


def context(params: dict[str, Any], cells: list[Cell], printed: dict[int, str] | None = None,
            variable: Any = None) -> SimpleNamespace:
    kind = registry.lookup(params.pop("kind", "answer"))
    assert kind is not None
    known = frozenset({"exact", "measure", "gap_to_two"})
    checked = kind.schema.validate(params, context=SchemaContext(known))
    record = RunRecord(mode="full", cells=[CellRun(number=n, stdout=text)
                                           for n, text in (printed or {}).items()])

    def get(name: str) -> Reply:
        return Reply(results=[variable]) if variable is not None else Reply(problem="missing",
                                                                             missing=name)
    return SimpleNamespace(
        params=checked, once=lambda key, compute: compute(), kernel=SimpleNamespace(get=get),
        record=record, reference=SimpleNamespace(exact=exact, measure=lambda: 0.75),
        submission=Submission(Path("x.ipynb"), "ipynb", tuple(cells)),
        explain=lambda reply, doing: f"`{reply.missing}` is not defined, so could not {doing}.")


def judge(ctx: SimpleNamespace, kind: str = "answer"):
    found = registry.lookup(kind)
    assert found is not None
    return found.function(ctx)  # type: ignore[arg-type]


def md(index: int, text: str) -> Cell:
    return Cell(index=index, kind="markdown", source=text)


def code(index: int, number: int, source: str, saved: str = "") -> Cell:
    return Cell(index=index, kind="code", source=source, number=number, saved_text=saved)


def gates(**more: Any) -> dict[str, Any]:
    return {"labels": LABELS, "inputs": INPUTS, "reference": "exact", **more}


def test_right_numbers_printed_by_a_cell_pass_and_say_where_they_were_read():
    cells = [md(0, "# Q"), code(1, 1, "x = [1, 0]\nprint('ft', f, 'it', i)")]
    outcome = judge(context(gates(input="a"), cells, {1: "ft 0.9000 it 0.2000\n"}))
    assert outcome.fraction == 1
    assert "from code cell 1 (cell 2 of the notebook), printed output, line 1" in outcome.message


def test_a_right_number_next_to_the_wrong_label_is_wrong():
    cells = [code(0, 1, "x = [1, 0]")]
    outcome = judge(context(gates(input="a"), cells, {1: "ft 0.2000 it 0.9000\n"}))
    assert (outcome.fraction, outcome.mistake) == (0, "wrong_values")
    first = outcome.message.splitlines()[0]
    assert first == ("Wrong for input a (x = [1, 0]): f_t = 0.2, i_t = 0.9 from code cell 1 "
                     "(cell 1 of the notebook), printed output, line 1.")
    assert "right value" not in first and "right value is 0.9" in outcome.message


def test_saved_output_is_read_when_the_code_printed_nothing_here():
    cells = [code(0, 1, "x = [0, 1]\nprint(...)", saved="ft 0.1\nit 0.8\n")]
    outcome = judge(context(gates(input="b"), cells))
    assert outcome.fraction == 1 and "saved output (not rerun)" in outcome.message


def test_the_variable_is_read_before_the_text():
    cells = [md(0, "a. $f_t = 0.9$, $i_t = 0.2$")]
    outcome = judge(context(gates(input="a", variable="ans"), cells,
                            variable={"a": {"f": 0.5, "i": 0.2}}))
    assert outcome.mistake == "wrong_values" and "from variable ans" in outcome.message


def test_nothing_found_says_what_was_searched():
    cells = [md(0, "See above."), code(1, 1, "print(0.9)")]
    outcome = judge(context(gates(input="b", variable="ans"), cells, {1: "0.9\n"}))
    assert outcome.mistake == "not_found"
    assert outcome.message.startswith("No number found for f_t, i_t for input b (x = [0, 1]). "
                                      "Searched the variable ans (not defined), the printed "
                                      "output of 1 code cell(s)")


def test_numbers_without_an_input_are_named_in_the_message():
    outcome = judge(context(gates(input="a"), [code(0, 1, "print(...)")],
                            {1: "ft 0.9\nit 0.2\n"}))
    assert outcome.mistake == "not_found" and "Found with no input named: f_t = 0.9" \
        in outcome.message


def test_judge_found_needs_no_reference_and_checks_every_input():
    params = {"labels": LABELS, "inputs": INPUTS, "judge": "found"}
    cells = [md(0, "| | f_t | i_t |\n|---|---|---|\n| a | 0.9 | 0.2 |\n| b | 0.1 | 0.8 |")]
    ctx = context(params, cells)
    ctx.reference = None
    assert judge(ctx).fraction == 1
    cells = [md(0, "| | f_t | i_t |\n|---|---|---|\n| a | 0.9 | 0.2 |")]
    assert judge(context({**params, "labels": LABELS}, cells)).mistake == "not_found"


@pytest.mark.parametrize("params, key", [
    (gates(values=["g"]), "values"),
    (gates(input="c"), "input"),
    ({"labels": LABELS, "inputs": INPUTS}, "reference"),
    (gates(reference="exactly"), "reference"),
    (gates(judge="find"), "judge"),
])
def test_a_broken_answer_check_fails_when_the_spec_loads(params, key):
    kind = registry.lookup("answer")
    assert kind is not None
    with pytest.raises(ParamError) as caught:
        kind.schema.validate(params, context=SchemaContext(frozenset({"exact"})))
    assert caught.value.key == key


@pytest.mark.parametrize("printed, variable, fraction, mistake", [
    ("test accuracy: 0.75\n", 0.75, 1, ""),
    ("Test accuracy = 0.9\n", 0.75, 0, "differs"),
    ("accuracy 0.75\n", 0.75, 0, "not_found"),
])
def test_printed_compares_what_the_notebook_says_with_what_the_grader_measures(
        printed, variable, fraction, mistake):
    ctx = context({"kind": "printed", "labels": ["test accuracy"], "variable": "acc"},
                  [code(0, 1, "print(...)")], {1: printed}, variable=variable)
    outcome = judge(ctx, "printed")
    assert (outcome.fraction, outcome.mistake) == (fraction, mistake)


def test_printed_can_measure_with_a_reference_function():
    ctx = context({"kind": "printed", "labels": ["loss"], "reference": "measure"},
                  [md(0, "Final $\\text{loss} = 0.7501$")])
    outcome = judge(ctx, "printed")
    assert outcome.fraction == 1 and "Markdown cell 1, text, line 1" in outcome.message


def test_only_the_parts_region_is_searched():
    cells = [md(0, "## (a)"), code(1, 1, "x = [1, 0]\nprint(tanh(b))"),
             md(2, "## (b) make f_t small"), code(3, 2, "x = [1, 0]")]
    params = gates(input="a", region={"start": r"\(a\)", "stop": r"\(b\)"})
    outcome = judge(context(params, cells, {1: "ft 0.9000 it 0.2000\n", 2: "ft 0.5 it 0.5\n"}))
    assert outcome.fraction == 1 and "code cell 1 " in outcome.message
    outcome = judge(context({**params, "region": {"start": r"\(b\)"}}, cells,
                            {1: "ft 0.9000 it 0.2000\n", 2: "ft 0.5 it 0.5\n"}))
    assert outcome.mistake == "wrong_values" and "code cell 2 " in outcome.message


def gap_to_two(x: tuple[float, ...]) -> dict[str, object]:
    return {"gap": abs(sum(x) - 2.0), "said": f"the sum is {sum(x):g}"}


def proposal(cells: list[Cell], value: Any = None, **params: Any) -> SimpleNamespace:
    ctx = context({"kind": "proposal", "labels": ["x_t", "x"], "size": 2, **params}, cells,
                  variable=value)
    ctx.reference = SimpleNamespace(gap_to_two=gap_to_two)
    return ctx


@pytest.mark.parametrize("cells, variable, fraction, mistake, said", [
    ([code(0, 1, "x = [1, 1]")], None, 1, "", "With x_t = [1, 1] (code cell 1 (cell 1 of the "
                                               "notebook), code, line 1) the sum is 2: 0"),
    ([md(0, "I take $x_t = [2, 1]$")], None, 0, "too_far", "With x_t = [2, 1] (Markdown cell 1, "
                                                          "text, line 1) the sum is 3: 1 from"),
    ([md(0, "$x_t = [2, 1]$")], [1.5, 0.5], 1, "", "With x_t = [1.5, 0.5] (variable ans)"),
    ([md(0, "x is one and one")], None, 0, "not_found", "No x_t of 2 numbers found. Searched"),
])
def test_a_proposal_is_read_where_written_and_run_through_the_reference(
        cells, variable, fraction, mistake, said):
    ctx = proposal(cells, variable, variable="ans", reference="gap_to_two", tolerance=0.1)
    outcome = judge(ctx, "proposal")
    assert (outcome.fraction, outcome.mistake) == (fraction, mistake)
    assert outcome.message.startswith(said)


def test_a_public_proposal_check_reads_without_the_reference():
    ctx = proposal([code(0, 1, "x = [1, 1]")], judge="found")
    ctx.reference = None
    assert judge(ctx, "proposal").message.startswith("x_t = [1, 1] can be read (code cell 1")


def test_an_earlier_questions_parts_do_not_start_the_region():
    cells = [md(0, "# Question 1\n(a) an RNN"), code(1, 1, "x = [1, 0]"), md(2, "(b) more"),
             md(3, "# Question 2: gates\n(a) compute"), code(4, 2, "x = [1, 0]"),
             md(5, "(b) then")]
    printed = {1: "ft 0.5000 it 0.5000\n", 2: "ft 0.9000 it 0.2000\n"}
    region = {"after": "gates", "start": r"(?m)^\(a\)", "stop": r"(?m)^\(b\)"}
    outcome = judge(context(gates(input="a", region=region), cells, printed))
    assert outcome.fraction == 1 and "code cell 2 " in outcome.message
    del region["after"]
    assert judge(context(gates(input="a", region=region), cells, printed)).fraction == 0
