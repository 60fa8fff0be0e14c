"""What the generic kinds share: how a spec names a call (the student's function, method or
constructor, after setup calls, on generated inputs), how that call becomes one kernel request,
and how the same call is made on the reference in the grader.

The kernel receives only the generated inputs and the names to call; the reference runs here.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from graders.checks import inputs as gen
from graders.checks.schema import (
    AnyOf,
    Choice,
    Integer,
    ListOf,
    MapOf,
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
from graders.kernel import Ref, call_op, get_op, put_op, set_op

OUTPUT = Record(Schema(
    Param("of", Choice("returned", "argument", "object"), "returned",
          doc="`returned`: what the call returns; `argument`: an input after the call (what "
              "it changed); `object`: the object a method belongs to (what it stored)"),
    Param("name", Text(), "", doc="the input, for `of: argument`"),
    Param("attribute", Text(), "", doc="an attribute of it (e.g. `W`)"),
    Param("index", Integer(minimum=0), -1, doc="an element of a returned tuple or list"),
    Param("key", Text(), "", doc="an entry of a dict"),
    Param("each", Integer(minimum=0), -1, doc="then element N of each item of a list (e.g. "
          "the x of every (x, y) batch)"),
    rules=(lambda v: ("name", "names no input", "add name: <input> for of: argument")
           if v["of"] == "argument" and not v["name"] else None,),
))

SETUP = Record(Schema(
    Param("call", Text(), doc="the student's function or class to call first, or "
          "`$store.method` of an object an earlier setup call made"),
    Param("reference", ReferenceFunction(), doc="the reference.py function made the same call "
          "(for a method: with the reference's object first)"),
    Param("args", ListOf(Text()), [], doc="input names passed in order"),
    Param("store", Text(), "", doc="the name later args and `function: $name.method` use"),
    Param("attributes", MapOf(Text()), {}, doc="attribute -> input set on the stored object "
          "after the call (a parameter a gradient may be taken with respect to)"),
))


@dataclass(frozen=True)
class MistakeMap(ParamType):
    """`mistakes: {reference_function: hint}`: known wrong answers computed by reference.py."""

    def check(self, value: Any, key: str, context: SchemaContext) -> dict[str, str]:
        checked = MapOf(Text()).check(value, key, context)
        for name in checked:
            ReferenceFunction().check(name, f"{key}.{name}", context)
        return checked

    def describe(self) -> str:
        return "mapping of reference.py function (a known wrong answer) to its hint"


def call_params() -> tuple[Param, ...]:
    """The params every generic kind that calls the student's code takes."""
    return (
        Param("function", Text(), doc="what to call in the notebook: a function, a class "
              "(its constructor) or `$store.method` of an object made by `setup`"),
        Param("reference", ReferenceFunction(), doc="the reference.py function called on the "
              "same inputs (for a method: the setup object's reference first)"),
        Param("inputs", gen.INPUTS, {}, doc="name -> generator (normal, uniform, integers, "
              "one_hot, choice, constant, array, reference, size)"),
        Param("sizes", gen.SIZES, {}, doc="names for sizes that shapes and bounds may use"),
        Param("args", AnyOf(ListOf(Text())), None,
              doc="input or setup names passed in order (default: every input, in order)"),
        Param("kwargs", MapOf(Text()), {}, doc="keyword -> input name"),
        Param("setup", ListOf(SETUP), [], doc="calls made before each call, e.g. a constructor"),
        Param("away_from_kinks", AnyOf(gen.AWAY_FROM_KINKS), None,
              doc="redraw inputs until a reference function's values keep clear of zero"),
    )


def call_rules() -> tuple[Any, ...]:
    def names_exist(v: dict[str, Any]) -> tuple[str, str, str] | None:
        known = [*v["inputs"], *(s["store"] for s in (v["setup"] or []) if s["store"])]
        stores: list[str] = []
        for i, s in enumerate(v["setup"] or []):
            for j, arg in enumerate([*s["args"], *s["attributes"].values()]):
                if arg not in v["inputs"]:
                    where = f"args[{j}]" if j < len(s["args"]) else "attributes"
                    return (f"setup[{i}].{where}", f"{arg!r} is not an input",
                            did_you_mean(arg, v["inputs"]))
            if s["attributes"] and not s["store"]:
                return (f"setup[{i}].attributes", "sets attributes on an object it does not "
                        "store", "add store: <name>")
            if s["call"].startswith("$") and s["call"][1:].split(".")[0] not in stores:
                return (f"setup[{i}].call", f"{s['call']!r} names no earlier setup store",
                        did_you_mean(s["call"][1:].split(".")[0], stores))
            if s["store"]:
                stores.append(s["store"])
        for i, arg in enumerate(v["args"] or []):
            if arg not in known:
                return (f"args[{i}]", f"{arg!r} is not an input or a setup store",
                        did_you_mean(arg, known))
        for word, arg in (v["kwargs"] or {}).items():
            if arg not in known:
                return (f"kwargs.{word}", f"{arg!r} is not an input or a setup store",
                        did_you_mean(arg, known))
        target = v["function"]
        if target.startswith("$"):
            store = target[1:].split(".")[0]
            if store not in stores:
                return ("function", f"{target!r} names no setup store {store!r}",
                        f"add a setup call with store: {store}, or {did_you_mean(store, stores)}")
        return None
    return (gen.inputs_rule(), names_exist)


