"""Mutants of a master notebook's solutions: small, plausible bugs the checks should catch.

Each mutant changes one expression inside a `### BEGIN SOLUTION` region (cells tagged
`graded-by-hand` are left alone: their code only feeds answers a marker reads). The change is
made on the source text, so comments, magics and formatting around it stay as they were.

Operators, after the mistakes students make:
- sign: `a + b` <-> `a - b`, `-x` -> `x`
- scale: `a * b` <-> `a / b`, a float constant doubled
- drop-term: `a + b` -> `a` or `b`, `a - b` -> `a`
- accumulate: `x += y` -> `x = y` (the sum loses all but the last term)
- transpose: `x.T` -> `x`; `a @ b` -> `b @ a`; `np.dot/outer/matmul(a, b)` -> `(b, a)`
- off-by-one: `range(n)` -> `range(n - 1)`, `range(a, n)` -> `range(a + 1, n)` (a missing step)
- axis: `axis=0` <-> `axis=1`, `axis=-1` -> `axis=0`
- reduce: `.sum` <-> `.mean`, `np.sum` <-> `np.mean`
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

import nbformat

from graders.handout import BEGIN, END

BY_HAND_TAG = "graded-by-hand"
_SWAPPABLE_CALLS = {"dot", "outer", "matmul"}
_REDUCTIONS = {"sum": "mean", "mean": "sum"}


@dataclass(frozen=True)
class Mutant:
    cell_index: int  # among all the notebook's cells
    cell_id: str
    line: int  # 1-based, in the cell
    operator: str
    before: str  # the mutated line, before and after
    after: str
    source: str  # the whole mutated cell

    @property
    def label(self) -> str:
        return f"cell {self.cell_index}, line {self.line}, {self.operator}: " \
               f"`{self.before.strip()}` -> `{self.after.strip()}`"


def solution_lines(source: str) -> set[int]:
    """1-based numbers of the lines inside solution regions."""
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), 1):
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _parseable(source: str) -> str:
    """IPython magics and shell lines blanked (same line numbers), so `ast` can parse."""
    return "\n".join("" if re.match(r"^\s*[%!]", line) else line
                     for line in source.splitlines())


def _replacements(node: ast.AST) -> Iterator[tuple[str, ast.AST | str]]:
    """(operator, replacement node or text) for each mutation of this node."""
    if isinstance(node, ast.BinOp):
        swaps = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
        for kind, other in swaps.items():
            if isinstance(node.op, kind):
                name = "sign" if kind in (ast.Add, ast.Sub) else "scale"
                yield name, ast.BinOp(node.left, other(), node.right)
        if isinstance(node.op, ast.Add):
            yield "drop-term", node.left
            yield "drop-term", node.right
        if isinstance(node.op, ast.Sub):
            yield "drop-term", node.left
        if isinstance(node.op, ast.MatMult):
            yield "transpose", ast.BinOp(node.right, ast.MatMult(), node.left)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "sign", node.operand
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        yield "transpose", node.value
    elif isinstance(node, ast.Constant) and type(node.value) is float:
        yield "scale", ast.Constant(node.value * 2 if node.value else 1.0)
    elif isinstance(node, ast.Call):
        yield from _call_replacements(node)
    elif isinstance(node, ast.keyword) and node.arg == "axis" \
            and isinstance(node.value, ast.Constant | ast.UnaryOp):
        value = ast.literal_eval(node.value)
        if isinstance(value, int):
            yield "axis", ast.keyword("axis", ast.Constant({0: 1, 1: 0}.get(value, 0)))
    elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
        yield "accumulate", ast.Assign([node.target], node.value, lineno=node.lineno)


def _call_replacements(node: ast.Call) -> Iterator[tuple[str, ast.AST]]:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name == "range" and node.args and not node.keywords:
        args = list(node.args)
        if len(args) == 1:
            args[0] = ast.BinOp(args[0], ast.Sub(), ast.Constant(1))
        else:
            args[0] = ast.BinOp(args[0], ast.Add(), ast.Constant(1))
        yield "off-by-one", ast.Call(func, args, [])
    if name in _SWAPPABLE_CALLS and len(node.args) == 2:
        yield "transpose", ast.Call(func, [node.args[1], node.args[0]], node.keywords)
    if name in _REDUCTIONS and isinstance(func, ast.Attribute):
        yield "reduce", ast.Call(ast.Attribute(func.value, _REDUCTIONS[name]), node.args,
                                 node.keywords)


def mutants_of_cell(source: str) -> Iterator[tuple[int, str, str]]:
    """(line, operator, mutated source) for every mutation inside the cell's solutions."""
    allowed = solution_lines(source)
    if not allowed:
        return
    try:
        tree = ast.parse(_parseable(source))
    except SyntaxError:
        return
    lines = source.splitlines()
    for node in ast.walk(tree):
        if not hasattr(node, "lineno") or node.end_lineno is None:
            continue
        if node.lineno not in allowed or node.end_lineno not in allowed:
            continue
        for operator, replacement in _replacements(node):
            start, col = node.lineno, node.col_offset  # type: ignore[attr-defined]
            end, end_col = node.end_lineno, node.end_col_offset  # type: ignore[attr-defined]
            text = ast.unparse(replacement)
            if isinstance(node, ast.BinOp | ast.UnaryOp) or operator == "drop-term":
                text = f"({text})"
            if isinstance(node, ast.keyword):
                text = f"axis={ast.unparse(replacement.value)}"  # type: ignore[attr-defined]
            head = lines[start - 1][:col]
            tail = lines[end - 1][end_col:]
            mutated = lines[:start - 1] + (head + text + tail).split("\n") + lines[end:]
            yield start, operator, "\n".join(mutated)


def mutants_of_notebook(nb: nbformat.NotebookNode) -> list[Mutant]:
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or BY_HAND_TAG in cell.metadata.get("tags", []):
            continue
        original = cell.source.splitlines()
        for line, operator, source in mutants_of_cell(cell.source):
            new_lines = source.splitlines()
            after = new_lines[line - 1] if line - 1 < len(new_lines) else ""
            found.append(Mutant(index, cell.get("id", ""), line, operator, original[line - 1],
                                after, source))
    return found


def sample(mutants: list[Mutant], count: int, seed: int = 0) -> list[Mutant]:
    """At most `count` mutants, chosen at random (fixed seed), in notebook order."""
    if len(mutants) <= count:
        return list(mutants)
    chosen = set(random.Random(seed).sample(range(len(mutants)), count))
    return [m for i, m in enumerate(mutants) if i in chosen]


def apply(nb: nbformat.NotebookNode, mutant: Mutant) -> nbformat.NotebookNode:
    copy = nbformat.from_dict(nb)
    copy.cells[mutant.cell_index].source = mutant.source
    return copy
