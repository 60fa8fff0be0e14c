"""What a check receives (CheckContext) and what it returns (Outcome)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from graders.execute import RunRecord
from graders.kernel import KernelProxy, Reply
from graders.notebook import Submission
from graders.spec import AssignmentSpec, CheckSpec


@dataclass
class Outcome:
    """A check's verdict: credit in [0, 1], the message, and the known mistake it matched."""

    fraction: float
    message: str
    mistake: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def passed(cls, message: str, **details: Any) -> Outcome:
        return cls(1.0, message, details=details)

    @classmethod
    def failed(cls, message: str, mistake: str = "", **details: Any) -> Outcome:
        return cls(0.0, message, mistake=mistake, details=details)


# The mistake of a check that did not run to the end because the submission's checks used up
# their time budget (limits.checks_seconds).
OUT_OF_BUDGET = "out_of_budget"


class KernelHelpers(NamedTuple):
    """Grader helper functions (plain code, no secrets) defined in the kernel before a request."""

    source: str
    names: list[str]

    @classmethod
    def from_files(cls, *paths: Path) -> KernelHelpers:
        """The `nng_*` functions of these files, which must import what they use."""
        source = "\n\n".join(path.read_text(encoding="utf-8") for path in paths)
        return cls(source, re.findall(r"^def (nng_\w+)", source, flags=re.MULTILINE))


# Kernel-side helpers for torch modules (tracing, parameter counts), for any assignment's checks.
TORCH_HELPERS = Path(__file__).with_name("torch_kernel.py")


@dataclass
class CheckContext:
    """Everything a check may use. `kernel` talks to the student's code; the rest is trusted."""

    spec: AssignmentSpec
    check: CheckSpec
    kernel: KernelProxy
    record: RunRecord
    reference: ModuleType | None
    data_files: dict[str, Path]
    seed: int
    shared: dict[str, Any]  # results shared by the checks of one part (e.g. a forward pass)
    submission: Submission | None = None  # the cells as submitted (Markdown, saved outputs)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.check.params)

    def once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Compute a result once for all the checks of a part (they share the student calls)."""
        if key not in self.shared:
            self.shared[key] = compute()
        return self.shared[key]

    def kernel_name(self, name: str) -> str:
        """A name for an object the checks keep in the kernel across requests, apart for public
        and hidden checks (they draw different inputs, so must never share the object)."""
        return f"{name}_{self.check.visibility}"

    def rng(self, *salt: object) -> np.random.Generator:
        """A generator seeded by the run's seed and this check, so reports are reproducible."""
        key = zlib.crc32(repr((self.check.id, *salt)).encode())
        return np.random.default_rng([self.seed, key])

    def request(self, helpers: KernelHelpers | None, ops: list[dict[str, Any]],
                doing: str | Callable[[int], str],
                timeout: float | None = None) -> tuple[list[Any] | None, Outcome | None]:
        """Run ops (after defining the helpers, once per kernel): (results, None), or (None, a
        failed Outcome saying what went wrong while the grader tried `doing`: a phrase, or a
        function of the index of the op that failed, -1 when unknown)."""
        if helpers is not None:
            defined = self.kernel.define(helpers.source, helpers.names)
            if not defined.ok:
                return None, Outcome.failed(self.explain(defined, "set up its helpers"),
                                            mistake="crashed")
        reply = self.kernel.request(ops, timeout=timeout)
        if not reply.ok:
            mistake = {"missing": "not_defined", "out_of_budget": OUT_OF_BUDGET,
                       "timeout": "timeout", "not_called": "timeout"}.get(reply.problem,
                                                                          "crashed")
            what = doing(reply.failed_op) if callable(doing) else doing
            return None, Outcome.failed(self.explain(reply, what), mistake=mistake)
        return reply.results, None

    def explain(self, reply: Reply, doing: str) -> str:
        """A failed Reply as a sentence a student can act on."""
        return explain_reply(reply, doing, self.record)


def explain_reply(reply: Reply, doing: str, record: RunRecord) -> str:
    if reply.problem == "missing":
        return (f"`{reply.missing}` is not defined by any cell that ran, so the grader could not "
                f"{doing}. Check the name is spelled as in the handout and its cell runs "
                "without errors.")
    if reply.problem == "timeout":
        return f"{doing[0].upper()}{doing[1:]} took too long: {reply.detail}. Look for an " \
               "endless loop, or work that does not belong in this function."
    if reply.problem == "not_called":
        return f"The grader did not {doing}: {reply.detail}. Look for an endless loop, or " \
               "work that does not belong in this function."
    if reply.problem == "out_of_budget":
        return f"The grader stopped before it could {doing}: {reply.detail}. Earlier calls " \
               "into your code took that time; make them faster (the checks above say which)."
    if reply.problem == "dead":
        return f"The kernel died while trying to {doing} ({reply.detail})."
    if reply.problem == "error" and reply.error is not None:
        where = ""
        for frame in reversed(reply.error.frames):
            number = record.cell_for_execution(frame.get("execution"))
            if number is not None:
                where = f"\n  at code cell {number}, line {frame.get('line')}"
                if frame.get("text"):
                    where += f": {frame['text']}"
                break
        return f"Your code raised {reply.error.text} while the grader tried to " \
               f"{doing}.{where}"
    return f"The grader could not {doing}: {reply.detail or reply.problem}."
