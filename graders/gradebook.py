"""The gradebook: one SQLite file in the batch's output folder.

Each finished grading is written in one transaction (WAL journal), so a batch killed at any
moment, even with SIGKILL, keeps every result it finished and nothing half-written. A submission
is regraded only when its bytes or the assignment (spec, reference, support files, grader
version) changed, or when asked. Marks for parts graded by hand are stored apart from the
automatic ones and join them in the totals, so entering them never re-runs anything.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import hashlib
import json
import math
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
CREATE TABLE IF NOT EXISTS mark_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, marker TEXT NOT NULL,
    student TEXT NOT NULL, part_id TEXT NOT NULL, action TEXT NOT NULL,
    before_marks REAL, after_marks REAL, before_note TEXT, after_note TEXT
);
CREATE TABLE IF NOT EXISTS rubric_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT, part_id TEXT NOT NULL, name TEXT NOT NULL,
    delta REAL NOT NULL, comment TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rubric_applied (
    student TEXT NOT NULL, part_id TEXT NOT NULL, item_id INTEGER NOT NULL,
    PRIMARY KEY (student, item_id)
);
"""

# Columns added to manual_marks after the first gradebooks were written: ALTERed into an old file.
_MANUAL_COLUMNS = {
    "version": "INTEGER NOT NULL DEFAULT 1",   # bumped by every change: a stale save is refused
    "marker": "TEXT NOT NULL DEFAULT ''",
    "source": "TEXT NOT NULL DEFAULT 'cli'",   # cli, csv or web
    "base": "REAL",  # the marks typed, before rubric items; NULL: the marks column itself
}


class MarkConflictError(UsageError):
    """Someone else changed this mark since the page read it: nothing was saved."""

    def __init__(self, student: str, part_id: str, current: dict[str, Any] | None) -> None:
        who = (current or {}).get("marker") or "someone"
        value = "removed it" if current is None else f"set {current['marks']:g}"
        super().__init__(f"{who} {value} for {student} part {part_id} since you opened it")
        self.current = current


def file_hash(path: Path) -> str:
    """SHA-256 of a submission: a file's bytes, or the zip a folder submission travels as."""
    from graders.folders import submission_bytes

    return hashlib.sha256(submission_bytes(path)[1]).hexdigest()


