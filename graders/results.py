"""What grading produces: CheckResult, PartResult and GradeReport.

Plain data with to_dict/from_dict, so a report can be stored and rendered again.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from graders import scoring


class Status(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    MANUAL = "manual"


@dataclass(frozen=True)
class CheckResult:
    """One check of one part: credit as a fraction of its marks, and the message for the student."""

    check_id: str
    title: str
    marks: float
    fraction: float
    message: str = ""
    hint: str = ""
    visibility: str = "visible"
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def awarded(self) -> float:
        return scoring.awarded_marks(marks=self.marks, fraction=self.fraction)

    @property
    def status(self) -> Status:
        return Status.PASSED if self.fraction >= 1.0 else Status.FAILED

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["awarded"] = self.awarded
        data["status"] = self.status.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        fields = {k: v for k, v in data.items() if k not in ("awarded", "status")}
        return cls(**fields)


@dataclass(frozen=True)
class PartResult:
    """One numbered part (e.g. 3a): its checks, or the student's answer when graded by hand."""

    part_id: str
    title: str
    marks: float
    checks: tuple[CheckResult, ...] = ()
    by_hand: bool = False
    answer: str = ""
    figures: tuple[str, ...] = ()  # base64 PNGs the student's notebook showed in the answer

    @property
    def awarded(self) -> float:
        return scoring.part_marks(self.checks)

    @property
    def status(self) -> Status:
        if self.by_hand:
            return Status.MANUAL
        return Status.PASSED if self.awarded >= self.marks else Status.FAILED

    def to_dict(self) -> dict[str, Any]:
        return {
            "part_id": self.part_id,
            "title": self.title,
            "marks": self.marks,
            "awarded": self.awarded,
            "status": self.status.value,
            "by_hand": self.by_hand,
            "answer": self.answer,
            "figures": list(self.figures),
            "checks": [c.to_dict() for c in self.checks],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PartResult:
        return cls(
            part_id=data["part_id"],
            title=data["title"],
            marks=data["marks"],
            checks=tuple(CheckResult.from_dict(c) for c in data["checks"]),
            by_hand=data["by_hand"],
            answer=data.get("answer", ""),
            figures=tuple(data.get("figures", ())),
        )


@dataclass(frozen=True)
class GradeReport:
    """Everything about one graded submission, enough to render any report without re-running."""

    assignment_id: str
    assignment_title: str
    submission: str
    parts: tuple[PartResult, ...]
    seed: int
    graded: bool = True
    problem: str = ""
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    public_seed: int | None = None  # the inputs of the public checks (the same for everyone)

    @property
    def auto_parts(self) -> tuple[PartResult, ...]:
        return tuple(p for p in self.parts if not p.by_hand)

    @property
    def score(self) -> float:
        return scoring.total_marks(self.auto_parts)

    @property
    def max_score(self) -> float:
        return scoring.total_available(self.auto_parts)

    @property
    def by_hand_marks(self) -> float:
        return scoring.total_available(tuple(p for p in self.parts if p.by_hand))

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment_id": self.assignment_id,
            "assignment_title": self.assignment_title,
            "submission": self.submission,
            "score": self.score,
            "max_score": self.max_score,
            "by_hand_marks": self.by_hand_marks,
            "seed": self.seed,
            "public_seed": self.public_seed,
            "graded": self.graded,
            "problem": self.problem,
            "notes": list(self.notes),
            "timings": dict(self.timings),
            "parts": [p.to_dict() for p in self.parts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradeReport:
        return cls(
            assignment_id=data["assignment_id"],
            assignment_title=data["assignment_title"],
            submission=data["submission"],
            parts=tuple(PartResult.from_dict(p) for p in data["parts"]),
            seed=data["seed"],
            graded=data["graded"],
            problem=data.get("problem", ""),
            notes=tuple(data.get("notes", ())),
            timings=dict(data.get("timings", {})),
            public_seed=data.get("public_seed"),
        )
