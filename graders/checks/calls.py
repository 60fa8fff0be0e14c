"""The small vocabulary the generic kinds use to call a student's code: arguments and calls.

An argument in a spec is a literal YAML value, or a mapping naming one thing the grader supplies:
`{new: dict}` / `{new: list}` (a fresh empty container the call may fill), `{data: x}` (an array
the check's data function made), `{stored: net}` (what an earlier setup call returned) or
`{global: sigmoid}` (something the notebook defines, e.g. a function passed on). Nothing else:
no expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graders.checks.schema import (
    Anything,
    Integer,
    ListOf,
    Param,
    ParamError,
    Record,
    Schema,
    SchemaContext,
    Text,
)
from graders.kernel import Ref, call_op, get_op, put_op

PLACEHOLDERS = {"new": ("dict", "list"), "data": None, "stored": None, "global": None}


@dataclass(frozen=True)
class Argument(Anything):
    """A literal value, or one placeholder mapping (see the module's doc)."""

    def check(self, value: Any, key: str, context: SchemaContext) -> Any:
        if isinstance(value, dict):
            names = list(value)
            if len(names) != 1 or names[0] not in PLACEHOLDERS:
                from graders.checks.schema import did_you_mean

                raise ParamError(key, f"a mapping argument names one placeholder, found "
                                 f"{value!r}", did_you_mean(str(names[0]) if names else "",
                                                            PLACEHOLDERS))
            name, given = names[0], value[names[0]]
            options = PLACEHOLDERS[name]
            if options is not None and given not in options:
                from graders.checks.schema import did_you_mean

                raise ParamError(f"{key}.{name}", f"{given!r} is not an option",
                                 did_you_mean(str(given), options))
            if options is None and (not isinstance(given, str) or not given.strip()):
                raise ParamError(f"{key}.{name}", "must name a value (a non-empty string)")
        return value

    def describe(self) -> str:
        return ("a literal value, or one of `{new: dict}`, `{new: list}`, `{data: NAME}`, "
                "`{stored: NAME}`, `{global: NAME}`")


ARGS = ListOf(Argument())
CALL = Schema(
    Param("call", Text(), doc="the student's function, class or method (`net.train`; "
          "`@net.train` for the method of what a setup call stored as `net`)"),
    Param("args", ARGS, [], "positional arguments"),
    Param("kwargs", Anything(), {}, "keyword arguments (a mapping; values as in `args`)"),
    Param("store", Text(), "", "keep the result under this name, for `{stored: NAME}`"),
)
CALLS = ListOf(Record(CALL))
TIMES = Integer(minimum=1, maximum=100_000)


def _handle(prefix: str, name: str) -> str:
    return f"{prefix}_{name}"


def argument(value: Any, *, prefix: str, slot: str,
             data: dict[str, str]) -> tuple[Any, list[dict[str, Any]]]:
    """A spec argument as a kernel value, and the ops that must run first (a fresh container,
    kept under `slot`). `data` maps data names to the kernel handles holding them."""
    if not isinstance(value, dict):
        return value, []
    (name, given), = value.items()
    if name == "new":
        handle = _handle(prefix, slot)
        return Ref(f"${handle}"), [put_op(handle, {} if given == "dict" else [])]
    if name == "data":
        if given not in data:
            raise KeyError(f"no data named {given!r}; the data function made: "
                           f"{', '.join(sorted(data)) or 'nothing'}")
        return Ref(f"${data[given]}"), []
    if name == "stored":
        return Ref(stored(prefix, given)), []
    return Ref(given), []


def call_arguments(call: dict[str, Any], *, prefix: str,
                   data: dict[str, str]) -> tuple[list[dict[str, Any]], list[Any], dict[str, Any]]:
    """A spec call's arguments as kernel values: (ops to run first, args, kwargs)."""
    ops, args, kwargs = [], [], {}
    for index, value in enumerate(call.get("args", [])):
        arg, before = argument(value, prefix=prefix, slot=_slot(call, index), data=data)
        ops += before
        args.append(arg)
    for name, value in (call.get("kwargs") or {}).items():
        arg, before = argument(value, prefix=prefix, slot=_slot(call, name), data=data)
        ops += before
        kwargs[name] = arg
    return ops, args, kwargs


def target_path(target: str, prefix: str) -> str:
    """The kernel path of a call's target: a notebook name (`net.train`), or `@net.train`, the
    method of what a setup call stored as `net`."""
    if target.startswith("@"):
        head, dot, rest = target[1:].partition(".")
        return stored(prefix, head) + dot + rest
    return target


def call_ops(call: dict[str, Any], *, prefix: str, data: dict[str, str],
             want: bool = False) -> list[dict[str, Any]]:
    """Ops for one spec call: its fresh containers, then the call (its result stored when the
    spec names `store`)."""
    ops, args, kwargs = call_arguments(call, prefix=prefix, data=data)
    store = _handle(prefix, call["store"]) if call.get("store") else ""
    ops.append(call_op(target_path(call["call"], prefix), *args, store=store, want=want,
                       **kwargs))
    return ops


def _slot(call: dict[str, Any], position: int | str) -> str:
    return f"{call.get('store') or 'call'}_arg_{position}"


def argument_path(prefix: str, call: dict[str, Any], position: int | str) -> str:
    """The kernel path of a fresh container passed to `call` at `position` (after the call: what
    the student's code put in it)."""
    return f"${_handle(prefix, _slot(call, position))}"


def stored(prefix: str, name: str) -> str:
    """The kernel path of what a setup call stored as `name`."""
    return f"${_handle(prefix, name)}"


def data_ops(arrays: dict[str, Any], prefix: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Ops that put the check's data arrays in the kernel, and their handles by name."""
    handles = {name: _handle(prefix, f"data_{name}") for name in arrays}
    return [put_op(handles[name], value) for name, value in arrays.items()], handles


def call_text(call: dict[str, Any]) -> str:
    """How a report shows a call: `initialize_weights(400, 300, {}, 'L')`."""
    def show(value: Any) -> str:
        if isinstance(value, dict):
            (name, given), = value.items()
            return {"dict": "{}", "list": "[]"}.get(given, str(given)) if name == "new" \
                else str(given)
        return repr(value)
    shown = [show(v) for v in call.get("args", [])]
    shown += [f"{k}={show(v)}" for k, v in (call.get("kwargs") or {}).items()]
    return f"{call['call']}({', '.join(shown)})"


__all__ = ["ARGS", "CALL", "CALLS", "TIMES", "Argument", "argument", "argument_path",
           "call_arguments", "call_ops", "call_text", "data_ops", "get_op", "stored",
           "target_path"]
