"""The wire between the trusted grader and the untrusted kernel.

The grader asks the kernel to call a student's function or method with inputs it sends, and to
send results back. Arrays cross as .npy (allow_pickle=False), everything else as JSON; nothing is
ever unpickled. A student's failure (exception, timeout, missing name, dead kernel) comes back as
a Reply with `problem` set, never as an exception.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graders.execute import KernelSession

_HARNESS_SOURCE = (Path(__file__).parent / "kernel_harness.py").read_text(encoding="utf-8")
MAX_REPLY_CHARS = 200_000_000


@dataclass(frozen=True)
class Ref:
    """A value that lives in the kernel: a stored result ('$name') or a global ('sigmoid')."""

    path: str

    @classmethod
    def first_of(cls, *paths: str) -> Ref:
        """The first of these the kernel defines, e.g. the student's own `sigmoid_deriv`, else
        the grader's helper: code that tells functions apart by identity gets the ones its
        course's scripts pass."""
        return cls("|".join(paths))


@dataclass(frozen=True)
class StudentError:
    type: str
    message: str
    frames: tuple[dict[str, Any], ...] = ()

    @property
    def text(self) -> str:
        """'ValueError: shapes (11,) and (27,) not aligned'."""
        return f"{self.type}: {self.message}" if self.message else self.type


@dataclass
class Reply:
    """The outcome of one request: `results` (one per op) when ok, else `problem`."""

    results: list[Any] = field(default_factory=list)
    problem: str = ""  # "error", "missing", "timeout", "dead", "garbled"
    error: StudentError | None = None
    missing: str = ""
    detail: str = ""
    failed_op: int = -1
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problem


class KernelProxy:
    """Sends requests to the harness installed in a KernelSession and decodes the replies."""

    def __init__(self, session: KernelSession, *, call_seconds: float) -> None:
        self.session = session
        self.call_seconds = call_seconds
        self._token = "_" + secrets.token_hex(8)
        self._installed = False
        self._defined: set[str] = set()

    def define(self, source: str, names: list[str]) -> Reply:
        """Define grader helpers (plain code, no secrets) once per kernel, as handles '$name'."""
        key = f"{hash(source)}:{','.join(names)}"
        if key in self._defined:
            return Reply(results=[None])
        reply = self.request([define_op(source, names)])
        if reply.ok:
            self._defined.add(key)
        return reply

    def _install(self) -> str:
        code = (f"{self._token} = (lambda ns: (exec(compile({_HARNESS_SOURCE!r}, '<nngrader>', "
                f"'exec'), ns), ns['make_wire'](get_ipython().user_ns, get_ipython()))[1])({{}})")
        run = self.session.run_code(code, number=0, timeout=30, store_history=False)
        if run.error_name:
            return f"{run.error_name}: {run.error_value}"
        self._installed = True
        return ""

    def request(self, ops: list[dict[str, Any]], *, timeout: float | None = None) -> Reply:
        """Run ops in order in the kernel; stop at the first that fails."""
        if not self.session.alive:
            return Reply(problem="dead", detail=self.session.record.dead or "the kernel is gone")
        if not self._installed:
            problem = self._install()
            if problem:
                return Reply(problem="garbled", detail=f"could not talk to the kernel ({problem})")
        payload = base64.b64encode(json.dumps({"ops": ops}).encode()).decode("ascii")
        limit = timeout or self.call_seconds
        run = self.session.run_code(f"{self._token}({payload!r})", number=0, timeout=limit,
                                    store_history=False)
        if not self.session.alive:
            return Reply(problem="dead", detail=self.session.record.dead, seconds=run.seconds)
        if run.timed_out:
            return Reply(problem="timeout", seconds=run.seconds,
                         detail=f"no answer within {limit:g} s")
        if len(run.replies) != 1:
            what = f"{run.error_name}: {run.error_value}" if run.error_name else "no reply"
            return Reply(problem="garbled", seconds=run.seconds,
                         detail=f"the kernel did not answer the grader ({what})")
        return _decode_reply(run.replies[0], run.seconds)

    # Convenience wrappers: each is one round trip.

    def call(self, target: str, *args: Any, store: str = "", want: bool = True,
             **kwargs: Any) -> Reply:
        return self.request([call_op(target, *args, store=store, want=want, **kwargs)])

    def get(self, *targets: str) -> Reply:
        return self.request([{"op": "get", "target": t} for t in targets])

    def describe(self, names: list[str]) -> dict[str, str]:
        reply = self.request([{"op": "describe", "names": names}])
        return reply.results[0] if reply.ok else {n: "unknown" for n in names}


