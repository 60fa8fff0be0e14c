"""Kinds `answer` and `printed`: numbers a student wrote, found wherever they wrote them.

`answer`: numbers worked by hand (the gates of a cell for three inputs, say), each attached to a
label, compared with the values a reference function computes in the grader. The numbers are
read from the handout's variable when the notebook defines it, else from the notebook's printed
output (this run's, or the saved one for cells that printed nothing here), its Markdown and
LaTeX, and its tables (graders/answers.py). With `judge: found` the check only says whether every
number can be read, and never touches the reference: a public check that carries no marks.

`printed`: a number the notebook prints (or writes) under a label, against the value the grader
measures: a variable of the student's run, or a reference function.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from graders import answers
from graders.answers import CellText, Found, InputMarker, Vocabulary
from graders.checks.base import CheckContext, Outcome
from graders.checks.compare import describe_value
from graders.checks.registry import register
from graders.checks.schema import (
    AnyOf,
    Choice,
    Integer,
    ListOf,
    MapOf,
    Number,
    Param,
    Record,
    ReferenceFunction,
    Schema,
    Text,
)

_INPUT = Schema(
    Param("names", ListOf(Text()), [], "other names the text may use for it (`ii`, `2`)"),
    Param("vector", ListOf(Number()), [], "the input itself; text that shows it (`x = [1, 0, "
                                          "0]`) is about this input"),
    doc="one input the numbers are worked for")


def _labels_known(values: Mapping[str, Any]) -> tuple[str, str, str] | None:
    for name in values.get("values") or []:
        if name not in values["labels"]:
            return ("values", f"{name!r} is not one of the labels",
                    f"use one of: {', '.join(values['labels'])}")
    for name in _as_list(values.get("input")):
        if name not in values.get("inputs", {}):
            return ("input", f"{name!r} is not one of the inputs",
                    f"use one of: {', '.join(values.get('inputs', {})) or '(add inputs)'}")
    if values.get("judge") == "values" and not values.get("reference"):
        return ("reference", "judge 'values' compares with a reference function",
                "name the function of reference.py that gives the values")
    return None


_REGION = Schema(
    Param("start", Text(), doc="regular expression: the first cell that matches starts it"),
    Param("stop", Text(), "", "regular expression: the first cell after it that matches ends "
                              "it (before that cell)"),
    Param("after", Text(), "", "regular expression: the start is looked for only from the "
                               "first cell that matches this (the question's title), so an "
                               "earlier question's `(a)` does not start it"),
    doc="the cells a question's answers are looked for in")

ANSWER_PARAMS = Schema(
    Param("labels", MapOf(ListOf(Text())), doc="each label (a short name) with the synonyms a "
          "student may write for it, in the order a tuple of answers gives them"),
    Param("values", ListOf(Text()), [], "the labels this check grades (all when empty)"),
    Param("inputs", MapOf(Record(_INPUT)), {}, "the inputs the numbers are worked for, by id"),
    Param("input", AnyOf(Text(), ListOf(Text())), [], "the input(s) this check grades"),
    Param("variable", Text(), "", "the handout's variable, read first when it is defined"),
    Param("reference", ReferenceFunction(), "", "function of reference.py called with the "
          "input's vector (or id) that returns the right value of each label"),
    Param("judge", Choice("values", "found"), "values", "`found`: only whether every number "
          "can be read (no reference; for a public check)"),
    Param("rtol", Number(minimum=0), 0.01, "a value is right within rtol of the exact one"),
    Param("atol", Number(minimum=0), 5e-5, "... or within atol of it"),
    Param("decimals", Integer(minimum=-1), -1, "... or equal to it at this many decimals "
          "(-1: not used)"),
    Param("region", Record(_REGION), {}, "only these cells are searched (numbers of a later "
          "part must not answer this one); all cells when absent"),
    Param("vector_name", Text(), "x", "what the report calls an input's vector"),
    Param("explain", MapOf(Text()), {}, "per label, how it is computed, shown with a wrong one"),
    rules=(_labels_known,),
    doc="numbers worked by hand, found where the student wrote them")


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def vocabulary(params: Mapping[str, Any]) -> Vocabulary:
    inputs = {ident: InputMarker(tuple(str(n) for n in spec.get("names", [])),
                                 tuple(float(v) for v in spec.get("vector", [])))
              for ident, spec in params.get("inputs", {}).items()}
    return Vocabulary({k: tuple(v) for k, v in params["labels"].items()}, inputs)


def in_region(cells: Sequence[CellText], start: str, stop: str = "",
              after: str = "") -> list[CellText]:
    """The cells from the first Markdown cell matching `start` (at or after the first matching
    `after`) up to (not including) the next Markdown cell matching `stop` (code such as
    `tanh(b)` is no heading)."""
    taken: list[CellText] = []
    looking = not after
    for cell in cells:
        heading = cell.kind == "markdown"
        looking = looking or (heading and re.search(after, cell.source) is not None)
        if not looking:
            continue
        if not taken:
            if heading and re.search(start, cell.source):
                taken.append(cell)
        elif stop and heading and re.search(stop, cell.source):
            break
        else:
            taken.append(cell)
    return taken


def notebook_cells(ctx: CheckContext) -> list[CellText]:
    """The submission's cells as text: Markdown as written, each code cell with what it printed
    in this run or, when it printed nothing here, what the notebook saved."""
    printed: dict[int, str] = {}
    for run in ctx.record.cells:
        if run.number > 0:
            printed[run.number] = printed.get(run.number, "") + run.stdout
    cells = []
    for cell in ctx.submission.cells if ctx.submission is not None else ():
        if cell.kind == "code":
            here = printed.get(cell.number, "")
            place = "output" if here.strip() or not cell.saved_text.strip() else "saved output"
            cells.append(CellText(cell.index + 1, "code", cell.source, cell.number,
                                  here if place == "output" else cell.saved_text, place))
        elif cell.kind == "markdown":
            cells.append(CellText(cell.index + 1, "markdown", cell.source))
    return cells


def gather(ctx: CheckContext, vocab: Vocabulary) -> tuple[list[Found], str, list[CellText]]:
    """Every labelled number, the state of the handout's variable ('' when read), the cells."""
    variable = ctx.params.get("variable", "")
    state, found = "", []
    if variable:
        reply = ctx.once(("get", variable), lambda: ctx.kernel.get(variable))
        if reply.ok:
            found = answers.find_in_variable(reply.results[0], variable, vocab)
            state = "" if found else f"holds {describe_value(reply.results[0])}, no labelled " \
                                     "number"
        else:
            state = "not defined" if reply.problem == "missing" else reply.problem
    cells = ctx.once(("answer-cells",), lambda: notebook_cells(ctx))
    region = ctx.params.get("region") or {}
    if region:
        cells = in_region(cells, region["start"], region.get("stop", ""),
                          region.get("after", ""))
    found += ctx.once(("answer-text", repr(vocab), repr(region)),
                      lambda: answers.find_in_text(cells, vocab))
    return found, state, cells


