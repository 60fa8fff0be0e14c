"""Kind `property`: what must hold of the student's function whatever its exact values.

    kind: property
    params:
      function: softmax
      reference: softmax
      inputs: {x: {normal: [4, 5]}}
      property: invariant            # one of PROPERTIES
      input: x
      transform: add_constant_per_row

- `input_unchanged`: the call leaves its inputs (or the one named by `input`) as they were.
- `invariant`: the output is the same after `transform` (from TRANSFORMS, by `amount`) of `input`.
- `finite_at_extremes`: `input` scaled so its largest entry is `amount` still gives finite output.
- `partition`, `permutation`: the output's index arrays cover 0..n-1 exactly once (`n`: a number
  or a size name); `differs_between_calls`: two calls on the same inputs give different outputs.
  A partition that is not one is named: groups sharing one overwritten buffer, overlapping
  windows of consecutive indices, indices drawn with replacement.
- `group_size`: the output is groups (e.g. batches) of `size` items each, n // size of them.
- `paired`: the output is a list of pairs whose two arrays hold the same rows (the inputs number
  their rows in the first column), e.g. (batch_x, batch_y).

Fetch: one request with every call the property needs. Judge: pure functions below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graders.checks.base import CheckContext, Outcome
from graders.checks.call import STORE
from graders.checks.compare import as_float_array, compare_arrays
from graders.checks.invocation import (
    OUTPUT,
    Call,
    call_params,
    call_rules,
    describe_output,
    output_rule,
    pick,
    validated,
)
from graders.checks.registry import register
from graders.checks.schema import (
    AnyOf,
    Choice,
    Integer,
    ListOf,
    Number,
    Param,
    Schema,
    Text,
    did_you_mean,
)
from graders.kernel import get_op

PROPERTIES = ("input_unchanged", "invariant", "finite_at_extremes", "partition", "permutation",
              "differs_between_calls", "group_size", "paired")
TRANSFORMS = ("add_constant", "add_constant_per_row", "add_constant_per_column",
              "scale_positive")
MISTAKES = ("not_defined", "crashed", "wrong_type", "changed_input", "not_invariant",
            "nonfinite", "not_partition", "not_permutation", "same_every_call", "same_buffer",
            "overlapping", "with_replacement", "wrong_sizes", "unpaired")


def _names_an_input(v: dict[str, Any]) -> tuple[str, str, str] | None:
    properties = [v["property"], *(v.get("also") or [])]
    needs = [p for p in properties if p in ("invariant", "finite_at_extremes")]
    if needs and not v["input"]:
        return ("input", f"property {needs[0]!r} needs the input it changes",
                f"add input: <one of {', '.join(v['inputs'])}>")
    if v["input"] and v["input"] not in v["inputs"]:
        return ("input", f"{v['input']!r} is not an input", did_you_mean(v["input"], v["inputs"]))
    covers = [p for p in properties if p in ("partition", "permutation", "group_size")]
    if covers:
        n = v["n"]
        if n is None:
            return ("n", f"property {covers[0]!r} needs n, the number of items",
                    "add n: <a number or a size name>")
        if isinstance(n, str) and n not in v["sizes"]:
            return ("n", f"size {n!r} is not declared", did_you_mean(n, v["sizes"]))
    if "group_size" in properties:
        size = v["size"]
        if size is None:
            return ("size", "property 'group_size' needs size, the items in each group",
                    "add size: <a number or a size name>")
        if isinstance(size, str) and size not in v["sizes"]:
            return ("size", f"size {size!r} is not declared", did_you_mean(size, v["sizes"]))
    return None


SCHEMA = Schema(
    *call_params(),
    Param("property", Choice(*PROPERTIES), doc="what must hold"),
    Param("also", ListOf(Choice(*PROPERTIES)), [], doc="further properties that must hold of "
          "the same call, judged in turn after `property` (the first that fails is reported)"),
    Param("input", Text(), "", doc="the input the property changes or watches"),
    Param("transform", Choice(*TRANSFORMS), "add_constant_per_row",
          doc="for `invariant`: what is done to the input"),
    Param("amount", Number(), 1000.0, doc="the constant added, the factor, or the largest "
          "magnitude for `finite_at_extremes`"),
    Param("n", AnyOf(Integer(minimum=0), Text()), None,
          doc="for `partition`, `permutation` and `group_size`: how many items (number or "
              "size name)"),
    Param("size", AnyOf(Integer(minimum=1), Text()), None,
          doc="for `group_size`: the items in each group (number or size name)"),
    Param("output", OUTPUT, {"of": "returned"}, doc="the output the property is about"),
    Param("name", Text(), "", doc="what the report calls the output (default: described)"),
    Param("rtol", Number(minimum=0), 1e-6, doc="relative tolerance for `invariant`"),
    Param("atol", Number(minimum=0), 1e-9, doc="absolute tolerance for `invariant`"),
    doc="A property of the student's function: inputs unchanged, invariance, finiteness, "
        "samplers.",
    rules=(*call_rules(), output_rule("output"), _names_an_input),
)


def transform(values: np.ndarray, how: str, amount: float,
              rng: np.random.Generator) -> np.ndarray:
    """The input after one of TRANSFORMS (a different constant for each row or column)."""
    values = np.asarray(values, dtype=np.float64)
    if how == "add_constant":
        return values + amount
    if how == "scale_positive":
        return values * abs(amount)
    if how == "add_constant_per_row":
        shifts = amount * rng.uniform(0.5, 1.0, size=values.shape[0])
        return values + shifts.reshape(-1, *([1] * (values.ndim - 1)))
    shifts = amount * rng.uniform(0.5, 1.0, size=values.shape[-1])
    return values + shifts


def extremes(values: np.ndarray, amount: float) -> np.ndarray:
    """The input scaled so that its largest magnitude is `amount` (signs and ratios kept)."""
    values = np.asarray(values, dtype=np.float64)
    top = float(np.max(np.abs(values))) if values.size else 0.0
    return values * (amount / top) if top else np.full(values.shape, amount)


# ----------------------------------------------------------------------------- judging


def judge_unchanged(before: Mapping[str, Any], after: Mapping[str, Any],
                    function: str) -> Outcome:
    for name, original in before.items():
        now = after.get(name)
        a, b = as_float_array(original), as_float_array(now)
        if a is not None and (b is None or a.shape != b.shape):
            return Outcome.failed(f"{function} replaced its argument `{name}` (it became "
                                  f"{'something else' if b is None else f'shape {b.shape}'}).",
                                  mistake="changed_input")
        if a is not None and b is not None and not np.array_equal(a, b):
            changed = int(np.sum(a != b))
            return Outcome.failed(f"{function} changed its argument `{name}` in place: {changed} "
                                  f"of {a.size} entries differ after the call. Work on a copy "
                                  "(e.g. x = x - m, not x -= m).", mistake="changed_input")
    return Outcome.passed(f"{function} leaves its arguments unchanged.")


def judge_invariant(first: Any, second: Any, *, name: str, how: str, input_name: str,
                    rtol: float, atol: float) -> Outcome:
    what = {"add_constant": f"adding a constant to every entry of `{input_name}`",
            "add_constant_per_row": f"adding a constant to each row of `{input_name}`",
            "add_constant_per_column": f"adding a constant to each column of `{input_name}`",
            "scale_positive": f"scaling `{input_name}` by a positive factor"}[how]
    reference = as_float_array(first)
    if reference is None:
        return Outcome.failed(f"{name} is not numbers, so the grader could not compare it "
                              f"before and after {what}.", mistake="wrong_type")
    comparison = compare_arrays(actual=second, expected=reference, name=name, rtol=rtol,
                                atol=atol)
    if comparison.ok:
        return Outcome.passed(f"{name} is unchanged by {what}.")
    return Outcome.failed(f"{what.capitalize()} should leave {name} unchanged, but it did "
                          f"not: {comparison.summary}\n{comparison.table}".rstrip()
                          + ("\nLarge values overflow np.exp: subtract each row's maximum "
                             "first." if comparison.problem == "nonfinite" else ""),
                          mistake="not_invariant", **comparison.details)


def judge_finite(value: Any, *, name: str, input_name: str, amount: float) -> Outcome:
    array = as_float_array(value)
    where = f"with `{input_name}` scaled to entries as large as {amount:g}"
    if array is None:
        return Outcome.failed(f"{name} {where} is not numbers.", mistake="wrong_type")
    bad = ~np.isfinite(array)
    if bad.any():
        return Outcome.failed(f"{name} {where} has {int(bad.sum())} NaN or infinite entries of "
                              f"{array.size}: an intermediate overflowed (e.g. np.exp of a "
                              "large number). Rewrite it so no intermediate overflows.",
                              mistake="nonfinite")
    return Outcome.passed(f"{name} stays finite {where}.")


def _index_groups(value: Any) -> list[np.ndarray] | None:
    groups = value if isinstance(value, list | tuple) else [value]
    arrays = [as_float_array(g) for g in groups]
    if any(a is None for a in arrays):
        return None
    return [np.ravel(a) for a in arrays if a is not None]


def judge_cover(value: Any, *, n: int, name: str, partition: bool) -> Outcome:
    """Index groups (a partition) or one index array (a permutation) covering 0..n-1 once."""
    mistake = "not_partition" if partition else "not_permutation"
    groups = _index_groups(value)
    if groups is None:
        return Outcome.failed(f"{name} should hold index arrays, not {type(value).__name__}.",
                              mistake="wrong_type")
    joined = np.concatenate(groups) if groups else np.array([])
    counts = np.bincount(joined.astype(np.int64), minlength=n) if joined.size and np.all(
        (joined >= 0) & (joined == np.round(joined))) else None
    if counts is None:
        return Outcome.failed(f"{name} holds entries that are not indices 0..{n - 1}.",
                              mistake=mistake)
    missing, repeated = int(np.sum(counts[:n] == 0)), int(np.sum(counts > 1))
    extra = int(np.sum(counts[n:])) if counts.size > n else 0
    if missing or repeated or extra:
        if partition:
            named = _not_a_partition(groups, name=name, missing=missing, repeated=repeated)
            if named is not None:
                return named
        return Outcome.failed(f"{name} should use each index 0..{n - 1} exactly once: {missing} "
                              f"never appear, {repeated} appear more than once, {extra} are out "
                              "of range.", mistake=mistake, missing=missing, repeated=repeated)
    what = f"{len(groups)} groups" if partition else "one permutation"
    return Outcome.passed(f"{name}: each index 0..{n - 1} is used exactly once ({what}).")


def _not_a_partition(groups: Sequence[np.ndarray], *, name: str, missing: int,
                     repeated: int) -> Outcome | None:
    """The usual ways a sampler's groups fail to be a partition, named; None when none fits."""
    if len(groups) > 1 and all(np.array_equal(groups[0], g) for g in groups[1:]):
        return Outcome.failed(f"Every group of {name} holds the same items: the groups share one "
                              "buffer that is overwritten in the loop. Make a new array per "
                              "group (e.g. x[indices]).", mistake="same_buffer")
    windows = [sorted(int(round(v)) for v in g) for g in groups]
    if repeated and all(w == list(range(w[0], w[0] + len(w))) for w in windows if w):
        return Outcome.failed(f"The groups of {name} are windows of consecutive items that "
                              f"overlap: {repeated} items appear more than once and {missing} "
                              "never appear. Shuffle the indices once (np.random.permutation) "
                              "and cut that into groups.", mistake="overlapping",
                              missing=missing, repeated=repeated)
    if repeated and missing:
        return Outcome.failed(f"The groups of {name} are not a partition: {repeated} items "
                              f"appear more than once and {missing} never appear (drawn with "
                              "replacement: use one np.random.permutation and slice it).",
                              mistake="with_replacement", missing=missing, repeated=repeated)
    return None