def call_op(target: str, *args: Any, store: str = "", want: bool = True,
            **kwargs: Any) -> dict[str, Any]:
    return {"op": "call", "target": target, "args": encode(list(args)),
            "kwargs": encode_mapping(kwargs), "store": store, "return": want}


def set_op(target: str, value: Any) -> dict[str, Any]:
    return {"op": "set", "target": target, "value": encode(value)}


def get_op(target: str) -> dict[str, Any]:
    return {"op": "get", "target": target}


def put_op(store: str, value: Any) -> dict[str, Any]:
    """Keep a grader value in the kernel under a handle, for later ops to use as Ref('$store')."""
    return {"op": "put", "store": store, "value": encode(value)}


def set_global_op(name: str, value: Any) -> dict[str, Any]:
    """Give the notebook a global (e.g. the data X, y that real solutions read)."""
    return {"op": "global", "name": name, "value": encode(value)}


def define_op(source: str, names: list[str]) -> dict[str, Any]:
    """Define grader helper functions (no secrets: e.g. a training loop) as handles."""
    return {"op": "define", "source": source, "names": names}


def module_op(target: str) -> dict[str, Any]:
    """Describe a torch.nn.Module as data: layer types, sizes, parameter counts."""
    return {"op": "module", "target": target}


def torch_modules_op() -> dict[str, Any]:
    """The notebook's own torch.nn.Module classes and instances: {name: 'class' | 'instance'}."""
    return {"op": "torch_modules"}


def instances_op(*type_names: str) -> dict[str, Any]:
    """The notebook's globals whose class has one of these names: {name: class name}."""
    return {"op": "instances", "types": list(type_names)}


def sweep_op(target: str, *, param: str, deltas: list[np.ndarray], call: str, args: list[Any],
             collect: str) -> dict[str, Any]:
    return {"op": "sweep", "target": target, "param": param, "deltas": encode(deltas),
            "call": call, "args": encode(args), "collect": collect}


# ------------------------------------------------------------------------------ encoding


def encode(value: Any) -> Any:
    """Grader values -> JSON-able, arrays as base64 .npy."""
    if isinstance(value, Ref):
        return {"$ref": value.path}
    if isinstance(value, np.ndarray | np.generic):
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(value), allow_pickle=False)
        return {"$nd": base64.b64encode(buffer.getvalue()).decode("ascii")}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, dict):
        return encode_mapping(value)
    return value


def encode_mapping(value: dict[str, Any]) -> dict[str, Any]:
    return {"$dict": {str(k): encode(v) for k, v in value.items()}}


def decode(value: Any) -> Any:
    """Kernel JSON -> grader values. Arrays are loaded with allow_pickle=False; an object the
    kernel could not send as data stays an Opaque description."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if "$nd" in value:
            raw = base64.b64decode(str(value["$nd"]), validate=True)
            return np.load(io.BytesIO(raw), allow_pickle=False)
        if "$tuple" in value:
            return tuple(decode(v) for v in value["$tuple"])
        if "$dict" in value:
            return {str(k): decode(v) for k, v in value["$dict"].items()}
        if "$object" in value:
            return Opaque(type_name=str(value["$object"]), text=str(value.get("repr", "")))
        return {str(k): decode(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Opaque:
    """A kernel value that is not plain data (a student's object, a function, ...)."""

    type_name: str
    text: str


def _decode_reply(text: str, seconds: float) -> Reply:
    if len(text) > MAX_REPLY_CHARS:
        return Reply(problem="garbled", detail="the reply was too large", seconds=seconds)
    try:
        data = json.loads(text)
        results = decode(data.get("results", []))
    except (ValueError, TypeError, KeyError, OSError) as exc:
        return Reply(problem="garbled", detail=f"unreadable reply ({exc})", seconds=seconds)
    reply = Reply(results=results, seconds=seconds, failed_op=int(data.get("failed_op", -1)))
    if data.get("missing"):
        reply.problem, reply.missing = "missing", str(data["missing"])
    elif data.get("error"):
        err = data["error"]
        reply.problem = "error"
        reply.error = StudentError(type=str(err.get("type", "Error")),
                                   message=str(err.get("message", "")),
                                   frames=tuple(err.get("frames", [])))
    elif not data.get("ok", False):
        reply.problem = "garbled"
    return reply
