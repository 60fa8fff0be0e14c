"""The check kinds a spec may name, with the params each takes and the mistakes it reports."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graders.checks.base import CheckContext, Outcome

CheckFunction = Callable[[CheckContext], Outcome]

# Modules that register kinds when imported.
_KIND_MODULES = ("graders.assignments.rnn_bptt", "graders.assignments.mlp_numpy",
                 "graders.assignments.three_layer", "graders.assignments.lstm_gates",
                 "graders.assignments.autoencoders")


@dataclass(frozen=True)
class CheckKind:
    name: str
    function: CheckFunction
    required: frozenset[str] = frozenset()
    optional: Mapping[str, Any] = field(default_factory=dict)
    mistakes: frozenset[str] = frozenset()

    def validate_params(self, params: Mapping[str, Any]) -> tuple[str, str] | None:
        """(problem, fix) for a params mapping that cannot work, else None."""
        missing = sorted(self.required - set(params))
        if missing:
            return (f"{self.name} needs param {missing[0]!r}",
                    f"add '{missing[0]}' under params")
        unknown = sorted(set(params) - self.required - set(self.optional))
        if unknown:
            allowed = ", ".join(sorted(self.required | set(self.optional)))
            return f"{self.name} takes no param {unknown[0]!r}", f"use one of: {allowed}"
        return None

    def with_defaults(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.optional, **params}


_KINDS: dict[str, CheckKind] = {}


def register(name: str, *, required: tuple[str, ...] = (),
             optional: Mapping[str, Any] | None = None,
             mistakes: tuple[str, ...] = ()) -> Callable[[CheckFunction], CheckFunction]:
    def decorate(function: CheckFunction) -> CheckFunction:
        _KINDS[name] = CheckKind(name=name, function=function, required=frozenset(required),
                                 optional=dict(optional or {}), mistakes=frozenset(mistakes))
        return function
    return decorate


def _load() -> None:
    for module in _KIND_MODULES:
        importlib.import_module(module)


def lookup(name: str) -> CheckKind | None:
    _load()
    return _KINDS.get(name)


def kinds() -> list[str]:
    _load()
    return sorted(_KINDS)
