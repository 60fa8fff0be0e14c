"""Kind `distribution`: a statistical test of a random initialiser.

The student's function is called in the kernel on each case (e.g. a layer size); the values it
draws come back as data and are judged here: the range they must fill (uniform), their mean and
variance, each within `sigmas` standard errors estimated from the sample itself, and for a normal
family its fourth moment. The report states the chance that a correct initialiser fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from graders.checks.base import CheckContext, Outcome
from graders.checks.calls import ARGS, argument_path, call_ops, call_text, stored
from graders.checks.compare import as_float_array, describe_value
from graders.checks.registry import register
from graders.checks.schema import (
    Choice,
    Integer,
    ListOf,
    Number,
    Param,
    Record,
    ReferenceFunction,
    Schema,
    Text,
)
from graders.kernel import get_op

FAMILIES = ("uniform", "normal", "any")

CALL_PARAMS = (
    Param("args", ARGS, [], "positional arguments of this call"),
    Param("argument", Integer(minimum=-1), -1,
          "read the values from this argument (0-based) after the call; -1: the return value"),
    Param("key", Text(), "", "then take this dict entry (e.g. `W1`)"),
    Param("attribute", Text(), "", "then take this attribute (e.g. `weight`)"),
)


def _key_or_attribute(values: dict[str, Any]) -> tuple[str, str, str] | None:
    if values["key"] and values["attribute"]:
        return ("attribute", "give `key` or `attribute`, not both", "remove one of them")
    return None


CASE = Schema(
    *CALL_PARAMS,
    Param("label", Text(), "", "how the report names this case, e.g. `in_size=400, out_size=300`"),
    Param("shape", ListOf(Integer(minimum=0)), [], "the shape the values must have (optional)"),
    Param("low", Number(), None, "lower end of the range (uniform)"),
    Param("high", Number(), None, "upper end of the range (uniform)"),
    Param("mean", Number(), None, "expected mean (default: the middle of low..high, else 0)"),
    Param("variance", Number(minimum=0, exclusive_minimum=True), None,
          "expected variance (default for uniform: (high - low)^2 / 12)"),
    rules=(_key_or_attribute,),
)

SCHEMA = Schema(
    Param("function", Text(), doc="the student's initialiser (a name, or `obj.method`)"),
    Param("cases", ListOf(Record(CASE), min_items=1),
          doc="one call per case; each draws one sample"),
    Param("family", ListOf(Choice(*FAMILIES), min_items=1), ["uniform"],
          "accepted families: `uniform` must lie in and fill low..high; `normal` has the mean, "
          "variance and a normal's fourth moment; `any` only the mean and variance. With "
          "`[uniform, any]` a sample inside the range is judged as uniform, one outside it "
          "by its moments"),
    Param("expected", ReferenceFunction(), "",
          "a reference.py function called with each case's args (fresh containers as None) "
          "returning a mapping of `low`, `high`, `mean`, `variance`; fills what the case omits"),
    Param("sigmas", Number(minimum=2), 5.0, "each statistic may be off by this many standard "
          "errors"),
    Param("fill", Number(minimum=0, maximum=1), 0.98,
          "a uniform sample must reach this share of each half of its range"),
    Param("name", Text(), "the values", "what the report calls the sample, e.g. `the weights`"),
    doc="A statistical test of a random initialiser.",
)

MISTAKES = ("not_defined", "crashed", "not_set", "wrong_shape", "nonfinite", "constant",
            "out_of_range", "not_uniform", "narrow_range", "wrong_variance", "not_centred",
            "not_normal")


# ----------------------------------------------------------------------------- fetch


def case_ops(function: str, case: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """Ops that call `function` on the case's args and fetch the value the case reads: the
    return value or an argument (a fresh container it filled), then an attribute."""
    call = {"call": function, "args": case.get("args", []), "store": "result"}
    ops = call_ops(call, prefix=prefix, data={})
    index = case.get("argument", -1)
    source = stored(prefix, "result") if index < 0 else argument_path(prefix, call, index)
    attribute = case.get("attribute", "")
    ops.append(get_op(f"{source}.{attribute}" if attribute else source))
    return ops


def pick(value: Any, case: dict[str, Any]) -> tuple[Any, str]:
    """The case's entry of a fetched value: (value, '') or (None, what is missing)."""
    key = case.get("key", "")
    if not key:
        return value, ""
    if not isinstance(value, dict):
        return None, f"it should hold an entry {key!r}, but it is {describe_value(value)}"
    if key not in value:
        found = ", ".join(sorted(map(str, value))) or "nothing"
        return None, f"it has no entry {key!r}; it holds: {found}"
    return value[key], ""


def case_text(function: str, case: dict[str, Any]) -> str:
    return call_text({"call": function, "args": case.get("args", [])})


