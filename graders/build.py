"""`grade build`: master notebook -> the student handout (a folder and its zip).

The handout holds the student notebook (solutions stubbed, instructor notes removed, the header and
self-check cell of student_template/, metadata naming the assignment and digesting the locked
cells), the data files, the supporting modules, and `public_checks/<id>/`: a spec with only the
public checks and the reference's answers to those checks recorded as data. No reference code, no
hidden check, no hidden input or expected value goes in.
"""

from __future__ import annotations

import copy
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import yaml

from graders import datafiles, handout, locked
from graders.checks import registry
from graders.errors import UsageError
from graders.grading import SELF_CHECK_MARKER, Grader, load_reference, public_only
from graders.notebook import METADATA_KEY, read_submission
from graders.recorded import RecordingReference
from graders.spec import AssignmentSpec, load_assignment, references_root

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "student_template"
PUBLIC_DIR = "public_checks"
RECORD_NAME = "recorded.npz"
LOCKED_TAG = "locked"
INSTRUCTOR_TAG = "instructor"
HEADER_ID, SELF_CHECK_ID = "nngrader-header", "nngrader-self-check"
_KEPT_CELL_METADATA = ("tags",)
_INSTRUCTOR_CODE = (re.compile(r"^\s*### BEGIN INSTRUCTOR\s*$"),
                    re.compile(r"^\s*### END INSTRUCTOR\s*$"))
_INSTRUCTOR_MD = (re.compile(r"^\s*<!--\s*BEGIN INSTRUCTOR\s*-->\s*$"),
                  re.compile(r"^\s*<!--\s*END INSTRUCTOR\s*-->\s*$"))


@dataclass(frozen=True)
class Handout:
    folder: Path
    zip_path: Path
    notebook: Path
    recorded_calls: int
    unrecorded: tuple[str, ...]  # reference uses the record could not hold (checks offline-only)


def master_path(assignment_id: str) -> Path:
    return references_root() / assignment_id / "master.ipynb"


def notebook_name(spec: AssignmentSpec) -> str:
    return f"{spec.id}.ipynb"


# --------------------------------------------------------------------------- the notebook


def _template(name: str, **values: Any) -> str:
    return (TEMPLATE_DIR / name).read_text(encoding="utf-8").format(**values).strip() + "\n"


def marks_summary(spec: AssignmentSpec) -> dict[str, float]:
    auto = [p for p in spec.parts if not p.by_hand]
    public = sum(c.marks for p in auto for c in p.public_checks)
    return {"auto": sum(p.marks for p in auto), "hand": sum(p.marks for p in spec.parts
                                                             if p.by_hand),
            "public": public}


def public_summary(spec: AssignmentSpec) -> str:
    marks = marks_summary(spec)
    if not public_only(spec.parts):
        return ("This assignment has no public checks: everything is checked when your work "
                "is graded.")
    if not marks["public"]:
        return ("The public checks carry no marks: they tell you whether the grader can read "
                "your answers. Every value is checked when your work is graded.")
    return (f"The public checks are worth {marks['public']:g} of the {marks['auto']:g} automatic "
            "marks; the hidden checks run only when your work is graded, so passing every "
            "public check does not mean full marks.")


def _without_instructor_regions(source: str, markers: tuple[re.Pattern[str], ...]) -> str:
    return handout._replace_regions(source, markers[0], markers[1], lambda indent: [])


def handout_notebook(spec: AssignmentSpec, master: Path,
                     name: str | None = None) -> nbformat.NotebookNode:
    """The student notebook: stubs for solutions, no instructor notes, outputs and stray
    metadata cleared, the shared header first and the self-check cell last. `name` is the
    notebook's file name (default `<id>.ipynb`; a course of several notebooks names each)."""
    nb = handout.build_starter(master)
    cells = []
    for cell in nb.cells:
        tags = list(cell.get("metadata", {}).get("tags", []))
        if INSTRUCTOR_TAG in tags:
            continue
        markers = _INSTRUCTOR_CODE if cell.cell_type == "code" else _INSTRUCTOR_MD
        cell.source = _without_instructor_regions(cell.source, markers)
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in _KEPT_CELL_METADATA}
        if LOCKED_TAG in tags:  # Jupyter itself then refuses edits and deletion
            cell.metadata.update(editable=False, deletable=False)
        cells.append(cell)
    name = name or notebook_name(spec)
    marks = marks_summary(spec)
    header = nbformat.v4.new_markdown_cell(_template(
        "header.md", title=spec.title, assignment=spec.id, notebook=name,
        auto_marks=f"{marks['auto']:g}", hand_marks=f"{marks['hand']:g}",
        public_summary=public_summary(spec)), id=HEADER_ID)
    check = nbformat.v4.new_code_cell(_template("self_check.py", notebook=name), id=SELF_CHECK_ID)
    assert SELF_CHECK_MARKER in check.source
    nb.cells = [header, *cells, check]
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    nb.metadata[METADATA_KEY] = {
        "assignment": spec.id,
        "public_seed": spec.public_seed,
        "locked": {c.id: locked.digest(c.source) for c in cells
                   if LOCKED_TAG in c.metadata.get("tags", [])},
    }
    return nb


