"""Reading a submission of several files: a folder, or a zip holding one.

Some courses collect a `python/` folder of modules (a network module, its helpers, scripts),
others one notebook per problem. The folder is read as one submission: each module becomes code
cells, each notebook its cells, all tagged with their file name, so a part can name the file it
grades and pruning works on a script as on a notebook. Nothing is executed or extracted to disk
here: a zip's members are read into memory, with limits.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Any

from graders.errors import SubmissionError
from graders.notebook import Cell, Submission, _cells_from_module, _read_notebook

SUFFIXES = (".py", ".ipynb")
MAX_FILE_BYTES = 2 * 1024**2  # one module; more is data or a mistake
# A notebook keeps its figures: a Keras notebook showing a few hundred images is tens of MB.
MAX_NOTEBOOK_BYTES = 64 * 1024**2
MAX_TOTAL_BYTES = 128 * 1024**2
MAX_FILES = 200
_IGNORED = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}


def read_folder_submission(path: Path) -> Submission:
    """Read a folder or zip of modules and notebooks as one submission.

    The files graded are those of its `python/` folder (the shallowest, when there are
    several), else of the folder with the most notebooks, else with the most modules (the
    shallowest of equals). A notebook that cannot be read is left out with a note.
    Raises SubmissionError for an unreadable or unsafe zip, or one without such files.
    """
    if not path.exists():
        raise SubmissionError(f"{path}: no such file or folder")
    found = _zip_files(path) if path.is_file() else _folder_files(path)
    if not found:
        raise SubmissionError(f"{path}: holds no notebooks and no Python files (.ipynb, .py); "
                              "hand in the folder with your notebooks or your python/ folder")
    chosen = choose_folder(list(found))
    files = sorted((PurePosixPath(rel).name, _decode(found[rel])) for rel in found
                   if str(PurePosixPath(rel).parent) == chosen)
    cells: list[Cell] = []
    notes: list[str] = []
    metadata: dict[str, Any] = {}
    for name, text in files:
        if name.lower().endswith(".ipynb"):
            try:
                notebook = _read_notebook(text, Path(name))
            except SubmissionError as exc:
                notes.append(f"{exc} (left out: the parts reading it find nothing)")
                continue
            own, metadata = notebook.cells, metadata or notebook.metadata
        else:
            own = _cells_from_module(text)
        code = sum(1 for c in cells if c.kind == "code")
        for cell in own:
            code += cell.kind == "code"
            cells.append(dataclasses.replace(cell, index=len(cells), file=name,
                                             number=code if cell.kind == "code" else 0))
    return Submission(path=path, format="folder", cells=tuple(cells), files=tuple(files),
                      metadata=metadata, notes=tuple(notes))


def choose_folder(relative_paths: list[str]) -> str:
    """The folder (relative, '.' for the top) whose files make the submission: a `python/`
    folder, else the one with the most notebooks, else the one with the most modules."""
    by_folder: dict[str, list[str]] = defaultdict(list)
    for rel in relative_paths:
        pure = PurePosixPath(rel)
        by_folder[str(pure.parent)].append(pure.name)

    def depth(folder: str) -> int:
        return 0 if folder == "." else len(PurePosixPath(folder).parts)

    def notebooks(folder: str) -> int:
        return sum(1 for name in by_folder[folder] if name.lower().endswith(".ipynb"))

    named = [f for f in by_folder if PurePosixPath(f).name.lower() == "python"]
    if named:
        return min(named, key=lambda f: (depth(f), f))
    return min(by_folder, key=lambda f: (-notebooks(f), -len(by_folder[f]), depth(f), f))


def _ignored(parts: tuple[str, ...]) -> bool:
    return any(p in _IGNORED or p.startswith(".") for p in parts)


def _graded_suffix(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def _folder_files(folder: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    total = 0
    top = folder.resolve()
    for path in sorted(p for p in folder.rglob("*") if _graded_suffix(p.name)):
        rel = path.relative_to(folder)
        # A link could point anywhere on the grading machine: only files inside are read.
        if _ignored(rel.parts) or path.is_symlink() or not path.is_file():
            continue
        if not path.resolve().is_relative_to(top):
            continue
        size = path.stat().st_size
        total += size
        _check_sizes(folder, rel.as_posix(), size, total, len(found) + 1)
        found[rel.as_posix()] = path.read_bytes()
    return found


def _zip_files(path: Path) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(f"{path}: not a readable zip ({exc}); zip the python/ folder "
                              "again") from exc
    found: dict[str, bytes] = {}
    total = 0
    with archive:
        for member in archive.infolist():
            name = member.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                raise SubmissionError(f"{path}: refuses the unsafe path {member.filename!r} "
                                      "in the zip")
            if member.is_dir() or not _graded_suffix(name) or _ignored(parts):
                continue
            total += member.file_size
            _check_sizes(path, name, member.file_size, total, len(found) + 1)
            with archive.open(member) as handle:
                # The header's size can lie: never read more than the limit.
                data = handle.read(_limit(name) + 1)
            _check_sizes(path, name, len(data), total, len(found) + 1)
            found[name] = data
    return found


def _limit(name: str) -> int:
    return MAX_NOTEBOOK_BYTES if name.lower().endswith(".ipynb") else MAX_FILE_BYTES


def _check_sizes(where: Path, name: str, size: int, total: int, count: int) -> None:
    if size > _limit(name):
        what = ("clear the outputs of the cells that print or show the most" if
                name.lower().endswith(".ipynb") else "hand in modules only (no data files "
                "saved as .py)")
        raise SubmissionError(f"{where}: {name} is larger than {_limit(name) // 1024**2} MB; "
                              f"{what}")
    if total > MAX_TOTAL_BYTES or count > MAX_FILES:
        raise SubmissionError(f"{where}: more than {MAX_FILES} modules or notebooks, or "
                              f"{MAX_TOTAL_BYTES // 1024**2} MB of them; hand in the python/ "
                              "folder or the notebooks only")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # some editors save Latin-1; nothing a kernel needs is lost


def is_folder_submission(folder: Path) -> bool:
    """A student's folder handed in as modules: it holds a `python/` folder with .py files."""
    return any(p.is_file() and not _ignored(p.relative_to(folder).parts)
               for sub in folder.rglob("python") if sub.is_dir() and not sub.is_symlink()
               for p in sub.glob("*.py"))