def _name(params: Mapping[str, Any], label: str) -> str:
    synonyms = params["labels"].get(label) or []
    return str(synonyms[0]) if synonyms else label


def _input_title(params: Mapping[str, Any], ident: str | None) -> str:
    if ident is None:
        return ""
    vector = params.get("inputs", {}).get(ident, {}).get("vector") or []
    shown = f" ({params['vector_name']} = [{', '.join(f'{v:g}' for v in vector)}])" if vector \
        else ""
    return f"input {ident}{shown}"


def _right(value: float, exact: float, params: Mapping[str, Any]) -> bool:
    if abs(value - exact) <= max(float(params["rtol"]) * abs(exact), float(params["atol"])):
        return True
    decimals = int(params["decimals"])
    return decimals >= 0 and round(value, decimals) == round(exact, decimals)


def _where(params: Mapping[str, Any], found: Sequence[Found]) -> str:
    """'f_t = 0.982, i_t = 0.011 from code cell 3 (...), printed output, line 2; ...'"""
    by_place: dict[str, list[str]] = {}
    for f in found:
        place = f.where.describe()
        if f.where.place == "variable":
            place = "variable " + f.where.name.split("[", 1)[0]
        by_place.setdefault(place, []).append(f"{_name(params, f.label)} = {f.value:.4g}")
    return "; ".join(f"{', '.join(v)} from {p}" for p, v in by_place.items())


def _not_found(params: Mapping[str, Any], missing: list[tuple[str, str | None]],
               found: list[Found], cells: list[CellText], state: str) -> Outcome:
    by_input: dict[str | None, list[str]] = {}
    for label, ident in missing:
        by_input.setdefault(ident, []).append(_name(params, label))
    names = "; ".join(f"{', '.join(labels)}" + (f" for {_input_title(params, ident)}"
                                                if ident else "")
                      for ident, labels in by_input.items())
    unplaced = [f for label in dict.fromkeys(label for label, _ in missing)
                for f in answers.unplaced(found, label)][:3]
    elsewhere = ""
    if unplaced:
        elsewhere = (" Found with no input named: " + "; ".join(
            f"{_name(params, f.label)} = {f.value:.4g} at {f.where.describe()}" for f in unplaced)
            + ". Say which input each number is for (a line such as `input ii`, or the input "
            "itself, before it).")
    label = _name(params, missing[0][0])
    return Outcome.failed(
        f"No number found for {names}. "
        + answers.describe_search(cells, params.get("variable", ""), state)
        + f" A number counts when its label is next to it, as in `{label} = 0.5` or "
        f"`{label} 0.5`, printed or in Markdown." + elsewhere
        + (" Only the cells from this part's heading to the next part's were searched."
           if params.get("region") else ""), mistake="not_found")


