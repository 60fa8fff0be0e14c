"""Cells the handout locks: the student must not edit them, and the report says when they did.

`grade build` writes a digest of each locked cell into the notebook's metadata
(`metadata.nngrader.locked`: cell id -> digest). Grading compares the student's cells with the
handout's (the spec folder's starter.ipynb, else the digests the notebook carries) and, when the
spec's `locked_cells` is "restore", runs the handout's version of an edited cell instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import Any

from graders.notebook import METADATA_KEY, Cell, Submission


def digest(source: str) -> str:
    """Digest of a cell's code, blind to trailing spaces and blank lines at either end."""
    text = "\n".join(line.rstrip() for line in source.strip().splitlines())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def locked_digests(metadata: Mapping[str, Any]) -> dict[str, str]:
    info = metadata.get(METADATA_KEY, {})
    locked = info.get("locked", {}) if isinstance(info, Mapping) else {}
    return {str(k): str(v) for k, v in locked.items()} if isinstance(locked, Mapping) else {}


def _first_line(source: str) -> str:
    line = next((x.strip() for x in source.splitlines() if x.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def compare_locked(submission: Submission, handout: Submission | None,
                   restore: bool) -> tuple[tuple[Cell, ...], list[str]]:
    """The cells to grade (edited locked cells restored when asked) and a note per edit."""
    wanted = locked_digests(handout.metadata if handout else submission.metadata)
    originals = {c.cell_id: c for c in handout.cells} if handout else {}
    by_id = {c.cell_id: c for c in submission.cells if c.cell_id}
    present = {digest(c.source) for c in submission.cells}
    cells = list(submission.cells)
    notes: list[str] = []
    for cell_id, expected in wanted.items():
        cell = by_id.get(cell_id)
        original = originals.get(cell_id)
        if (cell is not None and digest(cell.source) == expected) or expected in present:
            continue
        shown = f"`{_first_line(original.source)}`" if original else f"id {cell_id}"
        if cell is None:
            notes.append(f"a cell the handout locked ({shown}) is missing from the notebook; "
                         "copy it back from the handout")
            continue
        where = f"code cell {cell.number}" if cell.kind == "code" else f"cell {cell.index + 1}"
        if restore and original is not None:
            cells[cell.index] = dataclasses.replace(cell, source=original.source)
            notes.append(f"{where} was edited, but the handout locked it ({shown}): the grader "
                         "ran the handout's version instead")
        else:
            notes.append(f"{where} was edited, but the handout locked it ({shown}); put back "
                         "the handout's version unless your instructor said otherwise")
    return tuple(cells), notes