def holds_several_notebooks(folder: Path) -> bool:
    """A student's folder handed in as notebooks, one per problem: the folder its submission
    is read from holds more than one notebook (checkpoints and hidden files aside)."""
    names = [rel for rel in _paths_of(folder) if rel.lower().endswith(".ipynb")]
    if len(names) < 2:
        return False
    chosen = choose_folder(_paths_of(folder))
    return sum(1 for rel in names if str(PurePosixPath(rel).parent) == chosen) > 1


def _paths_of(folder: Path) -> list[str]:
    return [p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if _graded_suffix(p.name) and p.is_file() and not p.is_symlink()
            and not _ignored(p.relative_to(folder).parts)]


def submission_bytes(path: Path) -> tuple[str, bytes]:
    """(file name, bytes) that stand for a submission when it travels to a worker: a file as
    it is; a folder as a zip of the files it is graded on (same order and times, so the same
    folder always gives the same bytes, and the gradebook's hash sees a change in any file)."""
    if not path.is_dir():
        return path.name, path.read_bytes()
    found = _folder_files(path)
    if not found:
        raise SubmissionError(f"{path}: holds no notebooks and no Python files (.ipynb, .py)")
    chosen = choose_folder(list(found))
    kept = sorted(rel for rel in found if str(PurePosixPath(rel).parent) == chosen)
    # A folder of modules keeps the python/ name it always travelled under (its hash too).
    top = "python" if all(rel.endswith(".py") for rel in kept) else "submission"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in kept:
            info = zipfile.ZipInfo(f"{top}/{PurePosixPath(rel).name}", (1980, 1, 1, 0, 0, 0))
            archive.writestr(info, found[rel])
    return f"{path.name}.zip", buffer.getvalue()
