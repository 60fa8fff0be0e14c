"""The marking page's Starlette application: routes, and the glue between them and the gradebook.

Pages: / (progress), /part/{part}?student= (one part across the class), /student/{student}
(a whole submission), /log (every change). JSON: POST /api/mark, /api/rubric/apply,
/api/rubric/new, /api/rubric/{id}, /api/group. Figures: /figure/{student}/{part}/{n}.png.
A stale save answers 409 with the mark someone else saved, for the page to show."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from graders.errors import UsageError
from graders.exports import refresh_after_marking
from graders.gradebook import Gradebook, MarkConflictError
from graders.marking.render import answer_key, highlight_css, png_bytes, render_answer
from graders.marking.security import TokenGate
from graders.results import GradeReport, PartResult
from graders.spec import AssignmentSpec

HERE = Path(__file__).resolve().parent


class MarkingApp:
    """The state behind the routes: the OUT folder, the assignment (for Canvas), templates."""

    def __init__(self, out: Path, spec: AssignmentSpec | None) -> None:
        self.out = out
        self.spec = spec
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
            undefined=jinja2.StrictUndefined)
        self.templates.filters["marks"] = lambda v: "" if v is None else f"{v:g}"
        self._keys: dict[tuple[str, str], dict[str, str]] = {}

    @contextlib.contextmanager
    def book(self) -> Iterator[Gradebook]:
        gradebook = Gradebook(self.out)
        try:
            yield gradebook
        finally:
            gradebook.close()

    def page(self, request: Request, name: str, **context: Any) -> HTMLResponse:
        template = self.templates.get_template(name)
        if "parts" not in context:
            with self.book() as book:
                context["parts"] = hand_parts(book)
        return HTMLResponse(template.render(csrf=request.state.csrf, **context))

    def answer_keys(self, book: Gradebook, part_id: str) -> dict[str, str]:
        """student -> normalised answer for a part, cached until the batch changes."""
        (stamp,) = book.db.execute("SELECT MAX(graded_at) || COUNT(*) FROM submissions") \
            .fetchone()
        cached = self._keys.get((part_id, stamp))
        if cached is None:
            cached = {}
            for student in students_with_part(book, part_id):
                part = find_part(book.report(student), part_id)
                cached[student] = answer_key(part.answer) if part else ""
            self._keys[(part_id, stamp)] = cached
        return cached

    def saved(self, book: Gradebook, students: list[str]) -> None:
        refresh_after_marking(book, self.spec, self.out, students)


def students_with_part(book: Gradebook, part_id: str) -> list[str]:
    return [s for (s,) in book.db.execute(
        "SELECT student FROM parts WHERE part_id = ? ORDER BY student", (part_id,))]


def find_part(report: GradeReport, part_id: str) -> PartResult | None:
    return next((p for p in report.parts if p.part_id == part_id), None)


def question_of(part_id: str) -> str:
    """The question a part belongs to: its leading number (3 for 3a), else the whole id."""
    found = re.match(r"\d+", part_id)
    return found.group(0) if found else part_id


def total_of(book: Gradebook, student: str) -> dict[str, Any]:
    row = next(r for r in book.rows() if r["student"] == student)
    return {"auto": row["auto"], "by_hand": row["by_hand"], "total": row["total"]}


def hand_parts(book: Gradebook) -> list[tuple[str, str, float, bool]]:
    return [c for c in book.part_columns() if c[3]]


# ------------------------------------------------------------------- pages

def progress_page(request: Request) -> Response:
    app: MarkingApp = request.app.state.marking
    with app.book() as book:
        progress = book.marking_progress()
        columns = book.part_columns()
        rows = list(book.rows())
    out_of = sum(c[2] for c in columns)
    return app.page(request, "progress.html", progress=progress, columns=columns, rows=rows,
                    out_of=out_of, title="Progress")


def part_page(request: Request) -> Response:
    app: MarkingApp = request.app.state.marking
    part_id = request.path_params["part"]
    with app.book() as book:
        if part_id not in {c[0] for c in hand_parts(book)}:
            raise HTTPException(404, f"no part graded by hand named {part_id}")
        students = students_with_part(book, part_id)
        marked = {s: m for s, m in book.db.execute(
            "SELECT student, marks FROM manual_marks WHERE part_id = ?", (part_id,))}
        student = request.query_params.get("student") or next(
            (s for s in students if s not in marked), students[0])
        if student not in students:
            raise HTTPException(404, f"no student {student} with part {part_id}")
        report = book.report(student)
        part = find_part(report, part_id)
        assert part is not None
        keys = app.answer_keys(book, part_id)
        group = [s for s in students if keys.get(s) and keys[s] == keys.get(student)]
        versions = dict(book.db.execute(
            "SELECT student, version FROM manual_marks WHERE part_id = ?", (part_id,)))
        index = students.index(student)
        context = {
            "title": f"{part_id} · {student}", "part": part, "student": student,
            "students": students, "marked": marked, "index": index,
            "previous": students[index - 1] if index else None,
            "next": students[index + 1] if index + 1 < len(students) else None,
            "next_unmarked": next((s for s in students[index + 1:] + students[:index]
                                   if s not in marked), None),
            "answer": render_answer(part.answer),
            "related": [p for p in report.parts if not p.by_hand
                        and question_of(p.part_id) == question_of(part_id)],
            "mark": book.manual_mark(student, part_id), "rubric": book.rubric_items(part_id),
            "group": group, "totals": total_of(book, student),
            "group_versions": {s: versions.get(s, 0) for s in group},
            "parts": hand_parts(book), "report": report, "question": question_of(part_id),
        }
    return app.page(request, "part.html", **context)


def student_page(request: Request) -> Response:
    app: MarkingApp = request.app.state.marking
    student = request.path_params["student"]
    with app.book() as book:
        students = book.students()
        if student not in students:
            raise HTTPException(404, f"no student {student}")
        index = students.index(student)
        report = book.report(student)
        marks = {p.part_id: book.manual_mark(student, p.part_id)
                 for p in report.parts if p.by_hand}
        rubric = book.rubric_comments(student)
        totals = total_of(book, student)
        parts = hand_parts(book)
    answers = {p.part_id: render_answer(p.answer) for p in report.parts if p.by_hand}
    return app.page(request, "student.html", title=student, student=student, report=report,
                    marks=marks, rubric=rubric, totals=totals, answers=answers, parts=parts,
                    previous=students[index - 1] if index else None,
                    next=students[index + 1] if index + 1 < len(students) else None)


def log_page(request: Request) -> Response:
    app: MarkingApp = request.app.state.marking
    with app.book() as book:
        entries = book.mark_log(500)
        parts = hand_parts(book)
    return app.page(request, "log.html", title="Log", entries=entries, parts=parts)


def figure(request: Request) -> Response:
    app: MarkingApp = request.app.state.marking
    student, part_id = request.path_params["student"], request.path_params["part"]
    number = request.path_params["number"]
    with app.book() as book:
        if student not in book.students():
            raise HTTPException(404)
        part = find_part(book.report(student), part_id)
    if part is None or not 1 <= number <= len(part.figures):
        raise HTTPException(404)
    data = png_bytes(part.figures[number - 1])
    if data is None:
        raise HTTPException(404)
    return Response(data, media_type="image/png")


def pygments_css(request: Request) -> Response:
    return Response(highlight_css(), media_type="text/css")


def home(request: Request) -> Response:
    return RedirectResponse("/progress", status_code=303)


# ------------------------------------------------------------------- JSON

async def _body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError as exc:
        raise HTTPException(400, "send JSON") from exc
    if not isinstance(data, dict):
        raise HTTPException(400, "send a JSON object")
    return data


def _number(data: dict[str, Any], key: str) -> float:
    try:
        return float(data[key])
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{key} must be a number") from exc


def _version(data: dict[str, Any]) -> int:
    value = data.get("version")
    if not isinstance(value, int):
        raise UsageError("version (the version of the mark the page read) is missing")
    return value


def _marker(data: dict[str, Any]) -> str:
    return str(data.get("marker") or "").strip()[:60] or "anonymous"


def _answer(app: MarkingApp, book: Gradebook, student: str, part_id: str,
            mark: dict[str, Any]) -> JSONResponse:
    app.saved(book, [student])
    return JSONResponse({"mark": mark, "totals": total_of(book, student),
                         "progress": book.marking_progress()})


async def save_mark(request: Request) -> Response:
    app: MarkingApp = request.app.state.marking
    data = await _body(request)
    student, part_id = str(data.get("student", "")), str(data.get("part", ""))
    with app.book() as book:
        mark = book.set_manual_mark(student, part_id, _number(data, "marks"),
                                    str(data.get("note", "")), marker=_marker(data),
                                    source="web", expected_version=_version(data))
        return _answer(app, book, student, part_id, mark)


async def apply_rubric(request: Request) -> Response:
    app: MarkingApp = request.app.state.marking
    data = await _body(request)
    student = str(data.get("student", ""))
    with app.book() as book:
        item = book.rubric_item(int(_number(data, "item")))
        mark = book.apply_rubric_item(student, item["id"], applied=bool(data.get("applied")),
                                      marker=_marker(data), expected_version=_version(data))
        return _answer(app, book, student, item["part_id"], mark)


async def new_rubric_item(request: Request) -> Response:
    app: MarkingApp = request.app.state.marking
    data = await _body(request)
    with app.book() as book:
        item = book.add_rubric_item(str(data.get("part", "")), str(data.get("name", "")),
                                    _number(data, "delta"), str(data.get("comment", "")))
        return JSONResponse({"item": book.rubric_item(item)})


async def change_rubric_item(request: Request) -> Response:
    app: MarkingApp = request.app.state.marking
    data = await _body(request)
    item_id = request.path_params["item"]
    with app.book() as book:
        item = book.rubric_item(item_id)
        changed = book.update_rubric_item(
            item_id, name=str(data.get("name", item["name"])), delta=_number(data, "delta"),
            comment=str(data.get("comment", item["comment"])), marker=_marker(data))
        students = [s for (s,) in book.db.execute(
            "SELECT student FROM rubric_applied WHERE item_id = ?", (item_id,))]
        app.saved(book, students)
        return JSONResponse({"item": book.rubric_item(item_id), "students_changed": changed})


async def mark_group(request: Request) -> Response:
    """The same marks and comment for every student whose answer is in the group; those someone
    else marked since the page was read are left as they are and named."""
    app: MarkingApp = request.app.state.marking
    data = await _body(request)
    part_id, marks = str(data.get("part", "")), _number(data, "marks")
    versions = data.get("versions")
    if not isinstance(versions, dict):
        raise UsageError("versions (student -> version read) is missing")
    done, conflicts = [], []
    with app.book() as book:
        for student, version in versions.items():
            try:
                book.set_manual_mark(str(student), part_id, marks, str(data.get("note", "")),
                                     marker=_marker(data), source="web",
                                     expected_version=int(version))
                done.append(student)
            except MarkConflictError as exc:
                conflicts.append({"student": student, "current": exc.current})
        app.saved(book, done)
    return JSONResponse({"marked": done, "conflicts": conflicts},
                        status_code=409 if conflicts else 200)


async def conflict_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MarkConflictError)
    return JSONResponse({"error": str(exc), "current": exc.current}, status_code=409)


async def usage_handler(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": str(exc)}, status_code=400)


def create_app(out: Path, *, token: str, spec: AssignmentSpec | None = None) -> Starlette:
    """The marking page over OUT/gradebook.sqlite; token: the secret that opens a session.
    spec: the batch's assignment (for canvas.csv), when it is known."""
    routes = [
        Route("/", home), Route("/progress", progress_page), Route("/log", log_page),
        Route("/part/{part}", part_page), Route("/student/{student}", student_page),
        Route("/figure/{student}/{part}/{number:int}.png", figure),
        Route("/pygments.css", pygments_css),
        Route("/api/mark", save_mark, methods=["POST"]),
        Route("/api/rubric/apply", apply_rubric, methods=["POST"]),
        Route("/api/rubric/new", new_rubric_item, methods=["POST"]),
        Route("/api/rubric/{item:int}", change_rubric_item, methods=["POST"]),
        Route("/api/group", mark_group, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(TokenGate, token=token)],
                    exception_handlers={MarkConflictError: conflict_handler,
                                        UsageError: usage_handler})
    app.state.marking = MarkingApp(out, spec)
    return app
