"""Inputs a spec may ask for: a small typed vocabulary of generators, never an expression.

Each input is a mapping with exactly one generator key:

    x:      {normal: [n, d], std: 0.5}         # float64, shape from numbers or `sizes` names
    w:      {uniform: [d], low: -1, high: 1}
    idx:    {integers: [], high: V}            # a Python int when the shape is [] (or omitted)
    y:      {one_hot: [n, K]}                  # rows of a one-hot matrix, float64
    word:   {choice: [a, b, c]}                # one of the values (`shape`: a list of str, or
                                               # an array of numbers)
    words:  {constant: [a, b]}                 # a literal, passed as written
    table:  {array: [[1, 2], [3, 4]]}          # a literal float64 array
    labels: {reference: make_labels, args: [n_rows]}   # a reference.py function of earlier inputs
    act:    {function: [tanh_deriv], same_as: tanh_deriv}   # a function passed on
    length: {size: T}                          # the value of a size, as a Python int

Float generators take `kinks: [0.0]` and `margin`: entries within `margin` of a kink (where relu,
abs or max bend) are drawn again, so finite differences never straddle one. A kind may also name
`away_from_kinks: {reference: f, margin: m}`: all inputs are drawn again until every value f returns
(f takes the inputs as one dict) (e.g. pre-activations) keeps at least m from zero.

A `function` input is passed as the notebook's own function (the first of the names its kernel
defines), so code that tells functions apart by identity (`if activation_deriv == linear_deriv:`)
gets the ones its course's scripts pass; the reference's call gets reference.py's `same_as`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from graders.checks.schema import (
    Anything,
    Integer,
    ListOf,
    MapOf,
    Number,
    Param,
    ParamError,
    ParamType,
    Record,
    ReferenceFunction,
    Schema,
    SchemaContext,
    Text,
    did_you_mean,
)

DEFAULT_MARGIN = 1e-3
MAX_DRAWS = 200

# generator -> the options it takes besides its own key (name -> (type, default))
_OPTIONS: dict[str, dict[str, tuple[ParamType, Any]]] = {
    "normal": {"mean": (Number(), 0.0), "std": (Number(minimum=0), 1.0)},
    "uniform": {"low": (Number(), -1.0), "high": (Number(), 1.0)},
    "integers": {"low": (Anything(), 0), "high": (Anything(), None)},
    "one_hot": {},
    "choice": {"shape": (Anything(), None)},
    "constant": {},
    "array": {},
    "reference": {"args": (ListOf(Text()), [])},
    "function": {"same_as": (ReferenceFunction(), None)},
    "size": {},
}
FLOAT_GENERATORS = ("normal", "uniform")
_KINK_OPTIONS: dict[str, tuple[ParamType, Any]] = {
    "kinks": (ListOf(Number(), min_items=1), None),
    "margin": (Number(minimum=0, exclusive_minimum=True), DEFAULT_MARGIN),
}
GENERATORS = tuple(_OPTIONS)


@dataclass(frozen=True)
class InputSpec(ParamType):
    """One generated input: a mapping with one generator key and that generator's options."""

    def check(self, value: Any, key: str, context: SchemaContext) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ParamError(key, f"must be a mapping with one generator, found {value!r}",
                             f"write e.g. {{normal: [3, 4]}}; generators: {', '.join(GENERATORS)}")
        found = [k for k in value if k in _OPTIONS]
        if len(found) != 1:
            unknown = [str(k) for k in value if k not in _all_options()]
            if not found and unknown:
                raise ParamError(f"{key}.{unknown[0]}", "unknown generator",
                                 did_you_mean(unknown[0], GENERATORS))
            raise ParamError(key, f"needs exactly one generator, found {found or 'none'}",
                             f"use one of: {', '.join(GENERATORS)}")
        generator = found[0]
        allowed = {**_OPTIONS[generator],
                   **(_KINK_OPTIONS if generator in FLOAT_GENERATORS else {})}
        checked: dict[str, Any] = {"generator": generator}
        for name, item in value.items():
            if name == generator:
                continue
            if name not in allowed:
                raise ParamError(f"{key}.{name}", f"{generator!r} takes no option {name!r}",
                                 f"remove it, or {did_you_mean(name, allowed)}")
            checked[name] = allowed[name][0].check(item, f"{key}.{name}", context)
        for name, (_, default) in allowed.items():
            checked.setdefault(name, default)
        checked["value"] = _check_main(generator, value[generator], f"{key}.{generator}",
                                       context)
        if generator == "integers" and checked["high"] is None:
            raise ParamError(f"{key}.high", "is required for integers",
                             "add high: N (values are drawn from low to N - 1)")
        if generator == "function" and checked["same_as"] is None:
            raise ParamError(f"{key}.same_as", "is required for function",
                             "add same_as: <the reference.py function the reference's call "
                             "receives in its place>")
        return checked

    def describe(self) -> str:
        return "mapping with one generator (" + ", ".join(GENERATORS) + ")"


