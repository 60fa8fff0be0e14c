"""The reference's answers for the public checks, recorded once and shipped with the handout.

Public checks compute their expected values with the grader-side reference module, on inputs
drawn from the assignment's public seed. `grade build` runs them on the master notebook through a
`RecordingReference`, which writes down every call (arguments and result) as data; the handout
carries that record (`recorded.npz`, arrays plus a JSON index, read with allow_pickle=False), not
the reference. On a student's machine a `ReplayReference` answers the same calls from the record.

A call the record does not hold (the reference asked about the student's own values, say) raises
ReferenceUnavailable: that check can only run at grading, and `grade check` says so.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from graders.errors import GraderError

FORMAT = 1
# Arguments match a recorded call when equal within these (grader-side arithmetic on another
# machine's BLAS may differ in the last bits; finite-difference steps are far larger).
RTOL, ATOL = 1e-9, 1e-12


class ReferenceUnavailable(GraderError):
    """The reference was asked something the handout's record does not hold."""


class Unencodable(ValueError):
    """A value the record cannot hold as plain data (a generator, a function, ...)."""


# --------------------------------------------------------------------------- values as data


def encode(value: Any, arrays: list[np.ndarray]) -> Any:
    """value as a JSON-able tree; arrays are appended to `arrays` and referred to by index."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, np.ndarray | np.generic):
        array = np.array(value)  # a copy: later changes to the original are not recorded
        if array.dtype.hasobject:
            raise Unencodable("an array of Python objects")
        arrays.append(array)
        return {"array": len(arrays) - 1, "scalar": isinstance(value, np.generic)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {"namedtuple": type(value).__name__, "fields": list(value._fields),
                "values": [encode(v, arrays) for v in value]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"record": type(value).__name__,
                "fields": {k: encode(v, arrays) for k, v in _fields(value).items()}}
    if isinstance(value, tuple):
        return {"tuple": [encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [encode(v, arrays) for v in value]
    if isinstance(value, dict):
        return {"dict": [[encode(k, arrays), encode(v, arrays)] for k, v in value.items()]}
    raise Unencodable(f"a {type(value).__name__}")


def decode(tree: Any, arrays: list[np.ndarray]) -> Any:
    if tree is None or isinstance(tree, bool | int | str):
        return tree
    if isinstance(tree, list):
        return [decode(v, arrays) for v in tree]
    if "float" in tree:
        return float(tree["float"])
    if "array" in tree:
        array = arrays[tree["array"]].copy()
        return array[()] if tree["scalar"] else array
    if "namedtuple" in tree:
        kind = collections.namedtuple(tree["namedtuple"], tree["fields"])  # type: ignore[misc]
        return kind(*(decode(v, arrays) for v in tree["values"]))
    if "record" in tree:
        return SimpleNamespace(**{k: decode(v, arrays) for k, v in tree["fields"].items()})
    if "tuple" in tree:
        return tuple(decode(v, arrays) for v in tree["tuple"])
    return {decode(k, arrays): decode(v, arrays) for k, v in tree["dict"]}


def _same(a: Any, b: Any) -> bool:
    """Recorded arguments `a` (decoded) against live ones `b`, arrays within RTOL/ATOL."""
    if isinstance(a, np.ndarray | np.generic) or isinstance(b, np.ndarray | np.generic):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
            return False
        if a.dtype.kind in "fc":
            return bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))
        return bool(np.array_equal(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= ATOL + RTOL * abs(b) or (a != a and b != b)
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, SimpleNamespace) or dataclasses.is_dataclass(b):
        return _same(_fields(a), _fields(b))
    return type(a) is type(b) and a == b


def _fields(value: Any) -> dict[str, Any]:
    """A record's fields: a decoded one (a namespace) or a live dataclass, which a setup call
    may have given further attributes (private ones, such as a bound reference, are not fields)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {**{f.name: getattr(value, f.name) for f in dataclasses.fields(value)},
                **{k: v for k, v in vars(value).items() if not k.startswith("_")}}
    return dict(vars(value)) if isinstance(value, SimpleNamespace) else {}


