"""The gradebook: one SQLite file in the batch's output folder.

Each finished grading is written in one transaction (WAL journal), so a batch killed at any
moment, even with SIGKILL, keeps every result it finished and nothing half-written. A submission
is regraded only when its bytes or the assignment (spec, reference, support files, grader
version) changed, or when asked. Marks for parts graded by hand are stored apart from the
automatic ones and join them in the totals, so entering them never re-runs anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graders.checks.registry import check_code_files
from graders.errors import UsageError
from graders.results import GradeReport
from graders.spec import AssignmentSpec, references_root

FILE_NAME = "gradebook.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    assignment TEXT NOT NULL,
    graded INTEGER NOT NULL,
    problem TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    seed INTEGER,
    seconds REAL NOT NULL,
    graded_at TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS parts (
    student TEXT NOT NULL, part_id TEXT NOT NULL, title TEXT NOT NULL, marks REAL NOT NULL,
    awarded REAL, by_hand INTEGER NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (student, part_id)
);
CREATE TABLE IF NOT EXISTS checks (
    student TEXT NOT NULL, part_id TEXT NOT NULL, check_id TEXT NOT NULL, title TEXT NOT NULL,
    marks REAL NOT NULL, awarded REAL NOT NULL, visibility TEXT NOT NULL, mistake TEXT NOT NULL,
    message TEXT NOT NULL, seconds REAL NOT NULL,
    PRIMARY KEY (student, part_id, check_id)
);
CREATE TABLE IF NOT EXISTS manual_marks (
    student TEXT NOT NULL, part_id TEXT NOT NULL, marks REAL NOT NULL, note TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (student, part_id)
);
CREATE TABLE IF NOT EXISTS gradings (
    id INTEGER PRIMARY KEY AUTOINCREMENT, student TEXT NOT NULL, sha256 TEXT NOT NULL,
    finished_at TEXT NOT NULL, seconds REAL NOT NULL
);
"""


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=1)
def grader_code_hash() -> str:
    """A content hash of the grader's own code (every file of the package), so fixing a check
    or the engine regrades what it may change."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def spec_hash(spec: AssignmentSpec) -> str:
    """Changes when anything that decides a grade changes: the spec, the reference, the support
    files, the handout's starter, the assignment's own check code, or the grader's code (and
    the same of every assignment it borrows questions from)."""
    digest = hashlib.sha256(grader_code_hash().encode())
    # A borrowed question is graded by its home's spec, reference, support files and checks.
    files = [path for owner in (spec, *spec.homes) for path in (
        owner.path, references_root() / owner.id / "reference.py",
        owner.directory / "starter.ipynb", *(owner.directory / n for n in owner.support_files),
        *check_code_files(owner.directory))]
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Gradebook:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / FILE_NAME
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    # ---------------------------------------------------------------- writing

    def needs_grading(self, student: str, sha: str, spec_digest: str) -> bool:
        row = self.db.execute("SELECT sha256, spec_hash FROM submissions WHERE student = ?",
                              (student,)).fetchone()
        return row is None or tuple(row) != (sha, spec_digest)

    def record(self, student: str, path: Path, sha: str, spec_digest: str,
               report: GradeReport, seconds: float) -> None:
        """Replace the student's rows with this report, all in one transaction."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in ("submissions", "parts", "checks"):
                db.execute(f"DELETE FROM {table} WHERE student = ?", (student,))
            db.execute("INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", (
                student, str(path), sha, spec_digest, report.assignment_id, int(report.graded),
                report.problem, report.score, report.max_score, report.seed, seconds, _now(),
                json.dumps(report.to_dict())))
            for position, part in enumerate(report.parts):
                db.execute("INSERT INTO parts VALUES (?,?,?,?,?,?,?)", (
                    student, part.part_id, part.title, part.marks,
                    None if part.by_hand else part.awarded, int(part.by_hand), position))
                for check in part.checks:
                    db.execute("INSERT INTO checks VALUES (?,?,?,?,?,?,?,?,?,?)", (
                        student, part.part_id, check.check_id, check.title, check.marks,
                        check.awarded, check.visibility, str(check.details.get("mistake", "")),
                        check.message, check.seconds))
            db.execute("INSERT INTO gradings (student, sha256, finished_at, seconds) "
                       "VALUES (?,?,?,?)", (student, sha, _now(), seconds))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def set_manual_mark(self, student: str, part_id: str, marks: float, note: str = "") -> None:
        part = self.db.execute("SELECT marks, by_hand FROM parts WHERE student = ? AND "
                               "part_id = ?", (student, part_id)).fetchone()
        if part is None:
            known = self.db.execute("SELECT 1 FROM submissions WHERE student = ?",
                                    (student,)).fetchone()
            raise UsageError(f"no part {part_id!r} for student {student!r}" if known
                             else f"no student {student!r} in {self.path}")
        if not part[1]:
            raise UsageError(f"part {part_id} is graded automatically; marks are entered only "
                             "for parts graded by hand")
        if not 0 <= marks <= part[0]:
            raise UsageError(f"part {part_id} is worth {part[0]:g} marks; got {marks:g}")
        self.db.execute("INSERT OR REPLACE INTO manual_marks VALUES (?,?,?,?,?)",
                        (student, part_id, marks, note, _now()))

    def import_marks(self, csv_path: Path) -> int:
        """Rows of student,part,marks[,note]; all or nothing."""
        with open(csv_path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        missing = {"student", "part", "marks"} - set(rows[0] if rows else {})
        if missing:
            raise UsageError(f"{csv_path}: needs columns student, part, marks (missing: "
                             f"{', '.join(sorted(missing))})")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for number, row in enumerate(rows, 2):
                try:
                    marks = float(row["marks"])
                except ValueError as exc:
                    raise UsageError(f"{csv_path}, line {number}: marks {row['marks']!r} is not "
                                     "a number") from exc
                self.set_manual_mark(row["student"].strip(), row["part"].strip(), marks,
                                     (row.get("note") or "").strip())
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return len(rows)

    # ---------------------------------------------------------------- reading

    def students(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT student FROM submissions ORDER BY student")]

    def report(self, student: str) -> GradeReport:
        row = self.db.execute("SELECT report FROM submissions WHERE student = ?",
                              (student,)).fetchone()
        return GradeReport.from_dict(json.loads(row[0]))

    def part_columns(self) -> list[tuple[str, str, float, bool]]:
        """(part id, title, marks, by hand) in the assignment's order."""
        rows = self.db.execute("SELECT part_id, title, marks, by_hand, MIN(position) FROM parts "
                               "GROUP BY part_id ORDER BY MIN(position)").fetchall()
        return [(r[0], r[1], r[2], bool(r[3])) for r in rows]

    def rows(self) -> Iterator[dict[str, Any]]:
        """Per student: marks per part (manual marks for parts graded by hand), totals."""
        manual = {(s, p): m for s, p, m in self.db.execute(
            "SELECT student, part_id, marks FROM manual_marks")}
        for student, graded, problem, score, max_score, seconds in self.db.execute(
                "SELECT student, graded, problem, score, max_score, seconds FROM submissions "
                "ORDER BY student").fetchall():
            parts: dict[str, float | None] = {}
            by_hand_total = 0.0
            for part_id, awarded, by_hand in self.db.execute(
                    "SELECT part_id, awarded, by_hand FROM parts WHERE student = ? "
                    "ORDER BY position", (student,)):
                value = manual.get((student, part_id)) if by_hand else awarded
                parts[part_id] = value
                if by_hand and value is not None:
                    by_hand_total += value
            yield {"student": student, "graded": bool(graded), "problem": problem,
                   "auto": score, "auto_max": max_score, "by_hand": by_hand_total,
                   "total": score + by_hand_total, "parts": parts, "seconds": seconds}

    def gradings_per_student(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT student, COUNT(*) FROM gradings GROUP BY student"))

    def checks(self) -> list[dict[str, Any]]:
        cursor = self.db.execute("SELECT student, part_id, check_id, title, marks, awarded, "
                                 "visibility, mistake, message FROM checks")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