@register("answer", params=ANSWER_PARAMS, mistakes=("not_found", "wrong_values"))
def check_answer(ctx: CheckContext) -> Outcome:
    """Numbers worked by hand for one or more inputs, each next to its label, against the values
    a reference function gives (or, with `judge: found`, only whether each can be read)."""
    p = ctx.params
    vocab = vocabulary(p)
    found, state, cells = gather(ctx, vocab)
    labels = list(p["values"] or p["labels"])
    inputs: list[str | None] = list(_as_list(p["input"])) or (
        [None] if not vocab.inputs else list(vocab.inputs))
    picked: dict[tuple[str, str | None], Found] = {}
    missing = []
    for ident in inputs:
        for label in labels:
            answer = answers.choose(found, label, ident)
            if answer is None:
                missing.append((label, ident))
            else:
                picked[(label, ident)] = answer
    if missing:
        return _not_found(p, missing, found, cells, state)
    read = _where(p, list(picked.values()))
    if p["judge"] == "found":
        return Outcome.passed(f"Every number can be read: {read}. The values are checked when "
                              "your work is graded.", read_from=read)
    wrong, right, shown = [], [], []
    for ident in inputs:
        spec = vocab.inputs.get(ident) if ident else None
        exact = getattr(ctx.reference, p["reference"])(
            spec.vector if spec is not None and spec.vector else ident)
        for label in labels:
            answer = picked[(label, ident)]
            target = float(exact[label])
            if _right(answer.value, target, p):
                right.append(answer)
                continue
            wrong.append(answer)
            explain = p["explain"].get(label, "")
            shown.append(f"{_name(p, label)}: you have {answer.value:.4g}, the right value is "
                         f"{target:.4g}" + (f" ({explain})" if explain else ""))
    about = " and ".join(_input_title(p, i) for i in inputs if i) or "the answer"
    if wrong:
        # The first line is all a hidden check shows a student: their numbers and where they
        # were read, never the right values (the marker sees the lines after it).
        first = f"Wrong for {about}: {_where(p, wrong)}" + (
            f" (right: {', '.join(_name(p, f.label) for f in right)})" if right else "") + "."
        rule = (f"A value counts as right within {float(p['rtol']):.0%} of the exact one or "
                f"within {float(p['atol']):g} of it.")
        return Outcome.failed("\n  ".join([first, *shown]) + "\n" + rule,
                              mistake="wrong_values", read_from=read)
    names = ", ".join(_name(p, label) for label in labels)
    return Outcome.passed(f"{names} for {about} are right; read {read}.", read_from=read)


PRINTED_PARAMS = Schema(
    Param("labels", ListOf(Text(), min_items=1), doc="what the notebook calls the number "
          "(`test accuracy`, `loss`), each a synonym"),
    Param("variable", Text(), "", "the value measured: a variable of the student's run"),
    Param("reference", ReferenceFunction(), "", "... or a reference function called with no "
          "arguments"),
    Param("rtol", Number(minimum=0), 0.01, "right within rtol of the measured value"),
    Param("atol", Number(minimum=0), 0.0, "... or within atol of it"),
    rules=(lambda v: None if bool(v["variable"]) != bool(v["reference"]) else (
        "variable", "give either variable or reference", "name what the grader measures"),),
    doc="a number the notebook reports against what the grader measures")