def _signature(value: Any) -> str:
    """A cheap key that equal-within-tolerance arguments share: structure, shapes, dtypes."""
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        return f"a{array.dtype.kind}{array.shape}"
    if isinstance(value, tuple | list):
        return "(" + ",".join(_signature(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_signature(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return "f"
    if isinstance(value, SimpleNamespace) or (dataclasses.is_dataclass(value)
                                              and not isinstance(value, type)):
        return "<" + ",".join(f"{k}:{_signature(v)}" for k, v in _fields(value).items()) + ">"
    return repr(value)


def _update(live: Any, after: Any) -> None:
    """Change live arguments in place as the recorded call changed them (a dict filled, an
    array updated), so a replayed call leaves them as the reference did."""
    if isinstance(live, dict) and isinstance(after, dict):
        live.clear()
        live.update(after)
    elif isinstance(live, list) and isinstance(after, list):
        live[:] = after
    elif isinstance(live, np.ndarray) and isinstance(after, np.ndarray) and \
            live.shape == after.shape:
        live[...] = after
    elif isinstance(live, tuple | list) and isinstance(after, tuple | list):
        for item, changed in zip(live, after, strict=False):
            _update(item, changed)


# --------------------------------------------------------------------------- recording


@dataclasses.dataclass
class _Call:
    name: str
    args: Any  # (args tuple, kwargs dict), encoded
    result: Any  # encoded
    after: Any = None  # the arguments after the call, encoded, when the call changed them


class RecordingReference:
    """Stands in for the reference module and writes down every answer it gives."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self._arrays: list[np.ndarray] = []
        self._calls: list[_Call] = []
        self._seen: set[str] = set()
        self._constants: dict[str, Any] = {}
        self.unrecorded: list[str] = []  # calls that could not be written down, and why

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if not callable(value):
            if name not in self._constants:
                try:
                    self._constants[name] = encode(value, self._arrays)
                except Unencodable as exc:
                    self.unrecorded.append(f"reference.{name}: {exc}")
            return value
        return self._recorder(name, value)

    def _recorder(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            arrays: list[np.ndarray] = []
            try:
                encoded_args = encode((args, kwargs), arrays)
            except Unencodable as exc:
                self.unrecorded.append(f"reference.{name}(...): an argument is {exc}")
                return function(*args, **kwargs)
            result = function(*args, **kwargs)
            key = _digest(name, encoded_args, arrays)
            if key not in self._seen:
                try:
                    result_tree = encode(result, arrays)
                    after_arrays: list[np.ndarray] = []
                    after = encode((args, kwargs), after_arrays)
                except Unencodable as exc:
                    self.unrecorded.append(f"reference.{name}(...) returned {exc}")
                    return result
                changed = _digest(name, after, after_arrays) != key
                if changed:  # a function that fills or updates its arguments (params dicts)
                    after = _shift(after, len(arrays))
                    arrays.extend(after_arrays)
                self._seen.add(key)
                offset = len(self._arrays)
                self._arrays.extend(arrays)
                self._calls.append(_Call(name, _shift(encoded_args, offset),
                                         _shift(result_tree, offset),
                                         _shift(after, offset) if changed else None))
            return result
        return call

    @property
    def arrays(self) -> list[np.ndarray]:
        """Every array recorded so far (arguments and results)."""
        return list(self._arrays)

    @property
    def call_count(self) -> int:
        return len(self._calls)

    def save(self, path: Path) -> None:
        index = {"format": FORMAT, "constants": self._constants,
                 "calls": [[c.name, c.args, c.result, *([c.after] if c.after else [])]
                           for c in self._calls]}
        blobs = {f"a{i}": a for i, a in enumerate(self._arrays)}
        blobs["index"] = np.frombuffer(json.dumps(index).encode(), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **blobs)


def _digest(name: str, tree: Any, arrays: list[np.ndarray]) -> str:
    h = hashlib.sha256(name.encode())
    h.update(json.dumps(tree, sort_keys=True).encode())
    for a in arrays:
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _shift(tree: Any, offset: int) -> Any:
    """The tree with its array indices moved by offset (arrays joined into one list)."""
    if isinstance(tree, list):
        return [_shift(v, offset) for v in tree]
    if isinstance(tree, dict):
        if "array" in tree:
            return {**tree, "array": tree["array"] + offset}
        return {k: _shift(v, offset) for k, v in tree.items()}
    return tree


# --------------------------------------------------------------------------- replaying


class ReplayReference:
    """Answers the reference calls the record holds; anything else raises ReferenceUnavailable."""

    def __init__(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as data:
            index = json.loads(data["index"].tobytes().decode())
            self._arrays = [data[f"a{i}"] for i in range(len(data.files) - 1)]
        if index.get("format") != FORMAT:
            raise GraderError(f"{path}: recorded with another version of the grader; rebuild "
                              "the handout with `grade build`")
        self._constants: dict[str, Any] = index["constants"]
        self._calls: dict[str, dict[str, list[tuple[Any, Any]]]] = {}
        for name, args, result, *after in index["calls"]:
            decoded = decode(args, self._arrays)
            self._calls.setdefault(name, {}).setdefault(_signature(decoded), []).append(
                (decoded, (result, after[0] if after else None)))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._constants:
            return decode(self._constants[name], self._arrays)
        if name in self._calls:
            return self._replayer(name)
        raise ReferenceUnavailable(f"reference.{name} was never used by the public checks")

    def _replayer(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            live = (args, kwargs)
            for recorded, (result, after) in self._calls[name].get(_signature(live), []):
                if _same(recorded, live):
                    if after is not None:
                        _update(live, decode(after, self._arrays))
                    return decode(result, self._arrays)
            raise ReferenceUnavailable(f"reference.{name} on these inputs is not in the record")
        return call