def _all_options() -> set[str]:
    return {*GENERATORS, *(o for opts in _OPTIONS.values() for o in opts), *_KINK_OPTIONS}


def _check_main(generator: str, value: Any, key: str, context: SchemaContext) -> Any:
    if generator in ("normal", "uniform", "integers"):
        return _check_shape(value, key)
    if generator == "one_hot":
        shape = _check_shape(value, key)
        if len(shape) != 2:
            raise ParamError(key, f"one_hot takes a shape [rows, classes], found {value!r}")
        return shape
    if generator == "choice":
        return ListOf(Anything(), min_items=1).check(value, key, context)
    if generator == "array":
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ParamError(key, f"is not a numeric array ({exc})") from exc
        if not np.all(np.isfinite(array)):
            raise ParamError(key, "must hold finite numbers")
        return value
    if generator == "reference":
        return ReferenceFunction().check(value, key, context)
    if generator == "function":
        names = [value] if isinstance(value, str) else value
        return ListOf(Text(), min_items=1).check(names, key, context)
    if generator == "size":
        return Text().check(value, key, context)
    return value


def _check_shape(value: Any, key: str) -> list[Any]:
    """A shape: a list of whole numbers or size names ([] or null for a scalar)."""
    if value is None:
        return []
    if isinstance(value, int | str) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise ParamError(key, f"must be a shape (a list of sizes), found {value!r}",
                         "write e.g. [3, 4] or [n, d] with n, d under `sizes`")
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int | str) or (
                isinstance(item, int) and item < 0):
            raise ParamError(f"{key}[{i}]", f"must be a whole number >= 0 or a size name, "
                             f"found {item!r}")
    return value


INPUTS = MapOf(InputSpec())
SIZES = MapOf(Integer(minimum=0))


def _kinks_schema() -> Schema:
    return Schema(
        Param("reference", ReferenceFunction(), doc="reference.py function of the inputs (one "
              "dict) returning the values to keep away from zero (e.g. pre-activations)"),
        Param("margin", Number(minimum=0, exclusive_minimum=True), DEFAULT_MARGIN,
              doc="smallest |value| allowed"),
    )


AWAY_FROM_KINKS = Record(_kinks_schema())


def inputs_rule(inputs_key: str = "inputs", sizes_key: str = "sizes"
                ) -> Callable[[dict[str, Any]], tuple[str, str, str] | None]:
    """A Schema rule: every size name in a shape is declared under `sizes`, and a reference
    input's args name earlier inputs."""

    def rule(values: dict[str, Any]) -> tuple[str, str, str] | None:
        sizes = values.get(sizes_key) or {}
        seen: list[str] = []
        for name, spec in (values.get(inputs_key) or {}).items():
            for field in ("value", "low", "high", "shape"):
                for item in _size_names(spec, field):
                    if item not in sizes:
                        where = spec["generator"] if field == "value" else field
                        return (f"{inputs_key}.{name}.{where}", f"size {item!r} is not declared",
                                f"add it under `{sizes_key}`, or "
                                f"{did_you_mean(item, sizes)}")
            for i, arg in enumerate(spec.get("args") or []):
                if arg not in seen:
                    return (f"{inputs_key}.{name}.args[{i}]",
                            f"{arg!r} is not an input defined before {name!r}",
                            did_you_mean(arg, seen))
            seen.append(name)
        return None
    return rule


def _size_names(spec: Mapping[str, Any], field: str) -> list[str]:
    if spec["generator"] in ("constant", "array", "reference", "choice", "function") and \
            field == "value":
        return []
    if spec["generator"] == "size":
        return [spec["value"]] if field == "value" else []
    value = spec.get(field)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and field in ("value", "shape"):
        return [v for v in value if isinstance(v, str)]
    return []


# ----------------------------------------------------------------------------- drawing


@dataclass(frozen=True)
class NotebookFunction:
    """A function input: in the kernel, the first of `names` the notebook defines; in the
    grader, reference.py's `same_as` (calling this object calls it). Its fields are names only,
    so a public check's record holds it as data."""

    names: tuple[str, ...]
    same_as: str

    @classmethod
    def bound(cls, names: tuple[str, ...], same_as: str, reference: Any) -> NotebookFunction:
        made = cls(names, same_as)
        object.__setattr__(made, "_reference", reference)
        return made

    def __deepcopy__(self, memo: dict[int, Any]) -> NotebookFunction:
        return self  # immutable; its reference module cannot be copied

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Looked up when called: a replayed record holds only the calls the reference made.
        return getattr(self._reference, self.same_as)(*args, **kwargs)  # type: ignore[attr-defined]


