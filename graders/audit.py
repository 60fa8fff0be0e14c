"""What a built handout must not hold: reference code, master solutions, hidden checks' params,
and the inputs and expected values of hidden checks.

`hidden_values` grades the master with the hidden checks only, through a recorder, to learn what
a grading run's hidden inputs and expected values look like; `audit_handout` then searches every
file of the zip (and every array inside its .npz files) for any of it.
"""

from __future__ import annotations

import bisect
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from graders.grading import Grader
from graders.mutation import solution_lines
from graders.notebook import read_submission
from graders.recorded import RecordingReference
from graders.spec import AssignmentSpec, references_root

_TOLERANCE = re.compile(r"tol|margin|eps|step")
_MIN_LINE = 25  # shorter lines (`return x`, `plt.show()`) occur in any notebook
_SKIP_LINE = re.compile(r"^(#|import |from |def |class |@|return \w+$|\"\"\"|''')")


def _distinctive_lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines()
            if len(line.strip()) >= _MIN_LINE and not _SKIP_LINE.match(line.strip())}


def reference_lines(spec: AssignmentSpec) -> set[str]:
    """Lines of reference.py and of the master's solution regions that no handout may hold
    (less those the master shows students anyway, e.g. in the provided two-layer network)."""
    from graders.build import master_notebooks  # late: build imports the grading machinery

    lines: set[str] = set()
    for owner in (spec.id, *(h.id for h in spec.homes)):  # a borrowed part's home's too
        reference = references_root() / owner / "reference.py"
        if reference.is_file():
            lines |= _distinctive_lines(reference.read_text(encoding="utf-8"))
    given: set[str] = set()  # what the handout shows anyway (provided code, the text)
    for master in master_notebooks(spec.id):
        for cell in read_submission(master).cells:
            inside = solution_lines(cell.source) if cell.kind == "code" else set()
            numbered = list(enumerate(cell.source.splitlines(), 1))
            lines |= _distinctive_lines("\n".join(line for n, line in numbered if n in inside))
            given |= _distinctive_lines("\n".join(line for n, line in numbered
                                                   if n not in inside))
    for name, folder in spec.support_sources():  # modules the handout ships on purpose
        given |= _distinctive_lines((folder / name).read_text(encoding="utf-8"))
    return lines - given


