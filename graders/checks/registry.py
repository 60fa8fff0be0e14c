"""The check kinds a spec may name: the generic kinds of graders/checks/, and the special cases
an assignment keeps in its own `assignments/<id>/checks.py` (loaded by path, like reference.py).

A kind is a function of a CheckContext, a typed params Schema (validated when the spec loads)
and the mistakes it may report (the keys a spec's hints may use). Kinds of an assignment's
checks.py are named `<id>.<name>` and only that assignment's spec may use them.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from graders.checks.schema import REQUIRED, Anything, Param, ParamType, Schema, infer_type

if TYPE_CHECKING:
    from graders.checks.base import CheckContext, Outcome

CheckFunction = Callable[["CheckContext"], "Outcome"]

# The generic kinds: each module registers its kind when imported.
_GENERIC_MODULES: tuple[str, ...] = (
    "graders.checks.call", "graders.checks.gradient_kind", "graders.checks.property",
    "graders.checks.distribution", "graders.checks.value", "graders.checks.trained",
    "graders.checks.module", "graders.checks.answer",
)

ASSIGNMENT_CHECKS = "checks.py"


def check_code_files(folder: Path) -> list[Path]:
    """An assignment's own check code: checks.py and the checks_*.py files it reads (e.g. the
    helpers it defines in the kernel). Hashed with the assignment; shipped with a handout whose
    public checks need it."""
    return sorted(p for p in folder.glob("checks*.py")
                  if p.name == ASSIGNMENT_CHECKS or p.name.startswith("checks_"))


@dataclass(frozen=True)
class CheckKind:
    name: str
    function: CheckFunction
    schema: Schema = field(default_factory=Schema)
    mistakes: frozenset[str] = frozenset()
    doc: str = ""

    def with_defaults(self, params: Mapping[str, Any]) -> dict[str, Any]:
        defaults = {p.name: p.default for p in self.schema.params if not p.required}
        return {**defaults, **params}


class KindError(Exception):
    """An assignment's checks.py that cannot be loaded or registers a kind it may not."""


_GENERIC: dict[str, CheckKind] = {}
_BY_FOLDER: dict[Path, dict[str, CheckKind]] = {}
_MODULES: dict[Path, ModuleType] = {}
_collecting: dict[str, CheckKind] | None = None


def _schema_from(required: tuple[str, ...], optional: Mapping[str, Any] | None,
                 types: Mapping[str, ParamType] | None) -> Schema:
    """A schema for a kind declared with names and defaults; `types` overrides the inferred."""
    types = dict(types or {})
    params = [Param(n, types.pop(n, Anything()), REQUIRED) for n in required]
    params += [Param(n, types.pop(n, None) or infer_type(d), d)
               for n, d in (optional or {}).items()]
    if types:
        raise TypeError(f"types given for undeclared params: {sorted(types)}")
    return Schema(*params)


def register(name: str, *, params: Schema | None = None, required: tuple[str, ...] = (),
             optional: Mapping[str, Any] | None = None,
             types: Mapping[str, ParamType] | None = None,
             mistakes: tuple[str, ...] = ()) -> Callable[[CheckFunction], CheckFunction]:
    """Register a kind: either `params` (a Schema), or `required` names and `optional`
    defaults whose types are inferred from the defaults unless `types` names them."""
    schema = params if params is not None else _schema_from(required, optional, types)

    def decorate(function: CheckFunction) -> CheckFunction:
        kind = CheckKind(name=name, function=function, schema=schema,
                         mistakes=frozenset(mistakes), doc=(function.__doc__ or "").strip())
        (_collecting if _collecting is not None else _GENERIC)[name] = kind
        return function
    return decorate


def _load_generic() -> None:
    for module in _GENERIC_MODULES:
        importlib.import_module(module)


@contextmanager
def _collect() -> Iterator[dict[str, CheckKind]]:
    global _collecting
    previous, _collecting = _collecting, {}
    try:
        yield _collecting
    finally:
        _collecting = previous


def load_assignment_kinds(folder: Path, assignment_id: str) -> dict[str, CheckKind]:
    """The kinds of `folder/checks.py` (none if there is no such file), loaded once per folder.
    Raises KindError when it cannot be imported or names a kind outside `<id>.`."""
    folder = folder.resolve()
    if folder in _BY_FOLDER:
        return _BY_FOLDER[folder]
    path = folder / ASSIGNMENT_CHECKS
    kinds: dict[str, CheckKind] = {}
    if path.is_file():
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
        module_name = f"nngrader_assignment_checks_{assignment_id}_{digest}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise KindError(f"{path} cannot be loaded as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses need their module registered
        with _collect() as collected:
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                sys.modules.pop(module_name, None)
                raise KindError(f"{path} failed to load: {type(exc).__name__}: {exc}") from exc
        for name in collected:
            if not name.startswith(f"{assignment_id}."):
                raise KindError(f"{path} registers kind {name!r}; an assignment's own kinds "
                                f"are named '{assignment_id}.<name>'")
        kinds = collected
        _MODULES[folder] = module
    _BY_FOLDER[folder] = kinds
    return kinds


def assignment_checks_module(folder: Path, assignment_id: str) -> ModuleType | None:
    """The loaded checks.py of an assignment (for tests of its helpers), or None."""
    load_assignment_kinds(folder, assignment_id)
    return _MODULES.get(folder.resolve())


def lookup(name: str, folder: Path | None = None, assignment_id: str = "") -> CheckKind | None:
    """The kind called `name`: a generic one, or one of the assignment's in `folder`."""
    _load_generic()
    if name in _GENERIC:
        return _GENERIC[name]
    if folder is not None and assignment_id:
        return load_assignment_kinds(folder, assignment_id).get(name)
    return None


def kinds(folder: Path | None = None, assignment_id: str = "") -> list[str]:
    _load_generic()
    local = load_assignment_kinds(folder, assignment_id) if folder is not None else {}
    return sorted({*_GENERIC, *local})


def is_generic(name: str) -> bool:
    _load_generic()
    return name in _GENERIC


def generic_kinds() -> dict[str, CheckKind]:
    _load_generic()
    return dict(_GENERIC)
