"""Choosing which statements of a submission to run for a set of needed names.

A part that checks `RNN.BPTT` must not wait for `net.Train(...)` or plotting. This module reads
each cell's top-level statements (as text: nothing is executed here), works out which names each
binds, mutates and uses, and keeps only the statements the needed names depend on. Lines of
dropped statements are blanked rather than removed, so tracebacks keep the student's line numbers.
"""

from __future__ import annotations

import ast
import re
import symtable
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from graders.notebook import Cell

# Calls that are never needed to define anything a check uses: training, plotting, waiting.
DEFAULT_SKIP_CALLS = (
    "show", "plot", "imshow", "scatter", "hist", "savefig", "figure", "subplot", "subplots",
    "bar", "legend", "title", "xlabel", "ylabel", "colorbar", "sleep", "input", "display",
    "interact", "system", "run_line_magic", "run_cell_magic",
)


@dataclass(frozen=True)
class Statement:
    cell_index: int
    first_line: int  # 1-based, within the cell
    last_line: int
    binds: frozenset[str]
    mutates: frozenset[str]  # changed in place: x.append(...), x[i] = ..., x.attr = ...
    passed: frozenset[str]  # passed to a call, which may change them: np.random.shuffle(x)
    uses: frozenset[str]
    calls: frozenset[str]
    is_import: bool
    is_definition: bool
    is_class: bool = False


@dataclass(frozen=True)
class PrunedCell:
    cell: Cell
    source: str  # what to run: the cell with unneeded statements blanked out
    kept: int
    dropped: int


def transform_magics(source: str) -> str:
    """IPython syntax (%magic, !shell) as plain Python, line for line, so `ast` can read it."""
    from IPython.core.inputtransformer2 import TransformerManager

    lines = source.splitlines()
    if lines and lines[0].startswith("%%"):
        # A cell magic wraps the whole cell; %%time and friends still run the body as Python.
        return "\n".join([""] + lines[1:])
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython raises assorted errors on broken input
        return source


def read_statements(cell: Cell) -> list[Statement]:
    """Top-level statements of one code cell; a cell that does not parse yields none."""
    source = transform_magics(cell.source)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    return [_describe(cell.index, node) for node in tree.body]


def _describe(cell_index: int, node: ast.stmt) -> Statement:
    is_definition = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    is_import = isinstance(node, ast.Import | ast.ImportFrom)
    binds, uses = _scope_names(node)
    return Statement(
        cell_index=cell_index,
        first_line=_first_line(node),
        last_line=node.end_lineno or node.lineno,
        binds=frozenset(binds),
        mutates=frozenset() if is_definition else frozenset(_mutated_names(node)),
        passed=frozenset() if is_definition else frozenset(_passed_names(node)),
        uses=frozenset(uses),
        calls=frozenset() if is_definition else frozenset(_called_names(node)),
        is_import=is_import,
        is_definition=is_definition,
        is_class=isinstance(node, ast.ClassDef),
    )


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno] + [d.lineno for d in decorators])


def _scope_names(node: ast.stmt) -> tuple[set[str], set[str]]:
    """Names the statement binds at module level, and every global name it (or any function or
    class inside it) reads. Uses the compiler's own symbol tables, so locals are not mistaken for
    globals."""
    try:
        table = symtable.symtable(ast.unparse(node), "<statement>", "exec")
    except SyntaxError:
        return set(), set()
    binds = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    uses = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    stack = list(table.get_children())
    while stack:
        child = stack.pop()
        uses |= {s.get_name() for s in child.get_symbols() if s.is_global()}
        stack.extend(child.get_children())
    return binds, uses | _augmented_names(node)