def fetch_samples(ctx: CheckContext, function: str,
                  cases: list[dict[str, Any]]) -> tuple[list[Any] | None, Outcome | None]:
    """Every case's fetched value, in one kernel request: (values, None) or (None, failure)."""
    ops: list[dict[str, Any]] = []
    ends = []
    for index, case in enumerate(cases):
        ops += case_ops(function, case, ctx.kernel_name(f"nng_dist{index}"))
        ends.append(len(ops) - 1)
    calls = " and ".join(case_text(function, case) for case in cases)
    results, failure = ctx.request(None, ops, f"call {calls}")
    if failure:
        return None, failure
    return [results[i] for i in ends], None


# ----------------------------------------------------------------------------- judge


@dataclass(frozen=True)
class Expected:
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    variance: float | None = None

    @property
    def has_range(self) -> bool:
        return self.low is not None and self.high is not None

    def centre(self) -> float:
        if self.mean is not None:
            return self.mean
        return (self.low + self.high) / 2 if self.has_range else 0.0  # type: ignore[operator]

    def spread(self) -> float | None:
        if self.variance is not None:
            return self.variance
        if self.has_range:
            return (self.high - self.low) ** 2 / 12.0  # type: ignore[operator]
        return None


def two_sided_tail(sigmas: float) -> float:
    """P(|Z| > sigmas) for a standard normal Z."""
    return math.erfc(sigmas / math.sqrt(2.0))


def false_failure_rate(*, sizes: list[int], families: list[str], sigmas: float,
                       fill: float) -> float:
    """An upper bound on the chance that a correct initialiser fails: the sum over cases of the
    two-sided tail of each moment test and, for a uniform, the chance of not reaching an end."""
    tests = 3 if families == ["normal"] else 2
    total = 0.0
    for n in sizes:
        total += tests * two_sided_tail(sigmas)
        if "uniform" in families:
            total += 2 * (1 - (1 - fill) / 2) ** n
    return min(total, 1.0)


def _moments(sample: np.ndarray, expected: Expected, *, sigmas: float, name: str, where: str,
             normal: bool) -> Outcome | None:
    """Variance, mean and (normal) fourth moment about the expected mean, each within `sigmas`
    standard errors estimated from the sample, so any family is judged alike."""
    n, centre, want = sample.size, expected.centre(), expected.spread()
    dev = sample - centre
    var = float(np.mean(dev ** 2))
    if want is not None:
        var_se = float(np.sqrt(max(np.mean(dev ** 4) - var ** 2, 1e-300) / n))
        if abs(var - want) > sigmas * var_se:
            return Outcome.failed(
                f"{where}{name}' variance is {var:.3g}, expected {want:.3g} ({var / want:.2f} "
                f"times that; allowed {sigmas:g} standard errors, {sigmas * var_se:.2g}).",
                mistake="wrong_variance", variance=var, expected=want)
    mean = float(sample.mean())
    mean_se = float(np.sqrt(var / n))
    if abs(mean - centre) > sigmas * mean_se:
        return Outcome.failed(
            f"{where}{name}' mean is {mean:.3g}, not {centre:.3g} (allowed {sigmas:g} standard "
            f"errors, {sigmas * mean_se:.2g}): the distribution must be centred on {centre:.3g}.",
            mistake="not_centred", mean=mean, expected=centre)
    if normal and want is not None:
        m4 = float(np.mean(dev ** 4))
        m4_se = float(np.sqrt(max(np.mean(dev ** 8) - m4 ** 2, 1e-300) / n))
        if abs(m4 - 3 * want ** 2) > sigmas * m4_se:
            return Outcome.failed(
                f"{where}{name} do not look normally distributed: their kurtosis is "
                f"{m4 / var ** 2:.2f}, a normal's is 3.", mistake="not_normal",
                kurtosis=m4 / var ** 2)
    return None


def _outside(sample: np.ndarray, expected: Expected, *, sigmas: float, name: str, where: str,
             others: list[str]) -> Outcome | None:
    """A sample outside the uniform's range: accepted by another family's moments, else named."""
    low, high = float(expected.low), float(expected.high)  # type: ignore[arg-type]
    verdicts = [_moments(sample, expected, sigmas=sigmas, name=name, where=where,
                         normal=family == "normal") for family in others]
    if others and any(v is None for v in verdicts):
        return None
    share = float(np.mean((sample < low) | (sample > high)))
    centre, want = expected.centre(), expected.spread()
    var = float(np.mean((sample - centre) ** 2))
    normal_hint = (f" (they look normally distributed: give them variance {want:.3g}, or draw "
                   f"uniformly on [{low:.4g}, {high:.4g}])" if 0.02 < share < 0.2 else "")
    return Outcome.failed(
        f"{where}{share:.1%} of {name} lie outside [{low:.4g}, {high:.4g}] (smallest "
        f"{sample.min():.4g}, largest {sample.max():.4g}), and their variance is {var:.3g}, "
        f"not {want:.3g}{normal_hint}.",
        mistake="not_uniform" if normal_hint else "out_of_range", variance=var, expected=want)


