"""The assignment spec (YAML) as frozen dataclasses, validated on load.

A broken spec fails here, before any student code runs, with the file, the key path and the fix.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import os
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graders.checks.schema import did_you_mean
from graders.errors import SpecError, UsageError

VISIBILITIES = ("public", "hidden")
RUN_MODES = ("definitions", "full")
LOCKED_CELL_POLICIES = ("report", "restore")
_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")
# A hint names a question or part by its home's number, and each assignment reads it in its
# own numbering: {question:2} says "question 2" where the assignment holds the home's question 2
# (a course borrowing it as its question 1 says "question 1"); {part:3a} likewise;
# {question:2|the derivations of question #|the chain rule} gives its own words, '#' standing
# for the number, and what to say in an assignment that does not hold that question.
NUMBER_REF = re.compile(r"\{(question|part):([A-Za-z0-9_.\-]+)(?:\|([^{}|]*)\|([^{}|]*))?\}")
_NUMBER_REF_START = re.compile(r"\{(question|part):")


@dataclass(frozen=True)
class CheckSpec:
    id: str
    kind: str
    marks: float
    title: str = ""
    # Hidden unless the spec says public: a public check runs on the public seed and ships with
    # the handout (`grade check`); a hidden one runs only at grading, on the run's seed.
    visibility: str = "hidden"
    params: Mapping[str, Any] = field(default_factory=dict)
    hints: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerLocator:
    """Where a hand-graded answer sits: from the first cell matching `start` up to `stop`."""

    start: str
    stop: str = ""


@dataclass(frozen=True)
class PartSpec:
    id: str
    title: str
    marks: float
    by_hand: bool = False
    needs: tuple[str, ...] = ()
    run: str = "definitions"
    checks: tuple[CheckSpec, ...] = ()
    answer: AnswerLocator | None = None
    # Marks of hidden checks left out of a handout's public spec (0 in the instructor's spec).
    hidden_marks: float = 0.0
    # A part borrowed from another assignment (its home) keeps that assignment's checks,
    # reference, support files and data; "" for a part this assignment defines itself.
    home: str = ""
    home_part: str = ""
    # In a submission of several files (a folder or zip): the file the part reads, with
    # alternatives "q1.py|run_q2.py" or patterns "*autoencoder*.ipynb" (the first present
    # wins); "" reads every file.
    file: str = ""
    # When no file is so named: the file whose cells match this regular expression (and a
    # submission of one file is read only when its name fits `file` or its cells match).
    file_holds: str = ""

    @property
    def public_checks(self) -> tuple[CheckSpec, ...]:
        return tuple(c for c in self.checks if c.visibility == "public")


@dataclass(frozen=True)
class QuestionSpec:
    id: str
    title: str
    parts: tuple[PartSpec, ...]


@dataclass(frozen=True)
class DataFileSpec:
    name: str
    standin: str = ""


@dataclass(frozen=True)
class Limits:
    cell_seconds: float = 600.0
    run_seconds: float = 1800.0
    call_seconds: float = 60.0
    # All the checks of one submission together (calls into the kernel and the grader's own
    # work): past it, the remaining checks fail unrun, so one slow submission cannot hold a
    # worker for long.
    checks_seconds: float = 600.0
    output_chars: int = 200_000
    # Enforced by the OS on the kernel (graders/sandbox.py).
    memory_mb: int = 4096  # address space; torch alone maps about 650 MB
    file_mb: int = 512  # the largest file the kernel may write
    cpu_seconds: int = 7200  # CPU time of the kernel process, all cells together
    processes: int = 128  # processes and threads of the kernel's own user (RLIMIT_NPROC)
    message_mb: int = 256  # the largest single message (output, figure, reply) the grader takes


@dataclass(frozen=True)
class AssignmentSpec:
    id: str
    title: str
    path: Path
    questions: tuple[QuestionSpec, ...]
    data: tuple[DataFileSpec, ...] = ()
    limits: Limits = Limits()
    skip_calls: tuple[str, ...] = ()
    support_files: tuple[str, ...] = ()
    file_names: tuple[str, ...] = ()  # the original course's submission file names
    # Parts that run the whole notebook stop before the first cell matching one of these
    # (e.g. the cell that loads a supplied network over the student's, or a later question's
    # long training).
    full_run_stops_before: tuple[str, ...] = ()
    # Public checks always draw their inputs from this seed, so a student's `grade check` and
    # the real grading run them on the same inputs.
    public_seed: int = 0
    # What grading does with a cell the handout locked but the student edited: "report" it, or
    # also "restore" the handout's version before running.
    locked_cells: str = "report"
    # The assignments this one borrows questions from (`from:` in a question), loaded.
    homes: tuple[AssignmentSpec, ...] = ()

    @property
    def parts(self) -> tuple[PartSpec, ...]:
        return tuple(p for q in self.questions for p in q.parts)

    def home_of(self, part: PartSpec) -> AssignmentSpec:
        """The assignment that defines the part: a home it was borrowed from, or this one."""
        for home in self.homes:
            if home.id == part.home:
                return home
        return self

    def data_sources(self) -> list[tuple[DataFileSpec, Path]]:
        """Every data file the notebook may read, with the folder its stand-in is made from:
        this assignment's own first, then its homes' (a name already given is not repeated)."""
        found: dict[str, tuple[DataFileSpec, Path]] = {}
        for owner in (self, *self.homes):
            for data in owner.data:
                found.setdefault(data.name, (data, owner.directory))
        return list(found.values())

    def support_sources(self) -> list[tuple[str, Path]]:
        """Every support module (name, folder holding it): this assignment's, then its homes'."""
        found: dict[str, Path] = {}
        for owner in (self, *self.homes):
            for name in owner.support_files:
                found.setdefault(name, owner.directory)
        return list(found.items())

    @property
    def directory(self) -> Path:
        return self.path.parent

    def part(self, part_id: str) -> PartSpec:
        for p in self.parts:
            if p.id == part_id:
                return p
        raise KeyError(part_id)


def numbering(spec: AssignmentSpec, home: AssignmentSpec) -> dict[tuple[str, str], str]:
    """(\"question\" or \"part\", the home's id) -> this assignment's id, for every question and
    part `spec` takes from `home` (its own, when home is spec)."""
    table: dict[tuple[str, str], str] = {}
    for question in spec.questions:
        for part in question.parts:
            if (part.home or spec.id) != home.id:
                continue
            source = part.home_part or part.id
            table[("part", source)] = part.id
            for theirs in home.questions:
                if any(p.id == source for p in theirs.parts):
                    table.setdefault(("question", theirs.id), question.id)
    return table


def resolve_numbers(text: str, spec: AssignmentSpec, home: AssignmentSpec) -> str:
    """A hint of `home`'s with its {question:..} and {part:..} in `spec`'s numbering."""
    if "{" not in text:
        return text
    table = numbering(spec, home)

    def number(match: re.Match[str]) -> str:
        kind, ident, words, otherwise = match.groups()
        ours = table.get((kind, ident))
        if ours is None:
            return otherwise if otherwise is not None else f"{kind} {ident}"
        return words.replace("#", ours) if words is not None else f"{kind} {ours}"

    return NUMBER_REF.sub(number, text)


# --------------------------------------------------------------------------- locating assignments


def assignments_root() -> Path:
    """The folder holding one sub-folder per assignment (NNGRADER_ASSIGNMENTS overrides)."""
    override = os.environ.get("NNGRADER_ASSIGNMENTS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1] / "assignments"


def references_root() -> Path:
    override = os.environ.get("NNGRADER_REFERENCES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1] / "reference_solutions"


def known_assignments() -> list[str]:
    root = assignments_root()
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob("*/spec.yaml"))


def assignment_for_file_name(name: str) -> str | None:
    """The assignment whose spec lists this submission file name (e.g. nn.py), if exactly one."""
    found = []
    for ident in known_assignments():
        try:
            if name in load_assignment(ident).file_names:
                found.append(ident)
        except SpecError:
            continue
    return found[0] if len(found) == 1 else None


def load_assignment(assignment_id: str) -> AssignmentSpec:
    """Load assignments/<id>/spec.yaml; an unknown id lists the known ones."""
    path = assignments_root() / assignment_id / "spec.yaml"
    if not path.is_file():
        known = ", ".join(known_assignments()) or "(none found)"
        raise UsageError(f"unknown assignment {assignment_id!r}; known assignments: {known}")
    return load_spec(path)


# --------------------------------------------------------------------------- loading and validating


def load_spec(path: str | os.PathLike[str]) -> AssignmentSpec:
    """Read and validate one spec file. Raises SpecError naming the file, key path and fix."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(path, "", f"not valid YAML ({exc})", "fix the YAML syntax") from exc
    except OSError as exc:
        raise SpecError(path, "", f"cannot be read ({exc})") from exc
    return _Reader(path).assignment(raw)


class _Reader:
    """Walks the raw YAML with key paths, so every error says exactly where it is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.assignment_id = ""
        self._reference_functions: frozenset[str] | None = None
        self.homes: dict[str, AssignmentSpec] = {}

    def fail(self, key: str, problem: str, fix: str = "") -> SpecError:
        return SpecError(self.path, key, problem, fix)

    def mapping(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be a mapping, found {type(value).__name__}")
        return value

    def seq(self, value: Any, key: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list, found {type(value).__name__}")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value

    def ident(self, value: Any, key: str) -> str:
        value = str(value) if isinstance(value, int | float) else value
        value = self.text(value, key)
        if not _ID.match(value):
            raise self.fail(key, f"{value!r} is not a valid id",
                            "use letters, digits, '.', '_', '-'")
        return value

    def number(self, value: Any, key: str, *, minimum: float = 0.0) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value) or value < minimum:
            raise self.fail(key, f"must be a finite number >= {minimum}, found {value!r}")
        return float(value)

    def only_keys(self, data: Mapping[str, Any], key: str, allowed: set[str]) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(
                f"{key}.{unknown[0]}" if key else unknown[0],
                "unknown key",
                f"remove it, or {did_you_mean(unknown[0], allowed)}",
            )

    def required(self, data: Mapping[str, Any], key: str, name: str) -> Any:
        if name not in data:
            raise self.fail(f"{key}.{name}" if key else name, "is required but missing")
        return data[name]

    # -- the document --------------------------------------------------------------------------

    def assignment(self, raw: Any) -> AssignmentSpec:
        data = self.mapping(raw, "")
        allowed = {"id", "title", "questions", "data", "limits", "skip_calls", "support_files",
                   "file_names", "full_run_stops_before", "public_seed", "locked_cells", "total"}
        self.only_keys(data, "", allowed)
        ident = self.ident(self.required(data, "", "id"), "id")
        if ident != self.path.parent.name:
            raise self.fail("id", f"is {ident!r} but the folder is {self.path.parent.name!r}",
                            "make the id match the assignment's folder name")
        self.assignment_id = ident
        questions = tuple(
            self.question(q, f"questions[{i}]")
            for i, q in enumerate(self.seq(self.required(data, "", "questions"), "questions"))
        )
        self.unique([p.id for q in questions for p in q.parts], "questions[*].parts[*].id")
        if "total" in data:
            self.adds_up(sum(p.marks for q in questions for p in q.parts), data["total"], "total",
                         "the questions")
        self.number_refs(questions)
        locked = data.get("locked_cells", "report")
        if locked not in LOCKED_CELL_POLICIES:
            raise self.fail("locked_cells", f"unknown policy {locked!r}",
                            f"use one of: {', '.join(LOCKED_CELL_POLICIES)}")
        return AssignmentSpec(
            id=ident,
            title=self.text(self.required(data, "", "title"), "title"),
            path=self.path,
            questions=questions,
            data=tuple(self.datafile(d, f"data[{i}]")
                       for i, d in enumerate(self.seq(data.get("data", []), "data"))),
            limits=self.limits(data.get("limits", {}), "limits"),
            # The notebook holds every question's code: what a home never needs to run
            # (its training loops), the whole notebook never needs to run for definitions.
            skip_calls=tuple(dict.fromkeys([
                *(self.text(s, f"skip_calls[{i}]")
                  for i, s in enumerate(self.seq(data.get("skip_calls", []), "skip_calls"))),
                *(c for home in self.homes.values() for c in home.skip_calls)])),
            support_files=tuple(self.support_file(s, f"support_files[{i}]")
                                for i, s in enumerate(self.seq(data.get("support_files", []),
                                                               "support_files"))),
            file_names=tuple(self.text(s, f"file_names[{i}]")
                             for i, s in enumerate(self.seq(data.get("file_names", []),
                                                            "file_names"))),
            full_run_stops_before=tuple(
                self.pattern(s, f"full_run_stops_before[{i}]")
                for i, s in enumerate(self.seq(data.get("full_run_stops_before", []),
                                               "full_run_stops_before"))),
            public_seed=int(self.number(
                data.get("public_seed", zlib.crc32(ident.encode()) % 2**31), "public_seed")),
            locked_cells=locked,
            homes=tuple(self.homes.values()),
        )

    def number_refs(self, questions: tuple[QuestionSpec, ...]) -> None:
        """Every {question:..} and {part:..} of a hint names a question or part of the hint's
        home, and says something in this assignment: its number here, or the hint's words for
        an assignment that does not hold it."""
        own = AssignmentSpec(id=self.assignment_id, title="-", path=self.path,
                             questions=questions)
        for i, question in enumerate(questions):
            for j, part in enumerate(question.parts):
                home = self.homes.get(part.home)
                if home is None:
                    home, key = own, f"questions[{i}].parts[{j}].checks"
                else:
                    key = f"questions[{i}].from ({home.id}'s part {part.home_part}, checks"
                held = {("question", q.id) for q in home.questions} | {
                    ("part", p.id) for p in home.parts}
                taken = set(numbering(dataclasses.replace(own, homes=tuple(self.homes.values())),
                                      home))
                for check in part.checks:
                    for mistake, text in check.hints.items():
                        where = f"{key}.{check.id}.hints.{mistake}" + (")" if "(" in key else "")
                        self.number_ref_text(text, where, held, taken)

    def number_ref_text(self, text: str, key: str, held: set[tuple[str, str]],
                        taken: set[tuple[str, str]]) -> None:
        found = list(NUMBER_REF.finditer(text))
        if len(found) != len(_NUMBER_REF_START.findall(text)):
            raise self.fail(key, "has a {question:..} or {part:..} that is not well formed",
                            "write {question:2}, or {question:2|words with # for the "
                            "number|words where the question is not held}")
        for match in found:
            kind, ident, _, otherwise = match.groups()
            if (kind, ident) not in held:
                raise self.fail(key, f"names {kind} {ident!r}, which its assignment does not "
                                "have", f"name one of its {kind}s' ids")
            if (kind, ident) not in taken and otherwise is None:
                raise self.fail(key, f"names {kind} {ident}, which this assignment does not "
                                "hold", f"borrow it, or give the hint words for an assignment "
                                f"without it: {{{kind}:{ident}|...#...|words without it}}")

    def adds_up(self, found: float, declared: Any, key: str, what: str) -> None:
        total = self.number(declared, key)
        if abs(round(found, 6) - total) > 1e-6:
            raise self.fail(key, f"{what} add up to {found:g} marks, but the total is {total:g}",
                            f"make the marks of {what} add up to {total:g} (the course "
                            "document's total), or correct the total")

    def unique(self, ids: list[str], key: str) -> None:
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                raise self.fail(key, f"id {i!r} is used twice", "give every part a distinct id")
            seen.add(i)

    def support_file(self, value: Any, key: str) -> str:
        name = self.text(value, key)
        if not (self.path.parent / name).is_file():
            raise self.fail(key, f"file {name!r} does not exist beside the spec",
                            "add the file to the assignment folder or remove the entry")
        return name

    def limits(self, raw: Any, key: str) -> Limits:
        data = self.mapping(raw, key)
        integers = {"output_chars", "memory_mb", "file_mb", "cpu_seconds", "processes",
                    "message_mb"}
        self.only_keys(data, key, {"cell_seconds", "run_seconds", "call_seconds", "checks_seconds",
                                  *integers})
        values = {name: self.number(v, f"{key}.{name}", minimum=1) for name, v in data.items()}
        for name in integers & set(values):
            values[name] = int(values[name])
        return Limits(**values)  # type: ignore[arg-type]

    def datafile(self, raw: Any, key: str) -> DataFileSpec:
        data = self.mapping(raw, key)
        self.only_keys(data, key, {"name", "standin"})
        from graders import datafiles  # late: datafiles imports nothing from here

        standin = data.get("standin", "")
        if standin and standin not in datafiles.STANDINS:
            raise self.fail(f"{key}.standin", f"unknown stand-in {standin!r}",
                            f"use one of: {', '.join(sorted(datafiles.STANDINS))}")
        return DataFileSpec(name=self.text(self.required(data, key, "name"), f"{key}.name"),
                            standin=standin)

    def question(self, raw: Any, key: str) -> QuestionSpec:
        data = self.mapping(raw, key)
        if "from" in data:
            question = self.borrowed_question(data, key)
        else:
            self.only_keys(data, key, {"id", "title", "parts", "total", "file", "file_holds"})
            parts = self.seq(self.required(data, key, "parts"), f"{key}.parts")
            question = QuestionSpec(
                id=self.ident(self.required(data, key, "id"), f"{key}.id"),
                title=self.text(self.required(data, key, "title"), f"{key}.title"),
                parts=tuple(self.with_file(self.part(p, f"{key}.parts[{i}]"), data, key)
                            for i, p in enumerate(parts)),
            )
        if "total" in data:
            self.adds_up(sum(p.marks for p in question.parts), data["total"], f"{key}.total",
                         "its parts")
        return question

    # -- questions borrowed from another assignment ---------------------------------------------

    def borrowed_question(self, data: Mapping[str, Any], key: str) -> QuestionSpec:
        """`from: HOME`, `parts: {home part: our part}`, optional `marks: {our part: marks}`
        and `answers: {our part: {start, stop}}` (where a by-hand answer sits in our numbering).
        Each part keeps its home's checks, rescaled to the marks given here."""
        self.only_keys(data, key, {"id", "title", "from", "parts", "marks", "answers", "total",
                                   "file", "files", "file_holds"})
        home = self.home(self.ident(data["from"], f"{key}.from"), f"{key}.from")
        chosen = self.mapping(self.required(data, key, "parts"), f"{key}.parts")
        if not chosen:
            raise self.fail(f"{key}.parts", "names no part",
                            f"map each part of {home.id} you use to its number here, "
                            "e.g. {3a: 1a}")
        marks = {str(k): v for k, v in self.mapping(data.get("marks", {}),
                                                    f"{key}.marks").items()}
        answers = {str(k): v for k, v in self.mapping(data.get("answers", {}),
                                                      f"{key}.answers").items()}
        # Which file of a folder submission each part reads: `file` for the whole question,
        # `files: {our part: name}` for single parts.
        files = {str(k): self.file_choice(v, f"{key}.files.{k}") for k, v in
                 self.mapping(data.get("files", {}), f"{key}.files").items()}
        every = self.file_choice(data["file"], f"{key}.file") if "file" in data else ""
        parts = []
        for home_part, ours in chosen.items():
            where = f"{key}.parts.{home_part}"
            try:
                source = home.part(str(home_part))
            except KeyError:
                raise self.fail(where, f"{home.id} has no part {str(home_part)!r}",
                                f"use one of: {', '.join(p.id for p in home.parts)}") from None
            part_id = self.ident(ours, where)
            part = dataclasses.replace(source, id=part_id, home=home.id, home_part=source.id)
            if part_id in marks:
                part = self.remarked(part, self.number(marks[part_id], f"{key}.marks.{part_id}"),
                                     f"{key}.marks.{part_id}")
            if part_id in answers:
                part = dataclasses.replace(part, answer=self.answer(
                    answers[part_id], f"{key}.answers.{part_id}"))
            if files.get(part_id, every):
                part = dataclasses.replace(part, file=files.get(part_id, every))
            parts.append(self.with_file(part, data, key, names=False))
        ids = [p.id for p in parts]
        for name, label in ((marks, "marks"), (answers, "answers"), (files, "files")):
            for part_id in name:
                if part_id not in ids:
                    raise self.fail(f"{key}.{label}.{part_id}", "is not a part of this question",
                                    f"use one of the numbers in {key}.parts: {', '.join(ids)}")
        title = data.get("title") or next(q.title for q in home.questions
                                          if any(p.id == parts[0].home_part for p in q.parts))
        return QuestionSpec(id=self.ident(self.required(data, key, "id"), f"{key}.id"),
                            title=self.text(title, f"{key}.title"), parts=tuple(parts))

    def with_file(self, part: PartSpec, data: Mapping[str, Any], key: str, *,
                  names: bool = True) -> PartSpec:
        """The part with its question's `file` and `file_holds`, where it names none itself."""
        if names and "file" in data and not part.file:
            part = dataclasses.replace(part, file=self.file_choice(data["file"], f"{key}.file"))
        if "file_holds" in data and not part.file_holds:
            part = dataclasses.replace(part, file_holds=self.pattern(data["file_holds"],
                                                                     f"{key}.file_holds"))
        if part.file_holds and not part.file:
            raise self.fail(f"{key}.file_holds", "says what the part's file holds, but no "
                            "file is named", "add file: with the names the course uses, e.g. "
                            "file: \"autoencoder.ipynb|*autoencoder*.ipynb\"")
        return part

    def home(self, home_id: str, key: str) -> AssignmentSpec:
        """The assignment a question is borrowed from: a sibling folder of this spec's."""
        if home_id in self.homes:
            return self.homes[home_id]
        if home_id == self.assignment_id:
            raise self.fail(key, "a question cannot be borrowed from its own assignment",
                            "write the parts out here, or name another assignment")
        root = self.path.parent.parent
        path = root / home_id / "spec.yaml"
        if not path.is_file():
            known = sorted(p.parent.name for p in root.glob("*/spec.yaml")
                           if p.parent.name != self.assignment_id)
            raise self.fail(key, f"unknown assignment {home_id!r}",
                            did_you_mean(home_id, known))
        home = load_spec(path)
        if home.homes:
            raise self.fail(key, f"{home_id} borrows its own questions from "
                            f"{', '.join(h.id for h in home.homes)}",
                            "borrow from the assignment that defines the question")
        self.homes[home_id] = home
        return home

    def remarked(self, part: PartSpec, marks: float, key: str) -> PartSpec:
        """The part worth `marks`, its checks' marks scaled in proportion."""
        if marks == part.marks or part.by_hand:
            return dataclasses.replace(part, marks=marks)
        if part.marks == 0:
            raise self.fail(key, f"part {part.home_part} of {part.home} carries no marks to "
                            "scale", "give it marks in its home assignment")
        factor = marks / part.marks
        checks = tuple(dataclasses.replace(c, marks=round(c.marks * factor, 6))
                       for c in part.checks)
        return dataclasses.replace(part, marks=marks, checks=checks,
                                   hidden_marks=round(part.hidden_marks * factor, 6))

    def part(self, raw: Any, key: str) -> PartSpec:
        data = self.mapping(raw, key)
        self.only_keys(data, key, {"id", "title", "marks", "by_hand", "needs", "run", "checks",
                                   "answer", "hidden_marks", "file", "file_holds"})
        marks = self.number(self.required(data, key, "marks"), f"{key}.marks")
        by_hand = bool(data.get("by_hand", False))
        checks = tuple(self.check(c, f"{key}.checks[{i}]")
                       for i, c in enumerate(self.seq(data.get("checks", []), f"{key}.checks")))
        if by_hand and checks:
            raise self.fail(f"{key}.checks", "a part graded by hand has no automatic checks",
                            "remove 'checks' or 'by_hand'")
        hidden_marks = self.number(data.get("hidden_marks", 0), f"{key}.hidden_marks")
        if not by_hand:
            if not checks and not hidden_marks:
                raise self.fail(f"{key}.checks", "an automatically graded part needs checks",
                                "add checks, or mark the part 'by_hand: true'")
            total = round(sum(c.marks for c in checks) + hidden_marks, 6)
            if abs(total - marks) > 1e-6:
                raise self.fail(f"{key}.checks", f"check marks add up to {total:g}, "
                                f"but the part is worth {marks:g}",
                                "make the checks' marks add up to the part's marks")
        self.unique([c.id for c in checks], f"{key}.checks[*].id")
        run = data.get("run", "definitions")
        if run not in RUN_MODES:
            raise self.fail(f"{key}.run", f"unknown run mode {run!r}",
                            f"use one of: {', '.join(RUN_MODES)}")
        return PartSpec(
            id=self.ident(self.required(data, key, "id"), f"{key}.id"),
            title=self.text(self.required(data, key, "title"), f"{key}.title"),
            marks=marks,
            by_hand=by_hand,
            needs=tuple(self.text(n, f"{key}.needs[{i}]")
                        for i, n in enumerate(self.seq(data.get("needs", []), f"{key}.needs"))),
            run=run,
            checks=checks,
            answer=self.answer(data["answer"], f"{key}.answer") if "answer" in data else None,
            hidden_marks=hidden_marks,
            file=self.file_choice(data["file"], f"{key}.file") if "file" in data else "",
            file_holds=(self.pattern(data["file_holds"], f"{key}.file_holds")
                        if "file_holds" in data else ""),
        )

    def file_choice(self, value: Any, key: str) -> str:
        """`nn.py`, alternatives `q1.py|run_q2.py`, or patterns `*autoencoder*.ipynb`: file
        names, no folders."""
        text = self.text(value, key)
        names = text.split("|")
        for name in names:
            if not name or "/" in name or "\\" in name or name in (".", ".."):
                raise self.fail(key, f"{name!r} is not a file name",
                                "name the file as it sits in the submitted folder, e.g. "
                                "q1.py, with alternatives q1.py|run_q2.py or patterns "
                                "*autoencoder*.ipynb")
        return text

    def answer(self, raw: Any, key: str) -> AnswerLocator:
        data = self.mapping(raw, key)
        self.only_keys(data, key, {"start", "stop"})
        start = self.pattern(self.required(data, key, "start"), f"{key}.start")
        stop = self.pattern(data.get("stop", ""), f"{key}.stop") if data.get("stop") else ""
        return AnswerLocator(start=start, stop=stop)

    def pattern(self, value: Any, key: str) -> str:
        text = self.text(value, key)
        try:
            re.compile(text)
        except re.error as exc:
            raise self.fail(key, f"is not a valid regular expression ({exc})") from exc
        return text

    def check(self, raw: Any, key: str) -> CheckSpec:
        from graders.checks import registry
        from graders.checks.schema import ParamError, SchemaContext

        data = self.mapping(raw, key)
        self.only_keys(data, key, {"id", "kind", "marks", "title", "visibility", "params",
                                   "hints"})
        kind = self.text(self.required(data, key, "kind"), f"{key}.kind")
        try:
            entry = registry.lookup(kind, self.path.parent, self.assignment_id)
            known = registry.kinds(self.path.parent, self.assignment_id)
        except registry.KindError as exc:
            raise self.fail(f"{key}.kind", str(exc),
                            f"fix {registry.ASSIGNMENT_CHECKS} beside the spec") from exc
        if entry is None:
            raise self.fail(f"{key}.kind", f"unknown check kind {kind!r}",
                            did_you_mean(kind, known))
        visibility = data.get("visibility", "hidden")
        if visibility not in VISIBILITIES:
            raise self.fail(f"{key}.visibility", f"unknown visibility {visibility!r}",
                            f"use one of: {', '.join(VISIBILITIES)}")
        params = dict(self.mapping(data.get("params", {}), f"{key}.params"))
        try:
            entry.schema.validate(params, "", SchemaContext(self.reference_functions()))
        except ParamError as exc:
            raise self.fail(f"{key}.params.{exc.key}", exc.problem, exc.fix) from exc
        hints = dict(self.mapping(data.get("hints", {}), f"{key}.hints"))
        for name, text in hints.items():
            if name not in entry.mistakes:
                raise self.fail(f"{key}.hints.{name}", f"{kind!r} never reports mistake {name!r}",
                                did_you_mean(name, entry.mistakes))
            self.text(text, f"{key}.hints.{name}")
        return CheckSpec(
            id=self.ident(self.required(data, key, "id"), f"{key}.id"),
            kind=kind,
            marks=self.number(self.required(data, key, "marks"), f"{key}.marks"),
            title=str(data.get("title", "")),
            visibility=visibility,
            params=params,
            hints=hints,
        )

    def reference_functions(self) -> frozenset[str] | None:
        """The top-level functions of the assignment's reference.py (read, never imported), or
        None where the reference is not at hand (a student's handout)."""
        if self._reference_functions is None:
            path = references_root() / self.assignment_id / "reference.py"
            if not self.assignment_id or not path.is_file():
                return None
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            self._reference_functions = frozenset(
                node.name for node in tree.body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef))
        return self._reference_functions
