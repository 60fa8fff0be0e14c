"""Which files a batch grades, and whose they are.

Inputs may be folders, globs or zips (a zip is unpacked safely into the output folder first).
In a folder, each notebook or module is one student's submission, named by its file name without
the extension (`alice.ipynb` -> `alice`); a sub-folder is one student named by the folder
(`alice/hw4.ipynb` -> `alice`), whose submission is the notebook inside (or the module, when there
is no notebook), or the folder itself when it holds a `python/` folder of modules or, for an
assignment read as one notebook per problem, several notebooks. `--id-pattern` takes the
student id from file names made by a course site, e.g. `^(?P<student>[^_]+_\\d+)_` for Canvas
downloads (`smithj_12345_678_hw4.ipynb`).
"""

from __future__ import annotations

import glob
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from graders.errors import UsageError

SUFFIXES = (".ipynb", ".py")
MAX_UNPACKED_BYTES = 2 * 1024**3  # a class's zip; more is a mistake or a zip bomb


@dataclass(frozen=True)
class Entry:
    student: str
    path: Path


def _student_id(name: str, pattern: re.Pattern[str] | None) -> str:
    if pattern is not None:
        found = pattern.search(name)
        if found:
            return found.group("student")
    return Path(name).stem


def _pick(folder: Path, several_notebooks: bool = False) -> Path | None:
    """The submission inside a student's folder: the folder itself when the assignment reads
    one notebook per problem and it holds several (each part reads its own), else a notebook,
    else the folder when it holds a `python/` folder of modules, else a module (not a
    checkpoint)."""
    from graders.folders import holds_several_notebooks, is_folder_submission

    if several_notebooks and holds_several_notebooks(folder):
        return folder
    for suffix in SUFFIXES:
        if suffix == ".py" and is_folder_submission(folder):
            return folder
        found = sorted(p for p in folder.rglob(f"*{suffix}")
                       if ".ipynb_checkpoints" not in p.parts and p.is_file())
        if found:
            return found[0]
    return None


def unpack(zip_path: Path, target: Path) -> Path:
    """Extract a zip refusing absolute paths, '..' and more than MAX_UNPACKED_BYTES."""
    folder = target / zip_path.stem
    with zipfile.ZipFile(zip_path) as archive:
        members = archive.infolist()
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise UsageError(f"{zip_path}: unpacks to more than 2 GB; unpack it yourself")
        for member in members:
            parts = PurePosixPath(member.filename).parts
            if member.filename.startswith("/") or ".." in parts:
                raise UsageError(f"{zip_path}: refuses the unsafe path {member.filename!r}")
            if "__MACOSX" in parts:
                continue
            archive.extract(member, folder)
    return folder


def _from_folder(folder: Path, pattern: re.Pattern[str] | None,
                 several_notebooks: bool = False) -> list[Entry]:
    entries = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or child.name == "__MACOSX":
            continue
        if child.is_file() and child.suffix in SUFFIXES:
            entries.append(Entry(_student_id(child.name, pattern), child))
        elif child.is_dir():
            picked = _pick(child, several_notebooks)
            if picked is not None:
                entries.append(Entry(_student_id(child.name, pattern), picked))
    return entries


def discover(inputs: list[str], unpack_dir: Path, id_pattern: str | None = None, *,
             several_notebooks: bool = False) -> list[Entry]:
    """Every submission the inputs name, one per student, in a stable order. With
    `several_notebooks` (an assignment whose parts name the notebook they read), a student's
    folder holding several notebooks is one submission; otherwise its first notebook is (a
    leftover `hw4-Copy1.ipynb` must not be run with the real one)."""
    pattern = re.compile(id_pattern) if id_pattern else None
    entries: list[Entry] = []
    for given in inputs:
        path = Path(given)
        if path.is_file() and path.suffix == ".zip":
            entries += _from_folder(unpack(path, unpack_dir), pattern, several_notebooks)
        elif path.is_dir():
            entries += _from_folder(path, pattern, several_notebooks)
        elif path.is_file() and path.suffix in SUFFIXES:
            entries.append(Entry(_student_id(path.name, pattern), path))
        else:
            matches = sorted(glob.glob(given, recursive=True))
            files = [Path(m) for m in matches if Path(m).suffix in SUFFIXES]
            if not files:
                raise UsageError(f"{given}: no submissions found (give a folder, a zip, or a "
                                 "glob of .ipynb/.py files)")
            entries += [Entry(_student_id(f.name, pattern), f) for f in files]
    seen: dict[str, Path] = {}
    for entry in entries:
        if entry.student in seen:
            raise UsageError(f"two submissions for student {entry.student!r}: "
                             f"{seen[entry.student]} and {entry.path}; keep one, or use "
                             "--id-pattern to tell them apart")
        seen[entry.student] = entry.path
    return entries
