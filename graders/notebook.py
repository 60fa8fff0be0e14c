"""Reading a submission: a Jupyter notebook (nbformat 4, any minor version, or 3 upgraded) or a
plain Python module. Produces the cells in order; never runs anything."""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from graders.errors import SubmissionError

METADATA_KEY = "nngrader"
# Cell markers written by Jupyter's "export as script" and by the percent format.
_PY_CELL_MARKER = re.compile(r"^# (?:%%|In\[[ 0-9]*\]:)")


@dataclass(frozen=True)
class Cell:
    index: int  # position among all cells
    kind: str  # "code", "markdown" or "raw"
    source: str
    number: int = 0  # 1-based position among code cells (0 for other kinds)
    images: tuple[str, ...] = ()  # base64 PNGs among the outputs saved in the notebook
    cell_id: str = ""  # nbformat 4.5 cell id ("" for older notebooks and modules)
    saved_text: str = ""  # printed text among the outputs saved in the notebook
    file: str = ""  # the file it comes from, in a submission of several files ("" otherwise)

    def as_markdown(self) -> str:
        """Markdown cells as they are; code in a fenced block, so answers read as one text."""
        return fenced(self.source, "python") if self.kind == "code" else self.source


def fenced(text: str, info: str = "") -> str:
    """text in a Markdown code fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


@dataclass(frozen=True)
class Submission:
    path: Path
    format: str  # "ipynb", "py", or "folder" (several files: a folder or a zip)
    cells: tuple[Cell, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    # A folder submission's modules and notebooks, (file name, text), written beside the
    # kernel so that `from nn import *` in a script finds the student's own nn.py.
    files: tuple[tuple[str, str], ...] = ()
    # What reading it left out, for the report (a notebook of a folder that cannot be read).
    notes: tuple[str, ...] = ()

    def file_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.files)

    def pick_file(self, alternatives: str, holding: str = "") -> str | None:
        """The file a part reads: the first of `a.py|b.py|*p1*.ipynb` the submission holds
        (names and patterns ignore case; several files fitting one pattern: the first holding
        `holding`, else the first by name), else, when `holding` is given, the first file of a
        kind the alternatives name whose cells match that regular expression. None when no
        file fits."""
        names = self.file_names()
        for pattern in alternatives.split("|"):
            fits = [n for n in names if fnmatch.fnmatchcase(n.lower(), pattern.lower())]
            if fits:
                return next((n for n in fits if holding and self.holds(n, holding)), fits[0])
        if not holding:
            return None
        kinds = {Path(a).suffix.lower() for a in alternatives.split("|")}
        return next((n for n in names if Path(n).suffix.lower() in kinds
                     and self.holds(n, holding)), None)

    def fits(self, alternatives: str, holding: str = "") -> bool:
        """Whether a submission of one file is the file a part reads: its name fits one of the
        alternatives, or its cells match `holding`."""
        name = self.path.name.lower()
        return (any(fnmatch.fnmatchcase(name, a.lower()) for a in alternatives.split("|"))
                or bool(holding) and self.holds("", holding))

    def holds(self, name: str, pattern: str) -> bool:
        """Whether the cells of file `name` ("" for every cell) match the regular expression."""
        text = "\n".join(c.source for c in self.cells if not name or c.file == name)
        return re.search(pattern, text) is not None

    def only_file(self, name: str) -> Submission:
        """The same submission reduced to the cells of one of its files, numbered as in that
        file (so a report's "code cell 3" is the file's third)."""
        cells: list[Cell] = []
        code = 0
        for cell in self.cells:
            if cell.file == name:
                code += cell.kind == "code"
                cells.append(dataclasses.replace(cell, index=len(cells),
                                                 number=code if cell.kind == "code" else 0))
        return dataclasses.replace(self, cells=tuple(cells))

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.kind == "code")

    @property
    def assignment_id(self) -> str | None:
        value = self.metadata.get(METADATA_KEY, {})
        found = value.get("assignment") if isinstance(value, dict) else None
        return found if isinstance(found, str) else None


def read_submission(path: str | Path) -> Submission:
    """Read a .ipynb or .py submission. Raises SubmissionError saying why it cannot be read."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".zip":
        from graders.folders import read_folder_submission  # late: it builds on this module

        return read_folder_submission(path)
    if not path.is_file():
        raise SubmissionError(f"{path}: no such file")
    raw = path.read_bytes()
    if not raw.strip():
        raise SubmissionError(f"{path}: the file is empty")
    text = _decode(raw, path)
    if path.suffix == ".py":
        return Submission(path=path, format="py", cells=_cells_from_module(text))
    return _read_notebook(text, path)


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Students' editors sometimes save Latin-1; decoding it loses nothing a kernel needs.
        if path.suffix == ".py":
            return raw.decode("latin-1")
        raise SubmissionError(
            f"{path}: not UTF-8 text (byte {exc.start}); re-save the notebook from Jupyter"
        ) from exc


