"""Typed params for check kinds: what a spec may write under a check's `params`.

Every kind publishes a Schema; the spec loader validates a check's params against it when the
spec loads, so a misspelt key, a wrong type or a misspelt option fails there (file, key path,
fix), never as a silently different check. The same schema writes the kind's documentation.

This module imports nothing of the grader: the spec loader and every kind depend on it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class ParamError(Exception):
    """A param that cannot work: `key` is its path below `params` (e.g. "inputs.x.shape")."""

    def __init__(self, key: str, problem: str, fix: str = "") -> None:
        super().__init__(f"{key}: {problem}" + (f" ({fix})" if fix else ""))
        self.key, self.problem, self.fix = key, problem, fix


def _join(key: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{key}[{name}]"
    return f"{key}.{name}" if key else name


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """'did you mean X?' for a close option, else the list of options."""
    options = sorted(str(o) for o in options)
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}? (one of: {', '.join(options)})"
    return f"use one of: {', '.join(options) or '(none)'}"


# ----------------------------------------------------------------------------- param types


class ParamType:
    """A type a param may have: `check` returns the value (normalised) or raises ParamError."""

    def check(self, value: Any, key: str, context: SchemaContext) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class SchemaContext:
    """What validation may know beyond the value: the functions the assignment's reference
    module defines (None when the reference is not at hand, e.g. in a student's handout)."""

    reference_functions: frozenset[str] | None = None


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


@dataclass(frozen=True)
class Number(ParamType):
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False

    def check(self, value: Any, key: str, context: SchemaContext) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise ParamError(key, f"must be a finite number, found {value!r}")
        if self.minimum is not None and (value < self.minimum or (
                self.exclusive_minimum and value == self.minimum)):
            relation = ">" if self.exclusive_minimum else ">="
            raise ParamError(key, f"must be {relation} {self.minimum:g}, found {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(key, f"must be <= {self.maximum:g}, found {value!r}")
        return float(value)

    def describe(self) -> str:
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{'>' if self.exclusive_minimum else '>='} {self.minimum:g}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum:g}")
        return "number" + (f" ({', '.join(bounds)})" if bounds else "")


@dataclass(frozen=True)
class Integer(ParamType):
    minimum: int | None = None
    maximum: int | None = None

    def check(self, value: Any, key: str, context: SchemaContext) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(key, f"must be a whole number, found {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ParamError(key, f"must be >= {self.minimum}, found {value}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(key, f"must be <= {self.maximum}, found {value}")
        return value

    def describe(self) -> str:
        bounds = [f">= {self.minimum}"] if self.minimum is not None else []
        bounds += [f"<= {self.maximum}"] if self.maximum is not None else []
        return "integer" + (f" ({', '.join(bounds)})" if bounds else "")


@dataclass(frozen=True)
class Text(ParamType):
    def check(self, value: Any, key: str, context: SchemaContext) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ParamError(key, f"must be a non-empty string, found {_type_name(value)}")
        return value

    def describe(self) -> str:
        return "string"


@dataclass(frozen=True)
class Flag(ParamType):
    def check(self, value: Any, key: str, context: SchemaContext) -> bool:
        if not isinstance(value, bool):
            raise ParamError(key, f"must be true or false, found {value!r}")
        return value

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Choice(ParamType):
    options: tuple[str, ...]

    def __init__(self, *options: str) -> None:
        object.__setattr__(self, "options", tuple(options))

    def check(self, value: Any, key: str, context: SchemaContext) -> str:
        if value not in self.options:
            raise ParamError(key, f"{value!r} is not an option", did_you_mean(value, self.options))
        return value

    def describe(self) -> str:
        return "one of " + ", ".join(f"`{o}`" for o in self.options)


@dataclass(frozen=True)
class ReferenceFunction(ParamType):
    """The name of a function in the assignment's reference.py."""

    def check(self, value: Any, key: str, context: SchemaContext) -> str:
        name = Text().check(value, key, context)
        known = context.reference_functions
        if known is not None and name not in known:
            raise ParamError(key, f"reference.py defines no function {name!r}",
                             did_you_mean(name, known))
        return name

    def describe(self) -> str:
        return "name of a function in reference.py"


@dataclass(frozen=True)
class ListOf(ParamType):
    item: ParamType
    min_items: int = 0
    max_items: int | None = None

    def check(self, value: Any, key: str, context: SchemaContext) -> list[Any]:
        if not isinstance(value, list):
            raise ParamError(key, f"must be a list, found {_type_name(value)}")
        if len(value) < self.min_items:
            raise ParamError(key, f"needs at least {self.min_items} item(s), found {len(value)}")
        if self.max_items is not None and len(value) > self.max_items:
            raise ParamError(key, f"takes at most {self.max_items} item(s), found {len(value)}")
        return [self.item.check(v, _join(key, i), context) for i, v in enumerate(value)]

    def describe(self) -> str:
        return f"list of {self.item.describe()}"


@dataclass(frozen=True)
class MapOf(ParamType):
    """A mapping from names (strings) to values of one type."""

    value: ParamType

    def check(self, value: Any, key: str, context: SchemaContext) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ParamError(key, f"must be a mapping, found {_type_name(value)}")
        checked = {}
        for name, item in value.items():
            if not isinstance(name, str):
                raise ParamError(key, f"key {name!r} must be a string")
            checked[name] = self.value.check(item, _join(key, name), context)
        return checked

    def describe(self) -> str:
        return f"mapping of name to {self.value.describe()}"


@dataclass(frozen=True)
class AnyOf(ParamType):
    """The first of several types that accepts the value (e.g. a number or a list of numbers)."""

    types: tuple[ParamType, ...]

    def __init__(self, *types: ParamType) -> None:
        object.__setattr__(self, "types", tuple(types))

    def check(self, value: Any, key: str, context: SchemaContext) -> Any:
        problems = []
        for kind in self.types:
            try:
                return kind.check(value, key, context)
            except ParamError as exc:
                problems.append(exc.problem)
        raise ParamError(key, f"must be {self.describe()}, found {value!r}")

    def describe(self) -> str:
        return " or ".join(t.describe() for t in self.types)


@dataclass(frozen=True)
class Anything(ParamType):
    """Any YAML value; for legacy kinds whose params are checked by the kind itself."""

    def check(self, value: Any, key: str, context: SchemaContext) -> Any:
        return value

    def describe(self) -> str:
        return "any value"


# ----------------------------------------------------------------------------- schemas

REQUIRED: Any = object()


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    default: Any = REQUIRED
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Schema:
    """The params of a kind (or of a nested record), each typed, with defaults and docs."""

    params: tuple[Param, ...] = ()
    doc: str = ""
    # Checks on the whole mapping once every param is valid (e.g. "give x or y, not both"):
    # each returns None or (key, problem, fix).
    rules: tuple[Any, ...] = field(default=())

    def __init__(self, *params: Param, doc: str = "", rules: tuple[Any, ...] = ()) -> None:
        object.__setattr__(self, "params", tuple(params))
        object.__setattr__(self, "doc", doc)
        object.__setattr__(self, "rules", tuple(rules))

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def validate(self, raw: Any, key: str = "",
                 context: SchemaContext | None = None) -> dict[str, Any]:
        """The params with defaults filled in, each checked; raises ParamError."""
        context = context or SchemaContext()
        if not isinstance(raw, Mapping):
            raise ParamError(key or "params", f"must be a mapping, found {_type_name(raw)}")
        for name in raw:
            if name not in self.names:
                raise ParamError(_join(key, str(name)), "unknown param",
                                 f"remove it, or {did_you_mean(name, self.names)}")
        values: dict[str, Any] = {}
        for param in self.params:
            if param.name in raw:
                values[param.name] = param.type.check(raw[param.name], _join(key, param.name),
                                                      context)
            elif param.required:
                raise ParamError(_join(key, param.name), "is required but missing",
                                 f"add '{param.name}' ({param.type.describe()})")
            else:
                values[param.name] = param.default
        for rule in self.rules:
            problem = rule(values)
            if problem:
                raise ParamError(_join(key, problem[0]), problem[1], problem[2])
        return values

    def describe_markdown(self) -> str:
        """A table of the params: name, type, default, meaning."""
        rows = ["| param | type | default | meaning |", "|---|---|---|---|"]
        for p in self.params:
            default = "required" if p.required else f"`{p.default!r}`"
            rows.append(f"| `{p.name}` | {p.type.describe()} | {default} | {p.doc} |")
        return "\n".join(rows)


@dataclass(frozen=True)
class Record(ParamType):
    """A nested mapping with its own schema (e.g. one generated input)."""

    schema: Schema

    def check(self, value: Any, key: str, context: SchemaContext) -> dict[str, Any]:
        return self.schema.validate(value, key, context)

    def describe(self) -> str:
        return "mapping of " + ", ".join(f"`{n}`" for n in self.schema.names)


def infer_type(default: Any) -> ParamType:
    """The type a default value implies (for kinds declared with defaults only)."""
    if isinstance(default, bool):
        return Flag()
    if isinstance(default, int):
        return Integer()
    if isinstance(default, float):
        return Number()
    if isinstance(default, str):
        return Text()
    if isinstance(default, list) and default:
        return ListOf(infer_type(default[0]))
    return Anything()