def master_notebooks(assignment_id: str) -> list[Path]:
    """The master notebooks: reference_solutions/<id>/master.ipynb, or, for a course whose
    students hand in several notebooks, every notebook of reference_solutions/<id>/master/."""
    single = master_path(assignment_id)
    if single.is_file():
        return [single]
    return sorted(single.with_suffix("").glob("*.ipynb"))


def starter_path(spec: AssignmentSpec, master: Path) -> Path:
    """Where the committed starter built from this master notebook sits."""
    if master.parent.name == "master":
        return spec.directory / "starter" / master.name
    return spec.directory / "starter.ipynb"


def write_starter(assignment_id: str) -> Path:
    """Rewrite assignments/<id>/starter.ipynb (or each notebook of starter/, for a master
    folder) as the handout's notebook (CI checks they agree). Returns the starter written (the
    folder, for several)."""
    spec = load_assignment(assignment_id)
    masters = master_notebooks(spec.id)
    if not masters:
        raise UsageError(f"{spec.id}: no master notebook: write {master_path(spec.id)} (or "
                         f"notebooks in {master_path(spec.id).with_suffix('')}/)")
    for master in masters:
        target = starter_path(spec, master)
        target.parent.mkdir(exist_ok=True)
        name = master.name if target.parent.name == "starter" else None
        nbformat.write(handout_notebook(spec, master, name), target)
    return target if len(masters) == 1 else target.parent


# --------------------------------------------------------------------------- the public spec


def public_spec(spec: AssignmentSpec) -> dict[str, Any]:
    """The spec students get: the same document with hidden checks taken out (their marks kept
    as each part's hidden_marks) and the public seed written down."""
    raw = yaml.safe_load(spec.path.read_text(encoding="utf-8"))
    raw["public_seed"] = spec.public_seed
    for question in raw["questions"]:
        if "from" in question:  # borrowed: its home's public spec sits beside this one
            continue
        for part in question["parts"]:
            if part.get("by_hand"):
                continue
            checks = [c for c in part.get("checks", []) if c.get("visibility") == "public"]
            hidden = sum(c["marks"] for c in part.get("checks", [])) - sum(
                c["marks"] for c in checks)
            part["checks"] = checks
            if hidden:
                part["hidden_marks"] = round(hidden, 6)
    return raw


# --------------------------------------------------------------------------- the whole handout


def build_handout(assignment_id: str, out_dir: Path, data_dir: Path | None = None) -> Handout:
    """Build handouts/<id>/ and its zip from the master notebook(s). A course that borrows
    questions ships its homes' public specs (and their support files and check code) beside its
    own under public_checks/, so `grade check` loads the course's spec as the grader does.
    Raises UsageError when the assignment has no master notebook."""
    spec = load_assignment(assignment_id)
    masters = master_notebooks(spec.id)
    if not masters:
        raise UsageError(missing_master(spec))
    folder = out_dir / spec.id
    if folder.exists():
        shutil.rmtree(folder)
    checks_dir = folder / PUBLIC_DIR / spec.id
    checks_dir.mkdir(parents=True)

    several = masters[0].parent.name == "master"
    notebooks = []
    for master in masters:
        notebook = folder / (master.name if several else notebook_name(spec))
        nbformat.write(handout_notebook(spec, master, notebook.name if several else None),
                       notebook)
        notebooks.append(notebook)
    if not several:
        shutil.copyfile(notebooks[0], checks_dir / "starter.ipynb")  # locked cells' originals
    for owner in (spec, *spec.homes):
        _write_public_checks(owner, folder, own=owner is spec)
    for data, source in spec.data_sources():
        found = datafiles.data_content(data.name, data.standin, data_dir, source)
        if found is not None:
            (folder / data.name).parent.mkdir(parents=True, exist_ok=True)
            (folder / data.name).write_bytes(found[1])
    (checks_dir / "spec.yaml").write_text(
        "# The public checks of this assignment (made by `grade build`; do not edit).\n"
        + yaml.safe_dump(public_spec(spec), sort_keys=False, allow_unicode=True),
        encoding="utf-8")
    recorder = record_public_answers(
        spec, [masters[0].parent if several else masters[0], folder if several else notebooks[0]],
        data_dir)
    recorder.save(checks_dir / RECORD_NAME)
    files = [p.name for p in sorted(folder.iterdir()) if p.is_file() and p not in notebooks]
    example = next((p for p in public_only(spec.parts)), spec.parts[0])
    # With several notebooks, the README's example checks the one the example part reads.
    shown = next((n for n in notebooks if example.file and read_submission(n).fits(
        example.file, example.file_holds)), notebooks[0])
    text = _template(
        "HANDOUT.md", title=spec.title, assignment=spec.id, notebook=shown.name,
        files="\n".join(f"- `{f}`" for f in files), example_part=example.id,
        public_summary=public_summary(spec))
    if several:
        names = ", ".join(f"`{n.name}`" for n in notebooks)
        text = text.replace(f"- `{shown.name}`: the notebook to complete and submit.",
                            f"- {names}: the notebooks to complete and submit (each with "
                            "the problems it is named for).", 1)
    (folder / "README.md").write_text(text, encoding="utf-8")
    zip_path = out_dir / f"{spec.id}.zip"
    _zip(folder, zip_path)
    return Handout(folder=folder, zip_path=zip_path, notebook=notebooks[0],
                   recorded_calls=recorder.call_count, unrecorded=tuple(recorder.unrecorded))