def output_rule(field: str) -> Any:
    def rule(v: dict[str, Any]) -> tuple[str, str, str] | None:
        out = v.get(field)
        if out and out["of"] == "argument" and out["name"] not in v["inputs"]:
            return (f"{field}.name", f"{out['name']!r} is not an input",
                    did_you_mean(out["name"], v["inputs"]))
        return None
    return rule


# ----------------------------------------------------------------------------- the call


@dataclass(frozen=True)
class Call:
    """One call as the spec names it, with validated params."""

    params: Mapping[str, Any]
    visibility: str

    @property
    def arg_names(self) -> list[str]:
        args = self.params["args"]
        if args is None:
            return [n for n in self.params["inputs"]]
        return list(args)

    def key(self) -> str:
        """Equal for checks that make the same call (they share one request and inputs)."""
        fields = ("function", "reference", "inputs", "sizes", "args", "kwargs", "setup",
                  "away_from_kinks")
        return json.dumps({f: self.params[f] for f in fields}, sort_keys=True, default=str)

    def rng(self, seed: int, *salt: object) -> np.random.Generator:
        return np.random.default_rng([seed, zlib.crc32((self.key() + repr(salt)).encode())])

    def draw(self, seed: int, reference: Any) -> dict[str, Any]:
        return gen.draw_inputs(self.params["inputs"], sizes=self.params["sizes"],
                               rng=self.rng(seed, "inputs"), reference=reference,
                               away_from_kinks=self.params["away_from_kinks"])

    # -- the kernel side -------------------------------------------------------------------

    def handle(self, name: str) -> str:
        return f"nng_{name}_{self.visibility}"

    def target(self) -> str:
        return self._path(self.params["function"])

    def _path(self, function: str) -> str:
        """A kernel path: `$store.method` becomes the handle the setup call stored."""
        if function.startswith("$"):
            store, _, rest = function[1:].partition(".")
            return "$" + self.handle(store) + (f".{rest}" if rest else "")
        return function

    def kernel_ops(self, values: Mapping[str, Any], *, store: str = "") -> list[dict[str, Any]]:
        """Put the inputs, make the setup calls, then the call (its result kept under `store`
        when given). One result per op; the call's is the last."""
        ops = [put_op(self.handle(name), kernel_value(value)) for name, value in values.items()]
        for setup in self.params["setup"]:
            store_as = self.handle(setup["store"]) if setup["store"] else ""
            ops.append(call_op(self._path(setup["call"]),
                               *[Ref("$" + self.handle(a)) for a in setup["args"]],
                               store=store_as, want=False))
            for attribute, name in setup["attributes"].items():
                ops.append(set_op(f"${store_as}.{attribute}", Ref("$" + self.handle(name))))
        args = [Ref("$" + self.handle(a)) for a in self.arg_names]
        kwargs = {k: Ref("$" + self.handle(a)) for k, a in self.params["kwargs"].items()}
        ops.append(call_op(self.target(), *args, store=store, **kwargs))
        return ops

    def describe_op(self, ops: list[dict[str, Any]], index: int) -> str:
        """What the grader was doing at ops[index], in the spec's names ('call net.ForwardTT',
        'read net.dEdU'); the call itself when the op is unknown."""
        op = ops[index] if 0 <= index < len(ops) else {}
        target = re.sub(rf"\$?nng_(\w+?)_{self.visibility}\b", r"\1", str(op.get("target", "")))
        if op.get("op") == "call":
            return f"call {target}"
        if op.get("op") == "get":
            return f"read {target}"
        if op.get("op") == "set":
            return f"set {target}"
        return f"call {self.params['function'].lstrip('$')}"

    def fetch_ops(self, output: Mapping[str, Any], store: str) -> list[dict[str, Any]]:
        """Ops (after kernel_ops with `store`) returning what `output` selects, before any
        index or key (those are taken in the grader)."""
        of, attribute = output["of"], output["attribute"]
        if of == "returned" and not attribute:
            return []
        if of == "argument":
            base = "$" + self.handle(output["name"])
        elif of == "object" and self.params["function"].startswith("$"):
            base = "$" + self.handle(self.params["function"][1:].split(".")[0])
        else:
            base = "$" + store
        return [get_op(base + (f".{attribute}" if attribute else ""))]

    # -- the grader side -------------------------------------------------------------------

    def call_reference(self, reference: Any, values: Mapping[str, Any],
                       function: str = "") -> tuple[Any, dict[str, Any]]:
        """(what the reference returns, the namespace after the call: inputs and setup objects)
        on a deep copy of the inputs."""
        space = gen.copy_inputs(values)
        for setup in self.params["setup"]:
            args = [space[a] for a in setup["args"]]
            if setup["call"].startswith("$"):
                args.insert(0, space[setup["call"][1:].split(".")[0]])
            made = getattr(reference, setup["reference"])(*args)
            if setup["store"]:
                space[setup["store"]] = made
                for attribute, name in setup["attributes"].items():
                    setattr(made, attribute, space[name])
        args = [space[a] for a in self.arg_names]
        if self.params["function"].startswith("$"):
            args.insert(0, space[self.params["function"][1:].split(".")[0]])
        kwargs = {k: space[a] for k, a in self.params["kwargs"].items()}
        result = getattr(reference, function or self.params["reference"])(*args, **kwargs)
        return result, space