def judge_sample(value: Any, expected: Expected, *, families: list[str], sigmas: float = 5.0,
                 fill: float = 0.98, name: str = "the values", label: str = "",
                 shape: list[int] | None = None) -> Outcome | None:
    """None when one sample is a plausible draw of an accepted family, else a failed Outcome.

    `value` is what the student's code produced; `expected` its range and moments."""
    verdict = _judge(value, expected, families=families, sigmas=sigmas, fill=fill, name=name,
                     where=f"For {label}, " if label else "", shape=shape)
    if verdict is not None:
        verdict.message = _capital(verdict.message)
    return verdict


def _judge(value: Any, expected: Expected, *, families: list[str], sigmas: float, fill: float,
           name: str, where: str, shape: list[int] | None) -> Outcome | None:
    sample = as_float_array(value)
    if sample is None or (shape and list(sample.shape) != list(shape)):
        wanted = f" of shape {tuple(shape)}" if shape else ""
        return Outcome.failed(f"{where}{name} should be an array{wanted}, but they are "
                              f"{describe_value(value)}.", mistake="wrong_shape")
    if sample.size < 2:
        return Outcome.failed(f"{where}{name} hold {sample.size} value(s): too few to test.",
                              mistake="wrong_shape")
    if not np.isfinite(sample).all():
        return Outcome.failed(f"{where}{name} hold {int((~np.isfinite(sample)).sum())} NaN or "
                              "infinite values.", mistake="nonfinite")
    if np.ptp(sample) == 0:
        return Outcome.failed(f"{where}every one of {name} is {sample.flat[0]:.3g}: they must be "
                              "random, or every unit learns the same thing.", mistake="constant")
    others = [f for f in families if f != "uniform"]
    if "uniform" in families and expected.has_range:
        low, high = float(expected.low), float(expected.high)  # type: ignore[arg-type]
        slack = 1e-9 * max(abs(low), abs(high), 1e-300)
        if sample.min() < low - slack or sample.max() > high + slack:
            return _outside(sample, expected, sigmas=sigmas, name=name, where=where,
                            others=others)
        moments = _moments(sample, expected, sigmas=sigmas, name=name, where=where, normal=False)
        if moments is not None:
            return moments
        reach = fill * (high - low) / 2
        centre = (low + high) / 2
        if sample.max() - centre < reach or centre - sample.min() < reach:
            return Outcome.failed(
                f"{where}{name} only reach [{sample.min():.4g}, {sample.max():.4g}], not the "
                f"full [{low:.4g}, {high:.4g}]: draw uniformly over the whole range.",
                mistake="narrow_range")
        return None
    verdicts = [_moments(sample, expected, sigmas=sigmas, name=name, where=where,
                         normal=family == "normal") for family in others or ["any"]]
    return None if any(v is None for v in verdicts) else verdicts[0]


def expected_for(case: dict[str, Any], given: dict[str, Any] | None) -> Expected:
    """The case's own numbers, completed by the reference function's."""
    given = given or {}
    values = {k: case.get(k) if case.get(k) is not None else given.get(k)
              for k in ("low", "high", "mean", "variance")}
    return Expected(**{k: None if v is None else float(v) for k, v in values.items()})


def reference_args(case: dict[str, Any]) -> list[Any]:
    return [None if isinstance(a, dict) else a for a in case.get("args", [])]


@register("distribution", params=SCHEMA, mistakes=MISTAKES)
def check_distribution(ctx: CheckContext) -> Outcome:
    """Call a random initialiser on each case and test what it draws: range (uniform, which
    must also fill it), mean and variance within `sigmas` standard errors, a normal's fourth
    moment. The message states the chance that a correct initialiser fails."""
    p = ctx.params
    cases = [CASE.validate(c) for c in p["cases"]]
    samples, failure = fetch_samples(ctx, p["function"], cases)
    if failure:
        return failure
    picked = []
    for case, fetched in zip(cases, samples, strict=True):
        value, missing = pick(fetched, case)
        if missing:
            return Outcome.failed(f"After {case_text(p['function'], case)}, {missing}.",
                                  mistake="not_set")
        picked.append(value)
    rate = false_failure_rate(sizes=[int(np.size(v)) for v in picked], families=p["family"],
                              sigmas=p["sigmas"], fill=p["fill"])
    chance = (f"each statistic within {p['sigmas']:g} standard errors: a correct initialiser "
              f"fails this test with probability about {rate:.1g}")
    for case, value in zip(cases, picked, strict=True):
        given = (getattr(ctx.reference, p["expected"])(*reference_args(case))
                 if p["expected"] else None)
        verdict = judge_sample(value, expected_for(case, given), families=p["family"],
                               sigmas=p["sigmas"], fill=p["fill"], name=p["name"],
                               label=case["label"], shape=case["shape"])
        if verdict is not None:
            verdict.message += f" (Tested by {case_text(p['function'], case)}; {chance}.)"
            verdict.details["false_failure_rate"] = rate
            return verdict
    return Outcome.passed(f"{_capital(p['name'])} have the expected range, mean and variance "
                          f"on {len(cases)} case(s) ({chance}).", false_failure_rate=rate)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
