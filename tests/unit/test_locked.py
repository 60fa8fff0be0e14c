"""Locked cells: an edit is reported (and undone when the spec says restore)."""

from __future__ import annotations

from graders import locked
from graders.notebook import METADATA_KEY, Cell, Submission


def _notebook(*sources: str, ids: tuple[str, ...] = ("a", "b", "c")) -> Submission:
    cells = tuple(Cell(index=i, kind="code", source=s, number=i + 1, cell_id=ids[i])
                  for i, s in enumerate(sources))
    digests = {"a": locked.digest("import numpy as np"), "b": locked.digest("DATA = load()")}
    return Submission(path=None, format="ipynb", cells=cells,  # type: ignore[arg-type]
                      metadata={METADATA_KEY: {"locked": digests}})


HANDOUT = _notebook("import numpy as np", "DATA = load()", "answer = None")


def test_untouched_locked_cells_give_no_note_whitespace_aside():
    student = _notebook("import numpy as np   \n\n", "DATA = load()", "answer = 42")
    cells, notes = locked.compare_locked(student, HANDOUT, restore=False)
    assert notes == [] and cells == student.cells


def test_an_edited_locked_cell_is_reported_with_its_number_and_first_line():
    student = _notebook("import numpy as np", "DATA = load()[:10]", "answer = 42")
    cells, notes = locked.compare_locked(student, HANDOUT, restore=False)
    assert len(notes) == 1 and "code cell 2" in notes[0] and "`DATA = load()`" in notes[0]
    assert cells[1].source == "DATA = load()[:10]"


def test_restore_runs_the_handouts_version_of_an_edited_locked_cell():
    student = _notebook("import numpy as np", "DATA = load()[:10]", "answer = 42")
    cells, notes = locked.compare_locked(student, HANDOUT, restore=True)
    assert cells[1].source == "DATA = load()" and cells[2].source == "answer = 42"
    assert "ran the handout's version" in notes[0]


def test_a_locked_cell_with_a_new_id_but_the_same_code_is_fine_and_a_deleted_one_is_named():
    moved = _notebook("import numpy as np", "DATA = load()", "x = 1", ids=("z", "y", "c"))
    assert locked.compare_locked(moved, HANDOUT, restore=False)[1] == []
    deleted = _notebook("import numpy as np", "x = 1", "y = 2", ids=("a", "q", "c"))
    notes = locked.compare_locked(deleted, HANDOUT, restore=False)[1]
    assert len(notes) == 1 and "missing" in notes[0]


def test_without_the_handout_the_notebooks_own_digests_are_used():
    student = _notebook("import numpy as np", "DATA = 0", "answer = 42")
    assert len(locked.compare_locked(student, None, restore=True)[1]) == 1