def _augmented_names(node: ast.AST) -> set[str]:
    """Names `x += ...` reads before it binds them at this level (the symbol table records only
    the binding, so `total = 0` would be dropped while `total += err` was kept)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
        return set()
    found = {node.target.id} if isinstance(node, ast.AugAssign) and isinstance(
        node.target, ast.Name) else set()
    for child in ast.iter_child_nodes(node):
        found |= _augmented_names(child)
    return found


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _mutated_names(node: ast.stmt) -> set[str]:
    """Names whose objects the statement may change in place: `x.append(...)`, `x[i] = ...`,
    `x.attr = ...`."""
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Attribute):
                found.add(_root_name(sub.func) or "")
        elif isinstance(sub, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            for target in targets:
                if isinstance(target, ast.Attribute | ast.Subscript):
                    found.add(_root_name(target) or "")
    found.discard("")
    return found


def _passed_names(node: ast.stmt) -> set[str]:
    return {a.id for sub in ast.walk(node) if isinstance(sub, ast.Call)
            for a in (*sub.args, *(k.value for k in sub.keywords)) if isinstance(a, ast.Name)}


def _called_names(node: ast.stmt) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Attribute):
                names.add(sub.func.attr)
            elif isinstance(sub.func, ast.Name):
                names.add(sub.func.id)
    return names


def select_statements(statements: Sequence[Statement], needed: Iterable[str],
                      skip_calls: Iterable[str]) -> set[int]:
    """Positions of the statements the needed names depend on, closed under dependencies.

    Imports are always kept (they are cheap and `from x import *` binds unknown names), and so
    are class definitions when a needed name is bound nowhere.
    A statement that calls a skipped name (Train, plot, ...) is never kept unless it defines
    a function or class.
    """
    skip = set(skip_calls)
    wanted = set(needed)
    if wanted - {n for s in statements for n in s.binds}:
        # A needed name the submission never binds may be found by what it is (a model class
        # its author named freely): keep every class definition, which costs next to nothing.
        wanted |= {n for s in statements if s.is_class for n in s.binds}
    chosen: set[int] = {i for i, s in enumerate(statements) if s.is_import}
    # `np.array(x)` does not change `np`: calls on imported names are not mutations.
    imported = {n for s in statements if s.is_import for n in s.binds}
    # Passing a function as an argument (`forward(h, params, 'output', softmax)`) leaves it as
    # it was; passing data may change it.
    defined = {n for s in statements if s.is_definition for n in s.binds}
    blocked = _blocked_statements(statements, skip)
    changed = True
    while changed:
        changed = False
        for i, s in enumerate(statements):
            if i in chosen or i in blocked:
                continue
            if (s.binds & wanted or (s.mutates - imported) & wanted
                    or (s.passed - imported - defined) & wanted):
                chosen.add(i)
                wanted |= s.uses
                changed = True
    return chosen


def _blocked_statements(statements: Sequence[Statement], skip: set[str]) -> set[int]:
    """Statements that never run: those calling a skipped name, and those that use a name only
    such statements bind (`weights = train(...)` is skipped, so `print(score(X, *weights))`
    would raise NameError)."""
    blocked = {i for i, s in enumerate(statements) if s.calls & skip and not s.is_definition}
    changed = True
    while changed:
        changed = False
        available = {n for i, s in enumerate(statements) if i not in blocked for n in s.binds}
        for i, s in enumerate(statements):
            lost = {n for j in blocked for n in statements[j].binds} - available
            if i not in blocked and not s.is_definition and s.uses & lost:
                blocked.add(i)
                changed = True
    return blocked


def prune_cells(cells: Sequence[Cell], needed: Iterable[str],
                skip_calls: Iterable[str] = DEFAULT_SKIP_CALLS) -> list[PrunedCell]:
    """The code cells with only the statements the needed names depend on; cells left with
    nothing to run are omitted."""
    code = [c for c in cells if c.kind == "code"]
    per_cell = {c.index: read_statements(c) for c in code}
    flat = [s for c in code for s in per_cell[c.index]]
    chosen = select_statements(flat, needed, skip_calls)
    kept_lines: dict[int, set[int]] = {c.index: set() for c in code}
    counts: dict[int, list[int]] = {c.index: [0, 0] for c in code}
    for i, s in enumerate(flat):
        counts[s.cell_index][0 if i in chosen else 1] += 1
        if i in chosen:
            kept_lines[s.cell_index].update(range(s.first_line, s.last_line + 1))
    pruned = []
    for cell in code:
        kept, dropped = counts[cell.index]
        if not kept:
            continue
        lines = transform_magics(cell.source).splitlines()
        source = "\n".join(line if n in kept_lines[cell.index] else ""
                           for n, line in enumerate(lines, start=1))
        pruned.append(PrunedCell(cell=cell, source=source, kept=kept, dropped=dropped))
    return pruned


def names_bound_by_dropped(cells: Sequence[Cell], needed: Iterable[str],
                           skip_calls: Iterable[str] = DEFAULT_SKIP_CALLS) -> set[str]:
    """The names that only statements prune_cells leaves out bind: a NameError for one of these
    means the analysis missed a dependency, which running the whole notebook can repair."""
    flat = [s for c in cells if c.kind == "code" for s in read_statements(c)]
    chosen = select_statements(flat, needed, skip_calls)
    kept = {n for i, s in enumerate(flat) if i in chosen for n in s.binds}
    return {n for i, s in enumerate(flat) if i not in chosen for n in s.binds} - kept


def names_bound_anywhere(cells: Sequence[Cell]) -> set[str]:
    """Every name some top-level statement of the submission binds."""
    return {n for c in cells if c.kind == "code" for s in read_statements(c) for n in s.binds}


_MISSING_MODULE = re.compile(r"No module named '([\w.]+)'|cannot import name '\w+' from '([\w.]+)'")


def after_failed_import(source: str, error_value: str) -> str | None:
    """What is left of a cell to run after one of its top-level imports failed: the cell with
    every line up to that import blanked (line numbers kept), or None when nothing is left or
    the failing import is not found. A module only Colab or the student's own folder has
    (`google.colab`, the course's `Network`) must not take the cell's other imports with it."""
    found = _MISSING_MODULE.search(error_value)
    if found is None:
        return None
    missing = (found.group(1) or found.group(2)).split(".")[0]
    try:
        tree = ast.parse(transform_magics(source))
    except (SyntaxError, ValueError):
        return None
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.Import | ast.ImportFrom) and missing in _top_modules(node):
            if index + 1 == len(tree.body):
                return None
            lines = source.splitlines()
            end = node.end_lineno or node.lineno
            return "\n".join([""] * end + lines[end:])
    return None


def _top_modules(node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.ImportFrom):
        return {(node.module or "").split(".")[0]}
    return {alias.name.split(".")[0] for alias in node.names}