def judge_group_sizes(value: Any, *, n: int, size: int, name: str) -> Outcome:
    """Groups (e.g. batches) of `size` items each, n // size of them."""
    if not isinstance(value, list | tuple):
        return Outcome.failed(f"{name} should be a list of groups, not {type(value).__name__}.",
                              mistake="wrong_type")
    sizes = [len(g) if hasattr(g, "__len__") else -1 for g in value]
    if len(value) != n // size or any(s != size for s in sizes):
        return Outcome.failed(f"With {n} items in groups of {size} there should be {n // size} "
                              f"groups of {size}; {name} has {len(value)} groups of sizes "
                              f"{sizes}.", mistake="wrong_sizes")
    return Outcome.passed(f"{name}: {n // size} groups of {size} for {n} items.")


def judge_paired(value: Any, *, name: str) -> Outcome:
    """Each item a pair of arrays holding the same rows (equal first columns)."""
    if not isinstance(value, list | tuple) or not value:
        what = "an empty one" if isinstance(value, list | tuple) else type(value).__name__
        return Outcome.failed(f"{name} should be a list of pairs, not {what}.",
                              mistake="wrong_type")
    for number, item in enumerate(value):
        pair = [as_float_array(a) for a in item] if isinstance(item, list | tuple) else []
        if len(pair) != 2 or any(a is None or a.ndim != 2 for a in pair):
            return Outcome.failed(f"Item {number} of {name} is not a pair of 2-D arrays (rows "
                                  "are examples).", mistake="wrong_type")
        first, second = pair
        if len(first) != len(second) or not np.allclose(first[:, 0], second[:, 0]):
            return Outcome.failed(f"In item {number} of {name} the rows of its two arrays no "
                                  "longer belong together: index both with the same indices.",
                                  mistake="unpaired")
    return Outcome.passed(f"Each item of {name} keeps the rows of its two arrays together.")