@register("printed", params=PRINTED_PARAMS, mistakes=("not_found", "not_defined", "differs"))
def check_printed(ctx: CheckContext) -> Outcome:
    """A number the notebook prints or writes next to a label against the grader's measurement
    of the same quantity: what it reports must be what its code computes."""
    p = ctx.params
    vocab = Vocabulary({"value": tuple(p["labels"])})
    cells = ctx.once(("answer-cells",), lambda: notebook_cells(ctx))
    found = answers.find_in_text(cells, vocab)
    shown = answers.choose(found, "value", None)
    if shown is None:
        return Outcome.failed(f"No number found next to {p['labels'][0]!r}. "
                              + answers.describe_search(cells), mistake="not_found")
    if p["variable"]:
        reply = ctx.once(("get", p["variable"]), lambda: ctx.kernel.get(p["variable"]))
        if not reply.ok:
            return Outcome.failed(ctx.explain(reply, f"read {p['variable']}"),
                                  mistake="not_defined")
        measured = answers.as_number(reply.results[0])
        if measured is None:
            return Outcome.failed(f"{p['variable']} should be one number; it is "
                                  f"{describe_value(reply.results[0])}.", mistake="not_defined")
    else:
        measured = float(getattr(ctx.reference, p["reference"])())
    gap = abs(shown.value - measured)
    where = shown.where.describe()
    if gap > max(float(p["rtol"]) * abs(measured), float(p["atol"])):
        return Outcome.failed(f"{p['labels'][0]} reads {shown.value:.5g} ({where}), but the "
                              f"grader measures {measured:.5g}: {gap:.3g} apart. Report the "
                              "value your code computes, from a run of the final code.",
                              mistake="differs", gap=gap)
    return Outcome.passed(f"{p['labels'][0]} = {shown.value:.5g} ({where}) agrees with the "
                          f"measured {measured:.5g}.", gap=gap)


PROPOSAL_PARAMS = Schema(
    Param("labels", ListOf(Text(), min_items=1), doc="what the student may call the vector "
          "(`x_t`, `x`), each a synonym"),
    Param("size", Integer(minimum=1), doc="how many numbers it holds"),
    Param("long_labels", ListOf(Text()), [], "names of a longer form whose first `leading` "
          "entries are not part of it (`v` for `v = [h0, x1, x2, x3]`)"),
    Param("leading", Integer(minimum=0), 0, "entries in front in the longer form"),
    Param("variable", Text(), "", "the handout's variable, read first when it is defined"),
    Param("region", Record(_REGION), {}, "only these cells are searched"),
    Param("reference", ReferenceFunction(), "", "function of reference.py called with the "
          "vector that returns {'gap': distance from the target, 'said': what it reached}"),
    Param("judge", Choice("reaches", "found"), "reaches", "`found`: only whether it can be "
          "read (no reference; for a public check)"),
    Param("tolerance", Number(minimum=0), 1e-3, "the largest gap that reaches the target"),
    rules=(lambda v: ("reference", "judge 'reaches' runs a reference function",
                      "name the function of reference.py that measures the gap")
           if v["judge"] == "reaches" and not v["reference"] else None,),
    doc="a vector the student proposes, run through a reference function")


def _shown(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


@register("proposal", params=PROPOSAL_PARAMS, mistakes=("not_found", "too_far"))
def check_proposal(ctx: CheckContext) -> Outcome:
    """A proposed vector (an input that should make a model do something), read from the
    handout's variable or wherever the student wrote it (code, printed output, Markdown), and
    the distance from the target a reference function measures for it."""
    p = ctx.params
    name, size, leading = p["labels"][0], int(p["size"]), int(p["leading"])
    vector, where, state = None, "", ""
    if p["variable"]:
        reply = ctx.once(("get", p["variable"]), lambda: ctx.kernel.get(p["variable"]))
        if reply.ok:
            vector = answers.vector_in_variable(reply.results[0], size, leading)
            where = f"variable {p['variable']}"
            state = "" if vector else f"holds {describe_value(reply.results[0])}, not " \
                                      f"{size} numbers"
        else:
            state = "not defined" if reply.problem == "missing" else reply.problem
    cells = ctx.once(("answer-cells",), lambda: notebook_cells(ctx))
    if p["region"]:
        cells = in_region(cells, p["region"]["start"], p["region"].get("stop", ""),
                          p["region"].get("after", ""))
    if vector is None:
        found = answers.find_vectors(cells, p["labels"], size, long_synonyms=p["long_labels"],
                                     leading=leading)
        if not found:
            example = _shown([0.0] * size)
            return Outcome.failed(
                f"No {name} of {size} numbers found. "
                + answers.describe_search(cells, p["variable"], state)
                + f" A proposal counts when written with its name, as `{name} = {example}`, "
                "in code, printed or in Markdown.", mistake="not_found")
        vector, where = found[-1].values, found[-1].where.describe()
    if p["judge"] == "found":
        return Outcome.passed(f"{name} = {_shown(vector)} can be read ({where}); whether it "
                              "reaches the target is checked when your work is graded.")
    result = getattr(ctx.reference, p["reference"])(vector)
    gap, said = float(result["gap"]), str(result.get("said", ""))
    tolerance = float(p["tolerance"])
    text = f"With {name} = {_shown(vector)} ({where}) {said}"
    if gap > tolerance:
        return Outcome.failed(f"{text}: {gap:.3g} from the target (allowed: {tolerance:g}).",
                              mistake="too_far", gap=gap)
    return Outcome.passed(f"{text}: {gap:.2g} from the target.", gap=gap)