def missing_master(spec: AssignmentSpec) -> str:
    """What a handout needs and this assignment lacks, said precisely."""
    single, several = master_path(spec.id), master_path(spec.id).with_suffix("")
    entries = sorted(p.name + ("/" if p.is_dir() else "") for p in several.iterdir()) \
        if several.is_dir() else []
    held = f" ({several}/ holds {', '.join(entries) or 'nothing'}, no notebook)" if entries \
        else ""
    return (f"{spec.id} has no master notebook to build its handout from: write {single} (the "
            f"notebook its students are given, with ### BEGIN/END SOLUTION regions), or one "
            f"notebook per file its students hand in under {several}/{held}")


def _write_public_checks(owner: AssignmentSpec, folder: Path, *, own: bool) -> None:
    """An assignment's support files in the handout, and what `grade check` needs of it under
    public_checks/<owner>/: its support files, its check code when a public check needs it,
    and, for a home a course borrows from, its public spec."""
    owner_dir = folder / PUBLIC_DIR / owner.id
    owner_dir.mkdir(parents=True, exist_ok=True)
    for name in owner.support_files:
        if not (folder / name).exists():  # the course's own copy, when it has one, wins
            shutil.copyfile(owner.directory / name, folder / name)
        shutil.copyfile(owner.directory / name, owner_dir / name)
    public = public_only(owner.parts if not own else [p for p in owner.parts if not p.home])
    if any(not registry.is_generic(c.kind) for p in public for c in p.checks):
        for path in registry.check_code_files(owner.directory):
            shutil.copyfile(path, owner_dir / path.name)
    if not own:
        (owner_dir / "spec.yaml").write_text(
            f"# The public checks of {owner.id}, whose questions {folder.name} borrows "
            "(made by `grade build`; do not edit).\n"
            + yaml.safe_dump(public_spec(owner), sort_keys=False, allow_unicode=True),
            encoding="utf-8")


def reference_with_homes(spec: AssignmentSpec) -> ModuleType | None:
    """The reference answering every check of an assignment: its own reference.py, and for a
    course that borrows questions, its homes' too (a borrowed part is judged by its home's;
    the course's own functions win a clash of names). None when there is none at all."""
    modules = [m for m in (load_reference(spec.id), *(load_reference(h.id) for h in spec.homes))
               if m is not None]
    if not spec.homes or not modules:
        return modules[0] if modules else None
    combined = ModuleType(f"nngrader_reference_{spec.id}_with_homes")
    for module in reversed(modules):
        combined.__dict__.update({k: v for k, v in vars(module).items()
                                  if not k.startswith("__")})
    return combined


def record_public_answers(spec: AssignmentSpec, notebooks: list[Path],
                          data_dir: Path | None) -> RecordingReference:
    """Run the public checks on these notebooks (or folders of them) with the reference,
    writing down its answers."""
    reference = reference_with_homes(spec)
    recorder = RecordingReference(reference) if reference is not None else None
    parts = public_only(spec.parts)
    if recorder is None:
        raise FileNotFoundError(f"{references_root() / spec.id / 'reference.py'} is missing")
    if parts:
        for path in notebooks:
            Grader(spec, read_submission(path), spec.public_seed, data_dir,
                   reference=recorder).run(copy.deepcopy(parts))
    return recorder


def _zip(folder: Path, target: Path) -> None:
    """folder as a zip whose entries start with the folder's name, in a stable order."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(str(path.relative_to(folder.parent)),
                                       date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