def _same(first: Any, second: Any) -> bool:
    if isinstance(first, list | tuple) and isinstance(second, list | tuple):
        return len(first) == len(second) and all(
            _same(a, b) for a, b in zip(first, second, strict=True))
    a, b = as_float_array(first), as_float_array(second)
    if a is not None and b is not None:
        return a.shape == b.shape and bool(np.array_equal(a, b))
    return bool(first == second)


def judge_differs(first: Any, second: Any, *, name: str) -> Outcome:
    if _same(first, second):
        return Outcome.failed(f"Two calls on the same inputs gave the same {name}: a sampler "
                              "should draw afresh each call (no fixed seed inside it).",
                              mistake="same_every_call")
    return Outcome.passed(f"Two calls on the same inputs gave different {name}.")


# ----------------------------------------------------------------------------- fetching


def _plan(call: Call, p: Mapping[str, Any], values: Mapping[str, Any],
          rng: np.random.Generator, prop: str
          ) -> tuple[list[dict[str, Any]], list[int], list[str]]:
    """The ops, the positions of the results the judge needs, and the inputs watched."""
    store = call.handle(STORE)
    ops = call.kernel_ops(values, store=store) + call.fetch_ops(p["output"], store)
    marks = [len(ops) - 1]
    watched: list[str] = []
    if prop == "input_unchanged":
        watched = [p["input"]] if p["input"] else [
            n for n, v in values.items() if as_float_array(v) is not None]
        for name in watched:
            ops.append(get_op("$" + call.handle(name)))
            marks.append(len(ops) - 1)
    elif prop in ("invariant", "differs_between_calls", "finite_at_extremes"):
        changed = dict(values)
        if prop == "invariant":
            changed[p["input"]] = transform(values[p["input"]], p["transform"], p["amount"], rng)
        elif prop == "finite_at_extremes":
            changed[p["input"]] = extremes(values[p["input"]], p["amount"])
            ops, marks = [], []
        ops += call.kernel_ops(changed, store=store) + call.fetch_ops(p["output"], store)
        marks.append(len(ops) - 1)
    return ops, marks, watched