def kernel_value(value: Any) -> Any:
    """An input as the kernel receives it: a function input becomes the notebook's own."""
    if isinstance(value, gen.NotebookFunction):
        return Ref.first_of(*value.names)
    return value


def select(output: Mapping[str, Any], returned: Any, space: Mapping[str, Any],
           function: str) -> Any:
    """What `output` names, from a reference call's result and namespace (grader side)."""
    of = output["of"]
    if of == "argument":
        value = space[output["name"]]
    elif of == "object" and function.startswith("$"):
        value = space[function[1:].split(".")[0]]
    else:
        value = returned
    if output["attribute"]:
        value = getattr(value, output["attribute"])
    return pick(output, value)


def pick(output: Mapping[str, Any], value: Any) -> Any:
    """The element or entry of an already fetched value; raises LookupError with a sentence."""
    if output["index"] >= 0:
        if not isinstance(value, tuple | list):
            raise LookupError(f"should be a tuple, with element {output['index']}, but it is "
                              f"{_what(value)}")
        if output["index"] >= len(value):
            raise LookupError(f"has {len(value)} element(s); element {output['index']} is "
                              "missing")
        value = value[output["index"]]
    if output["key"]:
        if not isinstance(value, Mapping):
            raise LookupError(f"should be a dict with key {output['key']!r}, but it is "
                              f"{_what(value)}")
        if output["key"] not in value:
            raise LookupError(f"has no key {output['key']!r} (keys: {sorted(value)})")
        value = value[output["key"]]
    each = output.get("each", -1)
    if each >= 0:
        if not isinstance(value, tuple | list):
            raise LookupError(f"should be a list of tuples, but it is {_what(value)}")
        for number, item in enumerate(value):
            if not isinstance(item, tuple | list) or len(item) <= each:
                raise LookupError(f"should be a list of tuples with element {each}, but item "
                                  f"{number} is {_what(item)}")
        value = [item[each] for item in value]
    return value


def _what(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return "None" if value is None else f"a {type(value).__name__}"


def describe_output(output: Mapping[str, Any], function: str) -> str:
    """'element 1 of what naiveSoftmaxLoss returns', 'W of the object', ..."""
    name = function.lstrip("$")
    if output["of"] == "argument":
        base = f"argument `{output['name']}` after calling {name}"
    elif output["of"] == "object" and function.startswith("$"):
        base = f"the object `{name.split('.')[0]}` after calling {name}"
    else:
        base = f"what {name} returns"
    if output["attribute"]:
        base = f"`.{output['attribute']}` of {base}"
    if output["index"] >= 0:
        base = f"element {output['index']} of {base}"
    if output["key"]:
        base = f"entry {output['key']!r} of {base}"
    if output.get("each", -1) >= 0:
        base = f"element {output['each']} of each item of {base}"
    return base


def validated(schema: Schema, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The check's params with nested defaults filled in (the loader validated them already)."""
    try:
        defaults = {p.name: p.default for p in schema.params if not p.required}
        return schema.validate({k: v for k, v in raw.items()
                                if v is not None and not (k in defaults and v == ""
                                                          and defaults[k] == "")})
    except ParamError as exc:  # pragma: no cover - the spec loader refused these already
        raise RuntimeError(f"params changed after loading: {exc}") from exc