def _read_notebook(text: str, path: Path) -> Submission:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionError(
            f"{path}: not a valid notebook (JSON error at line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); open it in Jupyter and save it again"
        ) from exc
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise SubmissionError(f"{path}: JSON, but not a Jupyter notebook (no cells)")
    try:
        nb = nbformat.reads(text, as_version=4)
        cells_raw: list[Any] = list(nb.cells)
        metadata = dict(nb.metadata)
    except Exception:  # noqa: BLE001 - nbformat raises many kinds; fall back to the raw cells
        cells_raw = data.get("cells", [])
        metadata = data.get("metadata", {}) if isinstance(data.get("metadata"), dict) else {}
    return Submission(path=path, format="ipynb", cells=_cells_from_raw(cells_raw),
                      metadata=metadata)


def _cells_from_raw(cells_raw: list[Any]) -> tuple[Cell, ...]:
    cells: list[Cell] = []
    number = 0
    for raw in cells_raw:
        if not isinstance(raw, dict):
            continue
        kind = raw.get("cell_type", "code")
        source = raw.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        if kind == "code":
            number += 1
        cells.append(Cell(index=len(cells), kind=str(kind), source=str(source),
                          number=number if kind == "code" else 0,
                          images=_saved_images(raw.get("outputs")),
                          cell_id=str(raw.get("id") or ""),
                          saved_text=_saved_text(raw.get("outputs"))))
    return tuple(cells)


def _saved_images(outputs: Any) -> tuple[str, ...]:
    """The PNG figures a code cell showed when the student last ran it."""
    images = []
    for output in outputs if isinstance(outputs, list) else []:
        data = output.get("data") if isinstance(output, dict) else None
        png = data.get("image/png") if isinstance(data, dict) else None
        if isinstance(png, list):
            png = "".join(str(p) for p in png)
        if isinstance(png, str) and png.strip():
            images.append(png.replace("\n", ""))
    return tuple(images)


# Answers printed by a cell sit in its first lines; a cell that printed megabytes (a training log,
# a flood) is read only this far, so searching it for answers stays cheap.
SAVED_TEXT_CHARS = 200_000


def _saved_text(outputs: Any) -> str:
    """What a code cell printed (streams, and the text of results) when the student last ran it,
    up to SAVED_TEXT_CHARS characters."""
    texts: list[str] = []
    size = 0
    for output in outputs if isinstance(outputs, list) else []:
        if size >= SAVED_TEXT_CHARS:
            break
        if not isinstance(output, dict):
            continue
        text = output.get("text") if output.get("output_type") == "stream" else None
        data = output.get("data")
        if text is None and isinstance(data, dict):
            text = data.get("text/plain")
        if isinstance(text, list):
            text = "".join(str(t) for t in text)
        if isinstance(text, str) and text:
            texts.append(text if text.endswith("\n") else text + "\n")
            size += len(texts[-1])
    return "".join(texts)[:SAVED_TEXT_CHARS]


def _cells_from_module(text: str) -> tuple[Cell, ...]:
    """One cell per '# %%' block when the module has them, otherwise the whole module."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines(keepends=True):
        if _PY_CELL_MARKER.match(line) and any(s.strip() for s in blocks[-1]):
            blocks.append([])
        blocks[-1].append(line)
    sources = ["".join(b) for b in blocks if any(s.strip() for s in b)] or [text]
    return tuple(Cell(index=i, kind="code", source=s, number=i + 1) for i, s in enumerate(sources))