@register("property", params=SCHEMA, mistakes=MISTAKES)
def check_property(ctx: CheckContext) -> Outcome:
    """A property of the student's function that holds whatever its exact values: inputs left
    unchanged, invariance under a transformation, finite at extremes, sampler properties."""
    p = validated(SCHEMA, ctx.check.params)
    call = Call(p, ctx.check.visibility)
    values = ctx.once(("inputs", call.key()), lambda: call.draw(ctx.seed, ctx.reference))
    passed = []
    for prop in [p["property"], *p["also"]]:
        outcome = _check_one(ctx, p, call, values, prop)
        if outcome.fraction < 1:
            return outcome
        passed.append(outcome)
    if len(passed) == 1:
        return passed[0]
    return Outcome.passed(" ".join(o.message[:1].upper() + o.message[1:] for o in passed))


def _check_one(ctx: CheckContext, p: Mapping[str, Any], call: Call, values: Mapping[str, Any],
               prop: str) -> Outcome:
    """One property: its request, then its judge."""
    ops, marks, watched = _plan(call, p, values, call.rng(ctx.seed, "property", prop), prop)
    function = p["function"].lstrip("$")
    results, failed = ctx.request(None, ops, f"call {function}")
    if failed is not None:
        return failed
    assert results is not None
    name = p["name"] or describe_output(p["output"], p["function"])
    picked = []
    for mark in marks if prop != "input_unchanged" else marks[:1]:
        try:
            picked.append(pick(p["output"], results[mark]))
        except LookupError as exc:
            return Outcome.failed(f"{name} {exc}.", mistake="wrong_type")
    after = dict(zip(watched, [results[m] for m in marks[1:]], strict=True)) if watched else {}
    return _judge(p, prop, picked, after, values, name, function)


def _judge(p: Mapping[str, Any], prop: str, picked: Sequence[Any], after: Mapping[str, Any],
           values: Mapping[str, Any], name: str, function: str) -> Outcome:
    if prop == "input_unchanged":
        return judge_unchanged({w: values[w] for w in after}, after, function)
    if prop == "invariant":
        return judge_invariant(picked[0], picked[1], name=name, how=p["transform"],
                               input_name=p["input"], rtol=p["rtol"], atol=p["atol"])
    if prop == "finite_at_extremes":
        return judge_finite(picked[0], name=name, input_name=p["input"], amount=p["amount"])
    if prop == "differs_between_calls":
        return judge_differs(picked[0], picked[1], name=name)
    if prop == "paired":
        return judge_paired(picked[0], name=name)
    n = p["n"] if isinstance(p["n"], int) else p["sizes"][p["n"]]
    if prop == "group_size":
        size = p["size"] if isinstance(p["size"], int) else p["sizes"][p["size"]]
        return judge_group_sizes(picked[0], n=int(n), size=int(size), name=name)
    return judge_cover(picked[0], n=int(n), name=name, partition=prop == "partition")
