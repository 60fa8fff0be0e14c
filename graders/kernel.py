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
import time
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
    # "error", "missing", "timeout", "dead", "garbled"; "not_called" (the function timed out
    # earlier in this part), "out_of_budget" (the submission's checks used up their time)
    problem: str = ""
    error: StudentError | None = None
    missing: str = ""
    detail: str = ""
    failed_op: int = -1
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problem


class KernelProxy:
    """Sends requests to the harness installed in a KernelSession and decodes the replies.

    Two bounds keep one slow submission from holding a worker: a function that ran past its
    time limit is not called again in the same part (`begin_part` starts a part afresh), and no
    request runs past `deadline` (a time.perf_counter() value), the end of the submission's
    budget for its checks (`budget_seconds`).
    """

    def __init__(self, session: KernelSession, *, call_seconds: float,
                 deadline: float | None = None, budget_seconds: float = 0.0) -> None:
        self.session = session
        self.call_seconds = call_seconds
        self.deadline = deadline
        self.budget_seconds = budget_seconds
        self.budget_hits = 0  # requests refused or cut short by the deadline
        self.timed_out: dict[str, float] = {}  # function -> the limit it ran past, this part
        self._token = "_" + secrets.token_hex(8)
        self._installed = False
        self._defined: set[str] = set()

    def begin_part(self) -> None:
        """Forget which functions timed out: a new part may call them again, once."""
        self.timed_out.clear()

    @property
    def out_of_budget(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

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
        refused = self._refused(ops)
        if refused is not None:
            return refused
        limit = timeout or self.call_seconds
        cut_by_budget = False
        if self.deadline is not None and self.deadline - time.perf_counter() < limit:
            limit, cut_by_budget = max(1.0, self.deadline - time.perf_counter()), True
        if not self._installed:
            problem = self._install()
            if problem:
                return Reply(problem="garbled", detail=f"could not talk to the kernel ({problem})")
        payload = base64.b64encode(json.dumps({"ops": ops}).encode()).decode("ascii")
        run = self.session.run_code(f"{self._token}({payload!r})", number=0, timeout=limit,
                                    store_history=False)
        if not self.session.alive:
            return Reply(problem="dead", detail=self.session.record.dead, seconds=run.seconds)
        if run.timed_out:
            failed = _failed_op(run.replies, len(ops))
            if cut_by_budget:
                self.budget_hits += 1
                return Reply(problem="out_of_budget", seconds=run.seconds, failed_op=failed,
                             detail=self._budget_text())
            culprits = [ops[failed]] if failed >= 0 else ops
            for name in filter(None, map(function_name, culprits)):
                self.timed_out.setdefault(name, limit)
            return Reply(problem="timeout", seconds=run.seconds, failed_op=failed,
                         detail=f"no answer within {limit:g} s")
        if len(run.replies) != 1:
            what = f"{run.error_name}: {run.error_value}" if run.error_name else "no reply"
            return Reply(problem="garbled", seconds=run.seconds,
                         detail=f"the kernel did not answer the grader ({what})")
        return _decode_reply(run.replies[0], run.seconds)

    def _refused(self, ops: list[dict[str, Any]]) -> Reply | None:
        """A reply for a request that must not run: it calls a function that timed out
        earlier in this part, or the budget for the checks is spent."""
        for index, op in enumerate(ops):
            name = function_name(op)
            if name in self.timed_out:
                return Reply(problem="not_called", failed_op=index, detail=(
                    f"`{name}` was not called again, because it timed out once already in "
                    f"this part (it ran past the {self.timed_out[name]:g} s call limit)"))
        if self.out_of_budget:
            self.budget_hits += 1
            return Reply(problem="out_of_budget", detail=self._budget_text())
        return None

    def _budget_text(self) -> str:
        return (f"the checks of this submission used up their time budget "
                f"({self.budget_seconds:g} s, limits.checks_seconds)")

    # Convenience wrappers: each is one round trip.

    def call(self, target: str, *args: Any, store: str = "", want: bool = True,
             **kwargs: Any) -> Reply:
        return self.request([call_op(target, *args, store=store, want=want, **kwargs)])

    def get(self, *targets: str) -> Reply:
        return self.request([{"op": "get", "target": t} for t in targets])

    def describe(self, names: list[str]) -> dict[str, str]:
        reply = self.request([{"op": "describe", "names": names}])
        return reply.results[0] if reply.ok else {n: "unknown" for n in names}


def function_name(op: dict[str, Any]) -> str:
    """The student's function (or method, or stored value) an op calls, '' for none:
    'BPTT' for '$net6_hidden.BPTT', 'ForwardTT' for a sweep through it."""
    if op.get("op") == "sweep":
        return str(op.get("call", ""))
    if op.get("op") == "call":
        return str(op.get("target", "")).rsplit(".", 1)[-1].lstrip("$")
    return ""


def _failed_op(replies: list[str], count: int) -> int:
    """The op the harness was in when it was interrupted (it still answers, saying which),
    or -1 when it did not answer."""
    if len(replies) != 1:
        return -1
    try:
        failed = int(json.loads(replies[0]).get("failed_op", -1))
    except (ValueError, TypeError, AttributeError):
        return -1
    return failed if 0 <= failed < count else -1


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
    """The notebook's own torch.nn.Module classes and every nn.Module instance it holds:
    {name: 'class' | 'instance'}."""
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