@functools.lru_cache(maxsize=1)
def grader_code_hash() -> str:
    """A content hash of the grader's own code (every file of the package), so fixing a check
    or the engine regrades what it may change. The marking page (graders/marking) is left out:
    it decides no automatic mark, and a fix to it must not regrade a class."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in grader_code_files():
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def grader_code_files() -> list[Path]:
    package = Path(__file__).resolve().parent
    return [p for p in sorted(package.rglob("*.py")) if "__pycache__" not in p.parts
            and p.relative_to(package).parts[0] != "marking"]


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
        have = {r[1] for r in self.db.execute("PRAGMA table_info(manual_marks)")}
        for name, kind in _MANUAL_COLUMNS.items():
            if name not in have:
                try:
                    self.db.execute(f"ALTER TABLE manual_marks ADD COLUMN {name} {kind}")
                except sqlite3.OperationalError as exc:  # another process added it first
                    if "duplicate column" not in str(exc):
                        raise

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

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (joins the caller's when one is open already)."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _hand_part(self, student: str, part_id: str) -> float:
        """The marks a part graded by hand is worth; UsageError when there is no such part."""
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
        return float(part[0])

    def manual_mark(self, student: str, part_id: str) -> dict[str, Any] | None:
        """The mark entered for a part: marks, base (typed), note, version, marker, source,
        entered_at and items (ids of the rubric items applied); None when there is none."""
        row = self.db.execute(
            "SELECT marks, base, note, version, marker, source, entered_at FROM manual_marks "
            "WHERE student = ? AND part_id = ?", (student, part_id)).fetchone()
        if row is None:
            return None
        items = [i for (i,) in self.db.execute(
            "SELECT item_id FROM rubric_applied WHERE student = ? AND part_id = ? ORDER BY "
            "item_id", (student, part_id))]
        return {"marks": row[0], "base": row[0] if row[1] is None else row[1], "note": row[2],
                "version": row[3], "marker": row[4], "source": row[5], "entered_at": row[6],
                "items": items}

    def set_manual_mark(self, student: str, part_id: str, marks: float, note: str | None = "",
                        *, marker: str = "", source: str = "cli",
                        expected_version: int | None = None) -> dict[str, Any]:
        """Set the marks a marker gives a part graded by hand (rubric items applied to it adjust
        them). expected_version: the version the marker read (0: none yet); a different one
        raises MarkConflictError and saves nothing. None skips the check (the command line).
        note None keeps the comment. Returns the new mark (see manual_mark)."""
        return self._change(student, part_id, marker=marker, source=source,
                            expected_version=expected_version, base=marks, note=note)

    def apply_rubric_item(self, student: str, item_id: int, *, applied: bool, marker: str = "",
                          expected_version: int | None = None) -> dict[str, Any]:
        """Apply a rubric item to a student's part, or take it off. Without marks typed yet, a
        deduction starts from full marks and a credit from zero."""
        item = self.rubric_item(item_id)
        return self._change(student, item["part_id"], marker=marker, source="web",
                            expected_version=expected_version, apply=(item, applied))

    def _change(self, student: str, part_id: str, *, marker: str, source: str,
                expected_version: int | None, base: float | None = None,
                note: str | None = None,
                apply: tuple[dict[str, Any], bool] | None = None) -> dict[str, Any]:
        with self._transaction():
            full = self._hand_part(student, part_id)
            current = self.manual_mark(student, part_id)
            if expected_version is not None and expected_version != (
                    current["version"] if current else 0):
                raise MarkConflictError(student, part_id, current)
            if base is not None and not 0 <= base <= full:
                raise UsageError(f"part {part_id} is worth {full:g} marks; got {base:g}")
            if base is None and current is not None:
                base = current["base"]
            if apply is not None:
                item, on = apply
                if base is None:
                    base = full if item["delta"] < 0 else 0.0
                if on:
                    self.db.execute("INSERT OR IGNORE INTO rubric_applied VALUES (?,?,?)",
                                    (student, part_id, item["id"]))
                else:
                    self.db.execute("DELETE FROM rubric_applied WHERE student = ? AND "
                                    "item_id = ?", (student, item["id"]))
            if base is None:
                raise UsageError(f"give the marks for {student} part {part_id} first")
            if note is None:
                note = current["note"] if current else ""
            self._write_mark(student, part_id, base=base, note=note, marker=marker,
                             source=source, current=current, action="rubric" if apply else "mark")
            new = self.manual_mark(student, part_id)
        assert new is not None
        return new

    def _write_mark(self, student: str, part_id: str, *, base: float, note: str, marker: str,
                    source: str, current: dict[str, Any] | None, action: str) -> None:
        full = self._hand_part(student, part_id)
        (extra,) = self.db.execute(
            "SELECT COALESCE(SUM(delta), 0) FROM rubric_items JOIN rubric_applied ON "
            "rubric_items.id = rubric_applied.item_id WHERE student = ? AND "
            "rubric_applied.part_id = ?", (student, part_id)).fetchone()
        marks = min(full, max(0.0, base + extra))
        self.db.execute(
            "INSERT OR REPLACE INTO manual_marks (student, part_id, marks, note, entered_at, "
            "version, marker, source, base) VALUES (?,?,?,?,?,?,?,?,?)",
            (student, part_id, marks, note, _now(), (current["version"] if current else 0) + 1,
             marker, source, base))
        self.db.execute(
            "INSERT INTO mark_log (at, marker, student, part_id, action, before_marks, "
            "after_marks, before_note, after_note) VALUES (?,?,?,?,?,?,?,?,?)",
            (_now(), marker, student, part_id, action, current["marks"] if current else None,
             marks, current["note"] if current else None, note))

    # ---------------------------------------------------------------- rubric

    def add_rubric_item(self, part_id: str, name: str, delta: float, comment: str = "") -> int:
        """A named deduction (delta < 0) or credit for a part graded by hand; returns its id."""
        if not name.strip():
            raise UsageError("a rubric item needs a name")
        self._check_delta(part_id, delta)
        cursor = self.db.execute("INSERT INTO rubric_items (part_id, name, delta, comment) "
                                 "VALUES (?,?,?,?)", (part_id, name.strip(), delta, comment))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _check_delta(self, part_id: str, delta: float) -> None:
        marks = {c[0]: c[2] for c in self.part_columns() if c[3]}
        if part_id not in marks:
            raise UsageError(f"no part graded by hand named {part_id!r}")
        if not (math.isfinite(delta) and abs(delta) <= marks[part_id]):
            raise UsageError(f"a rubric item of part {part_id} moves at most "
                             f"{marks[part_id]:g} marks either way; got {delta:g}")

    def rubric_item(self, item_id: int) -> dict[str, Any]:
        row = self.db.execute("SELECT id, part_id, name, delta, comment FROM rubric_items "
                              "WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise UsageError(f"no rubric item {item_id}")
        return dict(zip(("id", "part_id", "name", "delta", "comment"), row, strict=True))

    def rubric_items(self, part_id: str) -> list[dict[str, Any]]:
        """The part's items in the order made, each with uses: how many students have it."""
        rows = self.db.execute(
            "SELECT id, part_id, name, delta, comment, (SELECT COUNT(*) FROM rubric_applied a "
            "WHERE a.item_id = rubric_items.id) FROM rubric_items WHERE part_id = ? ORDER BY id",
            (part_id,)).fetchall()
        names = ("id", "part_id", "name", "delta", "comment", "uses")
        return [dict(zip(names, r, strict=True)) for r in rows]

    def update_rubric_item(self, item_id: int, *, name: str, delta: float, comment: str,
                           marker: str = "") -> int:
        """Change an item; every student who has it gets their marks recomputed (and logged).
        Returns how many students changed."""
        with self._transaction():
            item = self.rubric_item(item_id)
            self._check_delta(item["part_id"], delta)
            self.db.execute("UPDATE rubric_items SET name = ?, delta = ?, comment = ? WHERE "
                            "id = ?", (name.strip() or item["name"], delta, comment, item_id))
            students = [s for (s,) in self.db.execute(
                "SELECT student FROM rubric_applied WHERE item_id = ?", (item_id,))]
            for student in students:
                current = self.manual_mark(student, item["part_id"])
                assert current is not None
                self._write_mark(student, item["part_id"], base=current["base"],
                                 note=current["note"], marker=marker, source="web",
                                 current=current, action=f"rubric item {item_id} changed")
        return len(students)

    def rubric_comments(self, student: str) -> dict[str, list[tuple[str, float, str]]]:
        """Per part: (name, marks, comment) of the rubric items applied to the student."""
        found: dict[str, list[tuple[str, float, str]]] = {}
        for part_id, name, delta, comment in self.db.execute(
                "SELECT r.part_id, r.name, r.delta, r.comment FROM rubric_items r JOIN "
                "rubric_applied a ON r.id = a.item_id WHERE a.student = ? ORDER BY r.id",
                (student,)):
            found.setdefault(part_id, []).append((name, delta, comment))
        return found

    # ---------------------------------------------------------------- progress

    def marking_progress(self) -> dict[str, Any]:
        """parts: per part graded by hand, students, how many marked and how many left; markers:
    per marker (the last to save each mark), how many marks per part."""
        parts = []
        for part_id, title, marks, by_hand in self.part_columns():
            if not by_hand:
                continue
            (students,) = self.db.execute("SELECT COUNT(*) FROM parts WHERE part_id = ?",
                                          (part_id,)).fetchone()
            (marked,) = self.db.execute(
                "SELECT COUNT(*) FROM manual_marks m JOIN parts p ON m.student = p.student "
                "AND m.part_id = p.part_id WHERE m.part_id = ?", (part_id,)).fetchone()
            parts.append({"part_id": part_id, "title": title, "marks": marks,
                          "students": students, "marked": marked, "left": students - marked})
        markers: dict[str, dict[str, int]] = {}
        for name, part_id, count in self.db.execute(
                "SELECT CASE marker WHEN '' THEN '(command line)' ELSE marker END, part_id, "
                "COUNT(*) FROM manual_marks GROUP BY 1, 2 ORDER BY 1"):
            markers.setdefault(name, {})[part_id] = count
        return {"parts": parts, "markers": markers}

    def mark_log(self, limit: int = 200) -> list[dict[str, Any]]:
        cursor = self.db.execute("SELECT at, marker, student, part_id, action, before_marks, "
                                 "after_marks, before_note, after_note FROM mark_log ORDER BY "
                                 "id DESC LIMIT ?", (limit,))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

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
                                     (row.get("note") or "").strip(), source="csv")
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