def _resolve(value: Any, sizes: Mapping[str, int]) -> Any:
    return sizes[value] if isinstance(value, str) else value


def _shape(spec: Mapping[str, Any], field: str, sizes: Mapping[str, int]) -> tuple[int, ...]:
    raw = spec.get(field)
    if raw is None:
        return ()
    raw = [raw] if isinstance(raw, int | str) else raw
    return tuple(int(_resolve(v, sizes)) for v in raw)


def keep_away(values: np.ndarray, *, kinks: list[float], margin: float,
              redraw: Callable[[tuple[int, ...]], np.ndarray]) -> np.ndarray:
    """The values with every entry within `margin` of a kink drawn again (then, if drawing
    keeps landing there, pushed out to the margin)."""
    values = np.array(values, dtype=np.float64, copy=True)

    def near() -> np.ndarray:
        return np.any([np.abs(values - k) < margin for k in kinks], axis=0)

    for _ in range(MAX_DRAWS):
        bad = near()
        if not bad.any():
            return values
        values[bad] = redraw(values.shape)[bad]
    for k in kinks:
        close = np.abs(values - k) < margin
        values[close] = k + np.where(values[close] >= k, margin, -margin)
    return values


def draw_one(spec: Mapping[str, Any], *, sizes: Mapping[str, int], rng: np.random.Generator,
             earlier: Mapping[str, Any], reference: Any) -> Any:
    """One input from its validated spec."""
    generator, value = spec["generator"], spec["value"]
    if generator in FLOAT_GENERATORS:
        shape = _shape(spec, "value", sizes)

        def redraw(s: tuple[int, ...]) -> np.ndarray:
            if generator == "normal":
                return rng.normal(spec["mean"], spec["std"], size=s)
            return rng.uniform(spec["low"], spec["high"], size=s)

        array = redraw(shape)
        if spec.get("kinks"):
            array = keep_away(array, kinks=spec["kinks"], margin=spec["margin"], redraw=redraw)
        return float(array) if not shape else np.asarray(array, dtype=np.float64)
    if generator == "integers":
        shape = _shape(spec, "value", sizes)
        low, high = int(_resolve(spec["low"], sizes)), int(_resolve(spec["high"], sizes))
        drawn = rng.integers(low, high, size=shape)
        return int(drawn) if not shape else drawn.astype(np.int64)
    if generator == "one_hot":
        rows, classes = _shape(spec, "value", sizes)
        matrix = np.zeros((rows, classes))
        matrix[np.arange(rows), rng.integers(0, classes, size=rows)] = 1.0
        return matrix
    if generator == "choice":
        shape = _shape(spec, "shape", sizes)
        picks = rng.integers(0, len(value), size=shape or None)
        if not shape:
            return copy.deepcopy(value[int(picks)])
        chosen = np.asarray(value)[picks]
        # Words stay a list of str, as courses pass them; numbers become an array.
        return chosen.tolist() if chosen.dtype.kind in "US" else chosen
    if generator == "array":
        return np.asarray(value, dtype=np.float64)
    if generator == "reference":
        return getattr(reference, value)(*[copy.deepcopy(earlier[a]) for a in spec["args"]])
    if generator == "function":
        return NotebookFunction.bound(tuple(value), spec["same_as"], reference)
    if generator == "size":
        return int(sizes[value])
    return copy.deepcopy(value)


def draw_inputs(specs: Mapping[str, Mapping[str, Any]], *, sizes: Mapping[str, int],
                rng: np.random.Generator, reference: Any,
                away_from_kinks: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every input, in order (a reference input sees the ones before it). With
    `away_from_kinks`, all are drawn again until the named reference function's values keep
    their margin from zero. Raises RuntimeError when that never happens."""
    for _ in range(MAX_DRAWS):
        drawn: dict[str, Any] = {}
        for name, spec in specs.items():
            drawn[name] = draw_one(spec, sizes=sizes, rng=rng, earlier=drawn, reference=reference)
        if not away_from_kinks or _clear_of_kinks(drawn, away_from_kinks, reference):
            return drawn
    raise RuntimeError(f"no inputs kept clear of the kinks of "
                       f"{away_from_kinks['reference'] if away_from_kinks else ''} in "
                       f"{MAX_DRAWS} draws; lower the margin")


def _clear_of_kinks(drawn: dict[str, Any], away: Mapping[str, Any], reference: Any) -> bool:
    values = getattr(reference, away["reference"])(copy.deepcopy(drawn))
    items = values if isinstance(values, list | tuple) else [values]
    return all(np.min(np.abs(np.asarray(v, dtype=np.float64)), initial=np.inf) >= away["margin"]
               for v in items)


def copy_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy, so a function that changes its argument cannot change the grader's copy."""
    return {k: copy.deepcopy(v) for k, v in inputs.items()}
