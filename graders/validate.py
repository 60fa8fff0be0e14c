"""`grade validate`: prove an assignment's checks before students see them.

The reference (master notebook) gets full marks, the starter zero, every fixture the marks its
expected.yaml pins; the committed starter is the handout built from the master; the handout
holds nothing secret and its public checks give offline the results they give at grading; and
mutants of the master's solutions (see graders.mutation) are caught by the checks.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from graders import mutation
from graders.build import (
    build_handout,
    handout_notebook,
    master_notebooks,
    master_path,
    missing_master,
)
from graders.errors import UsageError
from graders.spec import AssignmentSpec, Limits, load_assignment

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEED = 11
# Mutants run under tighter limits: a mutant that loops forever is caught, but should not cost
# the spec's full allowance (which is sized for a student's training run).
MUTANT_LIMITS = Limits(cell_seconds=120, run_seconds=600, call_seconds=30,
                       output_chars=200_000)


@dataclass
class Section:
    title: str
    ok: bool
    lines: list[str] = field(default_factory=list)


@dataclass
class ValidationResult:
    assignment: str
    sections: list[Section] = field(default_factory=list)
    mutants_generated: int = 0
    mutants_graded: int = 0
    caught: int = 0
    survivors: list[str] = field(default_factory=list)
    equivalent: list[str] = field(default_factory=list)  # reviewed: they are right answers

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sections)

    @property
    def mutation_score(self) -> float | None:
        """Caught / (graded - reviewed equivalent mutants)."""
        judged = self.mutants_graded - len(self.equivalent)
        return self.caught / judged if judged else None

    def render(self) -> str:
        lines = [f"# grade validate {self.assignment}: {'PASSED' if self.ok else 'FAILED'}", ""]
        for section in self.sections:
            lines.append(f"- [{'ok' if section.ok else 'FAIL'}] {section.title}")
            lines += [f"    - {line}" for line in section.lines]
        return "\n".join(lines) + "\n"


def grade_auto(path: str, assignment: str, seed: int, fast: bool) -> dict[str, Any]:
    """Marks per automatically graded part (runs in a worker process)."""
    from graders.grading import GRADER_ERROR_NOTE, Grader
    from graders.notebook import read_submission

    spec = load_assignment(assignment)
    if fast:
        spec = dataclasses.replace(spec, limits=Limits(
            **{f.name: min(getattr(spec.limits, f.name), getattr(MUTANT_LIMITS, f.name))
               for f in dataclasses.fields(Limits)}))
    parts = [p for p in spec.parts if not p.by_hand]
    report = Grader(spec, read_submission(path), seed, None).run(parts)
    return {"marks": {p.part_id: p.awarded for p in report.parts},
            "failed": [f"{p.part_id}/{c.check_id}" for p in report.parts for c in p.checks
                       if c.fraction < 1],
            "errors": [n for n in report.notes if n.startswith(GRADER_ERROR_NOTE)]}


@dataclass(frozen=True)
class Expected:
    """A fixtures folder's expected.yaml: the seed, each fixture's marks per part, and the
    mutants an instructor has reviewed and found equivalent (label -> why)."""

    seed: int = DEFAULT_SEED
    fixtures: dict[str, dict[str, float]] = field(default_factory=dict)
    equivalent_mutants: dict[str, str] = field(default_factory=dict)


def _load_expected(folder: Path) -> Expected:
    path = folder / "expected.yaml"
    if not path.is_file():
        return Expected()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    fixtures = {name: {str(k): float(v) for k, v in marks.items()}
                for name, marks in (data.get("fixtures") or {}).items()}
    return Expected(int(data.get("seed", DEFAULT_SEED)), fixtures,
                    {str(k): str(v) for k, v in (data.get("equivalent_mutants") or {}).items()})


def _fixture_path(folder: Path, name: str) -> Path:
    candidate = folder / name
    return candidate if candidate.suffix or candidate.is_dir() else folder / f"{name}.ipynb"


def _marks_differ(got: dict[str, float], want: dict[str, float]) -> list[str]:
    return [f"{part}: {got.get(part, 'missing')} (expected {marks:g})"
            for part, marks in want.items() if abs(got.get(part, -1) - marks) > 1e-9]


def validate(assignment: str, *, fixtures: Path | None = None, max_mutants: int = 40,
             min_score: float = 0.9, jobs: int = 2) -> ValidationResult:
    spec = load_assignment(assignment)
    result = ValidationResult(assignment)
    fixture_dir = fixtures or ROOT / "tests" / "fixtures" / spec.id
    pinned = _load_expected(fixture_dir)
    seed, expected = pinned.seed, pinned.fixtures
    full = {p.id: p.marks for p in spec.parts if not p.by_hand}
    master = master_path(spec.id)
    if not master.is_file():
        several = master_notebooks(spec.id)
        raise UsageError(
            f"grade validate mutates one master notebook, and {spec.id}'s master is a folder "
            f"of {len(several)} ({', '.join(m.name for m in several)}): its fixtures are pinned "
            f"by tests/integration/test_grade_{spec.id}.py" if several else missing_master(spec))
    result.sections.append(_starter_is_built_from_master(spec, master))

    with tempfile.TemporaryDirectory(prefix="nngrader-validate-") as tmp, \
            ProcessPoolExecutor(max_workers=max(1, jobs),
                                mp_context=multiprocessing.get_context("spawn")) as pool:
        tmp_dir = Path(tmp)
        tasks = {"reference": pool.submit(grade_auto, str(master), spec.id, seed, False),
                 "starter": pool.submit(grade_auto, str(spec.directory / "starter.ipynb"),
                                        spec.id, seed, False)}
        for name in expected:
            tasks[f"fixture {name}"] = pool.submit(
                grade_auto, str(_fixture_path(fixture_dir, name)), spec.id, seed, False)
        master_nb = nbformat.read(master, as_version=4)
        generated = mutation.mutants_of_notebook(master_nb)
        chosen = mutation.sample(generated, max_mutants) if max_mutants > 0 else []
        result.mutants_generated, result.mutants_graded = len(generated), len(chosen)
        mutant_tasks = []
        for i, mutant in enumerate(chosen):
            path = tmp_dir / f"mutant_{i:03d}.ipynb"
            nbformat.write(mutation.apply(master_nb, mutant), path)
            mutant_tasks.append((mutant, pool.submit(grade_auto, str(path), spec.id, seed, True)))

        result.sections.append(_handout_is_clean(spec, tmp_dir / "handout", seed))

        reference = tasks["reference"].result()
        short = _marks_differ(reference["marks"], full)
        result.sections.append(Section("the reference gets full marks", not short
                                       and not reference["errors"],
                                       short + reference["failed"] + reference["errors"]))
        starter = tasks["starter"].result()
        scored = {k: v for k, v in starter["marks"].items() if v}
        result.sections.append(Section(
            "the starter gets zero without crashing the grader",
            not scored and not starter["errors"],
            [f"{k}: {v:g}" for k, v in scored.items()] + starter["errors"]))
        fixture_lines, fixtures_ok = [], True
        for name, want in expected.items():
            got = tasks[f"fixture {name}"].result()
            wrong = _marks_differ(got["marks"], want) + got["errors"]
            fixtures_ok &= not wrong
            fixture_lines.append(f"{name}: " + ("as expected" if not wrong
                                                else "; ".join(wrong)))
        result.sections.append(Section(f"every fixture gets its expected marks "
                                       f"({len(expected)} in {fixture_dir})", fixtures_ok,
                                       fixture_lines))
        for mutant, task in mutant_tasks:
            graded = task.result()
            if _marks_differ(graded["marks"], full):
                result.caught += 1
            elif mutant.label in pinned.equivalent_mutants:
                result.equivalent.append(
                    f"{mutant.label} ({pinned.equivalent_mutants[mutant.label]})")
            else:
                result.survivors.append(mutant.label)
    if max_mutants > 0:
        score = result.mutation_score
        lines = [f"{result.caught} of {result.mutants_graded - len(result.equivalent)} caught"
                 + (f" (sampled from {result.mutants_generated})"
                    if result.mutants_generated > result.mutants_graded else "")
                 + (f"; {len(result.equivalent)} more reviewed as equivalent"
                    if result.equivalent else "")]
        lines += [f"survived: {s}" for s in result.survivors]
        lines += [f"equivalent: {s}" for s in result.equivalent]
        result.sections.append(Section(
            f"mutation score {score:.0%} (at least {min_score:.0%} required)"
            if score is not None else "no mutants could be made",
            score is None and not generated or (score or 0) >= min_score, lines))
    return result


def _starter_is_built_from_master(spec: AssignmentSpec, master: Path) -> Section:
    built = nbformat.writes(handout_notebook(spec, master))
    committed = (spec.directory / "starter.ipynb").read_text(encoding="utf-8")
    same = nbformat.writes(nbformat.reads(committed, as_version=4)) == built
    return Section("the committed starter is the handout built from the master", same,
                   [] if same else [f"run `grade build {spec.id} --starter`"])


def _handout_is_clean(spec: AssignmentSpec, out: Path, seed: int) -> Section:
    from graders.audit import audit_handout, hidden_values
    from graders.selfcheck import check_notebook

    handout = build_handout(spec.id, out)
    problems = audit_handout(spec, handout.zip_path, hidden_values(spec, seed + 1))
    # The public checks, offline from the handout, against the same checks at grading.
    solved = handout.folder / "solved.ipynb"
    solved.write_bytes(master_path(spec.id).read_bytes())
    offline, _ = check_notebook(solved, assignment=spec.id)
    for part in offline.parts:
        for check in part.checks:
            if check.fraction < 1:
                problems.append(f"public check {part.part_id}/{check.check_id} fails offline on "
                                f"the reference: {check.message.splitlines()[0]}")
    lines = [f"{handout.zip_path.name}: {handout.recorded_calls} recorded answers"] + problems
    return Section("the handout builds, holds nothing secret, and its public checks pass the "
                   "reference offline", not problems, lines)
