"""Reading a submission of several Python files: a folder, or a zip holding one.

Some courses collect a `python/` folder of modules (a network module, its helpers, scripts).
The folder is read as one submission: each module becomes code cells tagged with its file name,
so a part can name the file it grades and pruning works on a script as on a notebook. Nothing is
executed or extracted to disk here: a zip's members are read into memory, with limits.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections import defaultdict
from pathlib import Path, PurePosixPath

from graders.errors import SubmissionError
from graders.notebook import Submission, _cells_from_module

MAX_FILE_BYTES = 2 * 1024**2  # one module; more is data or a mistake
MAX_TOTAL_BYTES = 20 * 1024**2
MAX_FILES = 200
_IGNORED = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}


def read_folder_submission(path: Path) -> Submission:
    """Read a folder or zip of modules as one submission.

    The modules graded are those of its `python/` folder (the shallowest, when there are
    several), else of the folder with the most modules (the shallowest of equals).
    Raises SubmissionError for an unreadable or unsafe zip, or one without Python files.
    """
    if not path.exists():
        raise SubmissionError(f"{path}: no such file or folder")
    found = _zip_modules(path) if path.is_file() else _folder_modules(path)
    if not found:
        raise SubmissionError(f"{path}: holds no Python files (.py); hand in the python/ "
                              "folder with your modules")
    chosen = choose_folder(list(found))
    files = sorted((PurePosixPath(rel).name, _decode(found[rel])) for rel in found
                   if str(PurePosixPath(rel).parent) == chosen)
    cells = []
    for name, text in files:
        for cell in _cells_from_module(text):
            cells.append(dataclasses.replace(cell, index=len(cells), number=len(cells) + 1,
                                             file=name))
    return Submission(path=path, format="folder", cells=tuple(cells), files=tuple(files))


def choose_folder(relative_paths: list[str]) -> str:
    """The folder (relative, '.' for the top) whose modules make the submission."""
    by_folder: dict[str, list[str]] = defaultdict(list)
    for rel in relative_paths:
        pure = PurePosixPath(rel)
        by_folder[str(pure.parent)].append(pure.name)

    def depth(folder: str) -> int:
        return 0 if folder == "." else len(PurePosixPath(folder).parts)

    named = [f for f in by_folder if PurePosixPath(f).name.lower() == "python"]
    if named:
        return min(named, key=lambda f: (depth(f), f))
    return min(by_folder, key=lambda f: (-len(by_folder[f]), depth(f), f))


def _ignored(parts: tuple[str, ...]) -> bool:
    return any(p in _IGNORED or p.startswith(".") for p in parts)


def _folder_modules(folder: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    total = 0
    top = folder.resolve()
    for path in sorted(folder.rglob("*.py")):
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


def _zip_modules(path: Path) -> dict[str, bytes]:
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
            if member.is_dir() or not name.endswith(".py") or _ignored(parts):
                continue
            total += member.file_size
            _check_sizes(path, name, member.file_size, total, len(found) + 1)
            with archive.open(member) as handle:
                # The header's size can lie: never read more than the limit.
                data = handle.read(MAX_FILE_BYTES + 1)
            _check_sizes(path, name, len(data), total, len(found) + 1)
            found[name] = data
    return found


def _check_sizes(where: Path, name: str, size: int, total: int, count: int) -> None:
    if size > MAX_FILE_BYTES:
        raise SubmissionError(f"{where}: {name} is larger than {MAX_FILE_BYTES // 1024**2} MB; "
                              "hand in modules only (no data files saved as .py)")
    if total > MAX_TOTAL_BYTES or count > MAX_FILES:
        raise SubmissionError(f"{where}: more than {MAX_FILES} modules or "
                              f"{MAX_TOTAL_BYTES // 1024**2} MB of them; hand in the python/ "
                              "folder only")


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


def submission_bytes(path: Path) -> tuple[str, bytes]:
    """(file name, bytes) that stand for a submission when it travels to a worker: a file as
    it is; a folder as a zip of the modules it is graded on (same order and times, so the same
    folder always gives the same bytes, and the gradebook's hash sees a change in any module)."""
    if not path.is_dir():
        return path.name, path.read_bytes()
    found = _folder_modules(path)
    if not found:
        raise SubmissionError(f"{path}: holds no Python files (.py)")
    chosen = choose_folder(list(found))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in sorted(found):
            if str(PurePosixPath(rel).parent) == chosen:
                info = zipfile.ZipInfo(f"python/{PurePosixPath(rel).name}", (1980, 1, 1, 0, 0, 0))
                archive.writestr(info, found[rel])
    return f"{path.name}.zip", buffer.getvalue()