def hidden_params(spec: AssignmentSpec) -> set[str]:
    """Text of the numbers hidden checks carry in their params (targets, expected values)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, float) and not value.is_integer():
            found.add(repr(value))
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    public = {repr(p) for part in spec.parts for c in part.public_checks
              for p in c.params.values()}
    for part in spec.parts:
        for check in part.checks:
            if check.visibility == "hidden":
                for key, value in check.params.items():
                    # Tolerances are stated in the handout on purpose.
                    if repr(value) not in public and not _TOLERANCE.search(key):
                        walk(value)
    return found


def hidden_values(spec: AssignmentSpec, seed: int) -> list[np.ndarray]:
    """The float arrays (inputs and expected values) the hidden checks hand to or get from the
    reference when the master is graded with this seed."""
    from graders.build import master_notebooks, reference_with_homes

    reference = reference_with_homes(spec)
    masters = master_notebooks(spec.id)
    if reference is None or not masters:
        return []
    recorder = RecordingReference(reference)
    parts = [p for p in spec.parts if not p.by_hand and any(
        c.visibility == "hidden" for c in p.checks)]
    parts = [_only_hidden(p) for p in parts]
    master = read_submission(masters[0].parent if masters[0].parent.name == "master"
                             else masters[0])
    Grader(spec, master, seed, None, reference=recorder).run(parts)
    # Float arrays that are not all whole numbers or all one value: an index or a zero vector
    # would "match" plenty of innocent data.
    return [a for a in recorder.arrays if a.size >= 4 and a.dtype.kind == "f"
            and np.isfinite(a).all() and np.ptp(a) > 0 and not np.all(a == np.round(a))]


def _only_hidden(part: Any) -> Any:
    import dataclasses

    checks = tuple(c for c in part.checks if c.visibility == "hidden")
    return dataclasses.replace(part, checks=checks, marks=sum(c.marks for c in checks))


def text_lines(name: str, text: str) -> set[str]:
    """The stripped lines of a file (of a notebook: of its cells' sources)."""
    if name.endswith(".ipynb"):
        try:
            cells = json.loads(text).get("cells", [])
            text = "\n".join("".join(c.get("source", "")) for c in cells)
        except (ValueError, AttributeError):
            pass
    return {line.strip() for line in text.splitlines()}


def _files(zip_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _arrays_in(name: str, data: bytes) -> list[np.ndarray]:
    if not name.endswith(".npz"):
        return []
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return [npz[key] for key in npz.files]


def audit_handout(spec: AssignmentSpec, zip_path: Path,
                  hidden: list[np.ndarray] | None = None) -> list[str]:
    """Every secret found in the handout zip, as a sentence naming the file; [] when clean."""
    problems = []
    files = _files(zip_path)
    texts = {name: data.decode("utf-8", errors="replace") for name, data in files.items()
             if not name.endswith((".npz", ".pkl", ".net", ".mat", ".zip"))}
    if any("reference" in Path(name).name and name.endswith(".py") for name in files):
        problems.append("a reference*.py file is in the handout")
    lines = {name: text_lines(name, text) for name, text in texts.items()}
    for line in sorted(reference_lines(spec)):
        for name, held in lines.items():
            if line in held:
                problems.append(f"{name} holds reference or solution code: `{line[:80]}`")
    # The assignment's check code ships as the grader's code (students have the grader's
    # package anyway): a default in it is no secret of this spec's.
    params_searched = {name: text for name, text in texts.items()
                       if not re.fullmatch(r"checks(_\w+)?\.py", Path(name).name)}
    for value in sorted(hidden_params(spec)):
        for name, text in params_searched.items():
            if re.search(rf"(?<![\d.]){re.escape(value)}(?!\d)", text):
                problems.append(f"{name} holds {value}, a hidden check's parameter")
    index = _index([(name, a) for name, data in files.items() for a in _arrays_in(name, data)])
    # The data files are the instructor's (or the stand-ins): shipped on purpose, and large.
    made = {name: data for name, data in files.items()
            if Path(name).name not in {d.name for d in spec.data}}
    unique = {np.ascontiguousarray(a).tobytes(): a for a in hidden or []}
    for raw, secret in unique.items():
        for name, data in made.items():
            if len(raw) >= 32 and raw in data:
                problems.append(f"{name} holds the bytes of a hidden check's array")
        for name in _equal_arrays(secret, index):
            problems.append(f"{name} holds a hidden check's input or expected value "
                            f"(shape {secret.shape})")
    return list(dict.fromkeys(problems))


def _index(arrays: list[tuple[str, np.ndarray]]) -> dict[Any, list[tuple[float, str, Any]]]:
    """Shipped float arrays by shape, sorted by norm, so a search looks at a few candidates."""
    index: dict[Any, list[tuple[float, str, Any]]] = {}
    for name, array in arrays:
        if array.dtype.kind == "f" and array.size:
            norm = float(np.linalg.norm(array.astype(np.float64).ravel()))
            index.setdefault(array.shape, []).append((norm, name, array))
    for entries in index.values():
        entries.sort(key=lambda e: e[0])
    return index


def _equal_arrays(secret: np.ndarray, index: dict[Any, list[tuple[float, str, Any]]]
                  ) -> list[str]:
    entries = index.get(secret.shape, [])
    norm = float(np.linalg.norm(secret.astype(np.float64).ravel()))
    low = bisect.bisect_left(entries, norm * (1 - 1e-6) - 1e-9, key=lambda e: e[0])
    found = []
    for value, name, array in entries[low:]:
        if value > norm * (1 + 1e-6) + 1e-9:
            break
        if np.allclose(array, secret, rtol=1e-9, atol=1e-12):
            found.append(name)
    return found
